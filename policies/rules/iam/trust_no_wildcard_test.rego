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
