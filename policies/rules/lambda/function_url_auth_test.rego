package imgsec.rules.lambda.function_url_auth_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.lambda.function_url_auth

stk(values) := f.stack([f.res(
	"aws_lambda_function_url", "u",
	object.union({"function_name": "${aws_lambda_function.fn.function_name}"}, values),
)])

status := f.statuses(function_url_auth.results, "aws_lambda_function_url.u")

test_iam_auth_passes if {
	status == {"PASS"} with input as stk({"authorization_type": "AWS_IAM"})
}

test_no_auth_fails if {
	status == {"FAIL"} with input as stk({"authorization_type": "NONE"})
	want := "authorization_type is NONE: anyone on the internet can invoke the function"
	{r.message | some r in function_url_auth.results} == {want} with input as stk({"authorization_type": "NONE"})
}

test_missing_auth_fails if {
	status == {"FAIL"} with input as stk({})
	status == {"FAIL"} with input as stk({"authorization_type": "aws_iam"})
}

test_unknown_authorization_type if {
	status == {"UNKNOWN"} with input as stk({"authorization_type": f.unknown})
	status == {"UNKNOWN"} with input as stk({"authorization_type": "${aws_ssm_parameter.auth.value}"})
	plan := f.res_refs("aws_lambda_function_url", "u", {}, {"authorization_type": ["aws_ssm_parameter.auth"]})
	status == {"UNKNOWN"} with input as f.stack([plan])
}

test_partly_unknown_value_that_cannot_be_none_fails if {
	status == {"FAIL"} with input as stk({"authorization_type": "AWS_${?}_X"})
}
