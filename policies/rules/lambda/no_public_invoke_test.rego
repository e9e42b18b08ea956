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

test_unknown_principal if {
	# The issue's case: principal = "${var.p}".
	status == {"UNKNOWN"} with input as stk({"principal": f.unknown})
	want := {concat("", [
		"principal is unknown (not a literal): cannot show that it is neither * nor an AWS service ",
		"principal without source_arn or source_account",
	])}
	{r.message | some r in no_public_invoke.results} == want with input as stk({"principal": f.unknown})

	# Could be a service principal; principal_org_id does not scope those.
	status == {"UNKNOWN"} with input as stk({"principal": "s3.${?}", "principal_org_id": "o-abc123"})

	# A reference the rule cannot read as a principal.
	status == {"UNKNOWN"} with input as stk({"principal": "${aws_ssm_parameter.p.value}"})
}

test_unknown_principal_plan_reference if {
	p := f.res_refs("aws_lambda_permission", "p", base, {"principal": ["aws_ssm_parameter.p"]})
	status == {"UNKNOWN"} with input as f.stack([p])
}

test_unknown_source_arn if {
	status == {"UNKNOWN"} with input as stk({"principal": "*", "source_arn": f.unknown})
	status == {"UNKNOWN"} with input as stk({"principal": "s3.amazonaws.com", "source_arn": f.unknown})
	want := {concat("", [
		"source_arn is unknown (not a literal): ",
		"cannot show that principal * is scoped to an organization, account or source",
	])}
	{r.message | some r in no_public_invoke.results} == want with input as stk({"principal": "*", "source_arn": f.unknown})
}

test_unknown_source_account if {
	status == {"UNKNOWN"} with input as stk({"principal": "*", "source_account": f.unknown})
	status == {"UNKNOWN"} with input as stk({"principal": "events.amazonaws.com", "source_account": f.unknown})
}

test_unknown_principal_org_id if {
	status == {"UNKNOWN"} with input as stk({"principal": "*", "principal_org_id": f.unknown})
}

test_partly_unknown_or_referenced_named_principals_pass if {
	status == {"PASS"} with input as stk({"principal": "arn:aws:iam::${?}:root"})
	status == {"PASS"} with input as stk({"principal": "${aws_iam_role.caller.arn}"})
	status == {"PASS"} with input as stk({"principal": "${data.aws_caller_identity.current.account_id}"})
	plan := f.res_refs("aws_lambda_permission", "p", base, {"principal": ["aws_iam_role.caller"]})
	status == {"PASS"} with input as f.stack([plan])
}

test_unknown_principal_scoped_by_source_passes if {
	# Whatever the principal is, source_account scopes it.
	status == {"PASS"} with input as stk({"principal": f.unknown, "source_account": "123456789012"})
	status == {"PASS"} with input as stk({"principal": "${?}.amazonaws.com", "source_arn": "arn:aws:s3:::${?}"})
}

test_partly_unknown_scopes_pass if {
	status == {"PASS"} with input as stk({"principal": "*", "source_arn": "arn:aws:s3:::imgsec-${?}"})
	status == {"PASS"} with input as stk({"principal": "s3.amazonaws.com", "source_arn": "${aws_s3_bucket.raw.arn}"})
	service_ref := {"principal": "${data.aws_service_principal.s3.name}", "source_account": "123456789012"}
	status == {"PASS"} with input as stk(service_ref)
}

test_public_principal_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk({"principal": "*", "qualifier": f.unknown, "function_name": f.unknown})

	# principal_org_id does not scope a service principal, whatever its value.
	status == {"FAIL"} with input as stk({"principal": "s3.amazonaws.com", "principal_org_id": f.unknown})
	status == {"FAIL"} with input as stk({"principal": "${?}.amazonaws.com"})
	status == {"FAIL"} with input as stk({"principal": "${data.aws_service_principal.s3.name}"})
}
