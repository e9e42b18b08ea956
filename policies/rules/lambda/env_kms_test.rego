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
