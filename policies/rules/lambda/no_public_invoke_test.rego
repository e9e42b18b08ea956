package imgsec.rules.lambda.no_public_invoke_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.lambda.no_public_invoke

base := {"action": "lambda:InvokeFunction", "function_name": "${aws_lambda_function.fn.function_name}"}

stk(values) := f.stack([f.res("aws_lambda_permission", "p", object.union(base, values))])

status := f.statuses(no_public_invoke.results, "aws_lambda_permission.p")

test_everyone_fails if {
	status == {"FAIL"} with input as stk({"principal": "*"})
}

test_everyone_scoped_passes if {
	status == {"PASS"} with input as stk({"principal": "*", "source_account": "123456789012"})
	status == {"PASS"} with input as stk({"principal": "*", "source_arn": "${aws_s3_bucket.raw.arn}"})
	status == {"PASS"} with input as stk({"principal": "*", "principal_org_id": "o-abc123"})
}

test_everyone_with_empty_scope_fails if {
	status == {"FAIL"} with input as stk({"principal": "*", "source_account": "", "principal_org_id": ""})
}

test_service_with_source_passes if {
	status == {"PASS"} with input as stk({"principal": "s3.amazonaws.com", "source_arn": "${aws_s3_bucket.raw.arn}"})
}

test_service_without_source_fails if {
	status == {"FAIL"} with input as stk({"principal": "s3.amazonaws.com"})
}

test_account_principal_passes if {
	status == {"PASS"} with input as stk({"principal": "arn:aws:iam::123456789012:role/caller"})
	status == {"PASS"} with input as stk({"principal": "123456789012"})
}
