package imgsec.rules.iam.trust_no_wildcard_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.iam.trust_no_wildcard

trust(statements) := {"Version": "2012-10-17", "Statement": statements}

stk(d) := f.stack([f.res_policies("aws_iam_role", "r", {"assume_role_policy": "..."}, {"assume_role_policy": d})])

status := f.statuses(trust_no_wildcard.results, "aws_iam_role.r")

assume(principal, condition) := {
	"Effect": "Allow",
	"Principal": principal,
	"Action": ["sts:AssumeRole"],
	"Condition": condition,
}

source_account := {"StringEquals": {"aws:SourceAccount": "123456789012"}}

test_service_principal_passes if {
	status == {"PASS"} with input as stk(trust([assume({"Service": "lambda.amazonaws.com"}, source_account)]))
}

test_everyone_fails if {
	status == {"FAIL"} with input as stk(trust([assume("*", {})]))
	status == {"FAIL"} with input as stk(trust([assume({"AWS": "*"}, {})]))
	status == {"FAIL"} with input as stk(trust([assume({"AWS": ["arn:aws:iam::123456789012:root", "*"]}, {})]))
}

test_not_principal_fails if {
	s := {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": ["sts:AssumeRole"]}
	status == {"FAIL"} with input as stk(trust([s]))
}

test_everyone_within_org_passes if {
	status == {"PASS"} with input as stk(trust([assume("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})]))
	accounts := {"StringEquals": {"aws:PrincipalAccount": ["111111111111", "222222222222"]}}
	status == {"PASS"} with input as stk(trust([assume({"AWS": "*"}, accounts)]))
	status == {"PASS"} with input as stk(trust([assume("*", source_account)]))
}

test_everyone_with_weak_conditions_fails if {
	# Conditions that do not pin the caller's account or organization, wildcard values, negated operators.
	status == {"FAIL"} with input as stk(trust([assume("*", {"StringEquals": {"sts:ExternalId": "secret"}})]))
	status == {"FAIL"} with input as stk(trust([assume("*", {"StringLike": {"aws:PrincipalOrgID": "o-*"}})]))
	status == {"FAIL"} with input as stk(trust([assume("*", {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}})]))
	status == {"FAIL"} with input as stk(trust([assume("*", {"StringEqualsIfExists": {"aws:SourceAccount": "1"}})]))
	status == {"FAIL"} with input as stk(trust([assume("*", {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::b"}})]))
}

test_one_unscoped_statement_fails if {
	d := trust([assume("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}), assume({"AWS": "*"}, {})])
	status == {"FAIL"} with input as stk(d)
}

test_deny_everyone_passes if {
	d := trust([
		assume({"Service": "lambda.amazonaws.com"}, {}),
		{"Effect": "Deny", "Principal": "*", "Action": ["sts:AssumeRole"]},
	])
	status == {"PASS"} with input as stk(d)
}

test_unknown_trust_policy_fails if {
	status == {"FAIL"} with input as stk(null)
	status == {"FAIL"} with input as f.stack([f.res("aws_iam_role", "r", {})])
}

unknown_doc := {"unknown": true, "Statement": []}

test_unknown_assume_role_policy if {
	status == {"UNKNOWN"} with input as stk(unknown_doc)
	want := {concat("", [
		"assume_role_policy is unknown (not a literal document): cannot show that only named principals, ",
		"or everyone within the organization or an account, can assume the role",
	])}
	{r.message | some r in trust_no_wildcard.results} == want with input as stk(unknown_doc)
}

test_unknown_assume_role_policy_plan_reference if {
	role := f.res_refs("aws_iam_role", "r", {"name": "r"}, {"assume_role_policy": ["data.aws_iam_policy_document.t"]})
	status == {"UNKNOWN"} with input as f.stack([role])
}

test_unknown_assume_role_policy_principal if {
	# The issue's case: Principal {"AWS": "${var.x}"}.
	status == {"UNKNOWN"} with input as stk(trust([assume({"AWS": f.unknown}, {})]))
	status == {"UNKNOWN"} with input as stk(trust([assume(f.unknown, {})]))
	status == {"UNKNOWN"} with input as stk(trust([assume({"AWS": ["arn:aws:iam::123456789012:root", "${?}"]}, {})]))
	want := {concat("", [
		"assume_role_policy statement #1 Principal is unknown (not a literal): cannot show that only named ",
		"principals, or everyone within the organization or an account, can assume the role",
	])}
	{r.message | some r in trust_no_wildcard.results} == want with input as stk(trust([assume({"AWS": f.unknown}, {})]))
}

test_unknown_assume_role_policy_effect if {
	s := {"Effect": f.unknown, "Principal": "*", "Action": ["sts:AssumeRole"]}
	status == {"UNKNOWN"} with input as stk(trust([s]))
}

test_unknown_assume_role_policy_condition if {
	status == {"UNKNOWN"} with input as stk(trust([assume("*", {"StringEquals": {"aws:PrincipalOrgID": f.unknown}})]))
	status == {"UNKNOWN"} with input as stk(trust([assume("*", {"StringEquals": {"aws:PrincipalOrgID": "o-${?}"}})]))
	status == {"UNKNOWN"} with input as stk(trust([assume("*", {"StringEquals": f.unknown})]))
	status == {"UNKNOWN"} with input as stk(trust([assume("*", f.unknown)]))
	status == {"UNKNOWN"} with input as stk(trust([assume("*", {f.unknown: {"aws:PrincipalOrgID": "o-abc123"}})]))
}

test_partly_unknown_named_principals_pass if {
	status == {"PASS"} with input as stk(trust([assume({"AWS": "arn:aws:iam::${?}:root"}, {})]))
	status == {"PASS"} with input as stk(trust([assume({"AWS": "${aws_iam_role.caller.arn}"}, {})]))
	status == {"PASS"} with input as stk(trust([assume({"Service": "lambda.${?}"}, {})]))
	status == {"PASS"} with input as stk(trust([{"Effect": "Deny", "Principal": f.unknown, "Action": ["sts:AssumeRole"]}]))

	# An unknown principal that a known condition restricts to the organization.
	org := {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
	status == {"PASS"} with input as stk(trust([assume({"AWS": f.unknown}, org)]))
}

test_known_public_trust_fails_whatever_else_is_unknown if {
	d := trust([assume({"AWS": f.unknown}, {}), assume("*", {})])
	status == {"FAIL"} with input as stk(d)

	# A condition that never restricts stays a failure whatever its value.
	status == {"FAIL"} with input as stk(trust([assume("*", {"StringEquals": {"sts:ExternalId": f.unknown}})]))
	status == {"FAIL"} with input as stk(trust([assume("*", {"StringLike": {"aws:PrincipalOrgID": "o-*${?}"}})]))
}

test_data_source_role_is_not_checked if {
	data_role := object.union(
		f.res("aws_iam_role", "existing", {"name": "existing"}),
		{"address": "data.aws_iam_role.existing", "config_address": "data.aws_iam_role.existing", "mode": "data"},
	)
	count(trust_no_wildcard.results) == 0 with input as f.stack([data_role])
}

test_unknown_assume_role_policy_principal_unresolvable_reference if {
	status == {"UNKNOWN"} with input as stk(trust([assume({"AWS": "${aws_ssm_parameter.p.value}"}, {})]))
	status == {"UNKNOWN"} with input as stk(trust([assume("${aws_ssm_parameter.p.value}", {})]))
	caller := {"AWS": "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"}
	status == {"PASS"} with input as stk(trust([assume(caller, {})]))
	status == {"PASS"} with input as stk(trust([assume({"AWS": "${aws_iam_user.u.arn}"}, {})]))
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	status == {"FAIL"} with input as stk(trust([object.remove(assume("*", {}), ["Effect"])]))
}

test_trust_policy_from_data_source_fails if {
	source := f.policy_document_source("trust", trust([assume("*", {})]))
	role := f.res_refs(
		"aws_iam_role", "r",
		{"assume_role_policy": f.policy_document_ref("trust")},
		{"assume_role_policy": ["data.aws_iam_policy_document.trust"]},
	)
	holder := object.union(role, {"policies": {"assume_role_policy": f.unknown_document}})
	status == {"FAIL"} with input as f.stack([source, holder])
}
