package imgsec.rules.iam.no_pass_role_star_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.iam.no_pass_role_star

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

allow(actions, resources) := {"Effect": "Allow", "Action": actions, "Resource": resources}

stk(d) := f.stack([f.res_policies("aws_iam_role_policy", "p", {"policy": "..."}, {"policy": d})])

status := f.statuses(no_pass_role_star.results, "aws_iam_role_policy.p")

messages contains r.message if some r in no_pass_role_star.results

role_arn := "${aws_iam_role.worker.arn}"

test_pass_role_on_named_roles_passes if {
	status == {"PASS"} with input as stk(doc([allow(["iam:PassRole"], [role_arn])]))
	status == {"PASS"} with input as stk(doc([allow(["iam:PassRole"], ["arn:aws:iam::111122223333:role/imgsec-*"])]))
	status == {"PASS"} with input as stk(doc([allow(["s3:GetObject", "iam:GetRole"], ["*"])]))
	status == {"PASS"} with input as stk(doc([{"Effect": "Deny", "Action": ["iam:PassRole"], "Resource": ["*"]}]))
}

test_not_action_excluding_iam_passes if {
	s := {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["arn:aws:s3:::b/*"]}
	status == {"PASS"} with input as stk(doc([s]))
	t := {"Effect": "Allow", "NotAction": ["iam:Pass*", "s3:*"], "Resource": ["*"]}
	status == {"PASS"} with input as stk(doc([t]))
}

test_pass_role_on_star_fails if {
	s := object.union(allow(["iam:PassRole"], ["*"]), {"Sid": "PassAny"})
	status == {"FAIL"} with input as stk(doc([s]))
	want := concat("", [
		"policy statement \"PassAny\" allows iam:PassRole on all resources: ",
		"any role of the account can be passed to a service",
	])
	messages == {want} with input as stk(doc([s]))
}

test_wildcards_that_include_pass_role_fail if {
	some actions in [["iam:*"], ["iam:Pass*"], ["*"], ["IAM:PASSROLE"], ["iam:P*Role"]]
	status == {"FAIL"} with input as stk(doc([allow(actions, ["*"])]))
}

test_not_action_or_not_resource_fail if {
	status == {"FAIL"} with input as stk(doc([{"Effect": "Allow", "NotAction": ["s3:*"], "Resource": ["*"]}]))
	s := {"Effect": "Allow", "Action": ["iam:PassRole"], "NotResource": ["arn:aws:iam::1:role/admin"]}
	status == {"FAIL"} with input as stk(doc([s]))
}

test_condition_does_not_scope_roles_fail if {
	s := object.union(
		allow(["iam:PassRole"], ["*"]),
		{"Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
	)
	status == {"FAIL"} with input as stk(doc([s]))
}

test_role_inline_and_managed_policies_fail if {
	role := f.res_policies(
		"aws_iam_role", "r",
		{"inline_policy": [{"name": "a", "policy": "..."}]},
		{"assume_role_policy": doc([]), "inline_policy.0": doc([allow(["iam:PassRole"], ["*"])])},
	)
	f.statuses(no_pass_role_star.results, "aws_iam_role.r") == {"FAIL"} with input as f.stack([role])
	managed := f.res_policies("aws_iam_policy", "m", {"policy": "..."}, {"policy": doc([allow(["iam:*"], ["*"])])})
	f.statuses(no_pass_role_star.results, "aws_iam_policy.m") == {"FAIL"} with input as f.stack([managed])
}

test_not_json_fails if {
	status == {"FAIL"} with input as stk(null)
}

test_unknown_policy if {
	status == {"UNKNOWN"} with input as stk(f.unknown_document)
	want := "policy is unknown (not a literal document): cannot show that it does not allow iam:PassRole on all resources"
	messages == {want} with input as stk(f.unknown_document)
}

test_unknown_inline_policy_policy if {
	role := f.res_policies(
		"aws_iam_role", "r",
		{"inline_policy": [{"name": "a", "policy": f.unknown}]},
		{"assume_role_policy": doc([]), "inline_policy.0": f.unknown_document},
	)
	f.statuses(no_pass_role_star.results, "aws_iam_role.r") == {"UNKNOWN"} with input as f.stack([role])
}

test_unknown_policy_effect if {
	status == {"UNKNOWN"} with input as stk(doc([{"Effect": f.unknown, "Action": ["iam:PassRole"], "Resource": ["*"]}]))
}

test_unknown_policy_action if {
	status == {"UNKNOWN"} with input as stk(doc([allow([f.unknown], ["*"])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["iam:${?}"], ["*"])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["${aws_ssm_parameter.a.value}"], ["*"])]))
	want := concat("", [
		"policy statement #1 Action is unknown (not a literal): ",
		"cannot show that it does not allow iam:PassRole on all resources",
	])
	messages == {want} with input as stk(doc([allow([f.unknown], ["*"])]))
}

test_unknown_policy_notaction if {
	s := {"Effect": "Allow", "NotAction": ["${?}"], "Resource": ["*"]}
	status == {"UNKNOWN"} with input as stk(doc([s]))
}

test_unknown_policy_resource if {
	status == {"UNKNOWN"} with input as stk(doc([allow(["iam:PassRole"], [f.unknown])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["iam:PassRole"], ["${aws_ssm_parameter.r.value}"])]))
}

test_partly_unknown_values_that_cannot_match_pass if {
	status == {"PASS"} with input as stk(doc([allow(["s3:${?}"], ["*"])]))
	status == {"PASS"} with input as stk(doc([allow(["iam:PassRole"], ["arn:aws:iam::${?}:role/imgsec-worker"])]))
	status == {"PASS"} with input as stk(doc([allow(["iam:PassRole"], ["${aws_iam_role.worker.arn}"])]))
}

test_pass_role_on_star_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk(doc([allow([f.unknown], [f.unknown]), allow(["iam:PassRole"], ["*"])]))
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	status == {"FAIL"} with input as stk(doc([{"Action": ["iam:PassRole"], "Resource": ["*"]}]))
}

test_unknown_inline_policy_sso if {
	sso := f.res("aws_ssoadmin_permission_set_inline_policy", "s", {"inline_policy": f.unknown})
	results := no_pass_role_star.results with input as f.stack([sso])
	f.statuses(results, "aws_ssoadmin_permission_set_inline_policy.s") == {"UNKNOWN"}
}

test_sso_inline_policy_fails if {
	d := doc([allow(["iam:PassRole"], ["*"])])
	sso := f.res_policies("aws_ssoadmin_permission_set_inline_policy", "s", {"inline_policy": "..."}, {"inline_policy": d})
	results := no_pass_role_star.results with input as f.stack([sso])
	f.statuses(results, "aws_ssoadmin_permission_set_inline_policy.s") == {"FAIL"}
}
