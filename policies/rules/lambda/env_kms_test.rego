package imgsec.rules.lambda.env_kms_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.lambda.env_kms

stk(values) := f.stack([f.res("aws_lambda_function", "fn", values)])

status := f.statuses(env_kms.results, "aws_lambda_function.fn")

env := {"environment": {"variables": {"BUCKET": "raw"}}}

test_variables_with_key_pass if {
	status == {"PASS"} with input as stk(object.union(env, {"kms_key_arn": "${aws_kms_key.k.arn}"}))
}

test_variables_without_key_fail if {
	status == {"FAIL"} with input as stk(env)
	status == {"FAIL"} with input as stk({"environment": [{"variables": {"A": "b"}}], "kms_key_arn": ""})
}

test_no_variables_pass if {
	status == {"PASS"} with input as stk({})
	status == {"PASS"} with input as stk({"environment": {"variables": {}}})
}

test_unknown_kms_key_arn if {
	status == {"UNKNOWN"} with input as stk(object.union(env, {"kms_key_arn": f.unknown}))
	want := {concat("", [
		"kms_key_arn is unknown (not a literal): ",
		"cannot show that environment variables are encrypted with a customer managed key",
	])}
	{r.message | some r in env_kms.results} == want with input as stk(object.union(env, {"kms_key_arn": f.unknown}))
}

test_unknown_environment_variables if {
	status == {"UNKNOWN"} with input as stk({"environment": {"variables": f.unknown}})
	status == {"UNKNOWN"} with input as stk({"environment": f.unknown})

	# Unknown variables with an unknown key: both are named.
	inp := f.stack([f.res("aws_lambda_function", "fn", {"environment": f.unknown, "kms_key_arn": f.unknown})])
	count([r | some r in env_kms.results; r.status == "UNKNOWN"]) == 2 with input as inp
}

test_unknown_values_of_known_variables_still_need_a_key_fail if {
	status == {"FAIL"} with input as stk({"environment": {"variables": {"BUCKET": f.unknown}}})
	status == {"FAIL"} with input as stk(object.union(env, {"kms_key_arn": "", "description": f.unknown}))
}

test_partly_unknown_key_passes if {
	status == {"PASS"} with input as stk(object.union(env, {"kms_key_arn": "arn:aws:kms:${?}:${?}:key/${?}"}))
	status == {"PASS"} with input as stk({"environment": f.unknown, "kms_key_arn": "${aws_kms_key.k.arn}"})
	status == {"PASS"} with input as stk({"kms_key_arn": f.unknown})
}

test_plan_key_reference_passes if {
	fn := f.res_refs("aws_lambda_function", "fn", env, {"kms_key_arn": ["aws_kms_key.k"]})
	status == {"PASS"} with input as f.stack([fn])
}
