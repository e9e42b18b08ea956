package imgsec.rules.iam.no_star_star_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.iam.no_star_star

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

allow(actions, resources) := {"Effect": "Allow", "Action": actions, "Resource": resources}

policy(type, d) := f.res_policies(type, "p", {"policy": "..."}, {"policy": d})

status_of(type) := f.statuses(no_star_star.results, concat(".", [type, "p"]))

status := status_of("aws_iam_role_policy")

stk(d) := f.stack([policy("aws_iam_role_policy", d)])

test_scoped_policy_passes if {
	status == {"PASS"} with input as stk(doc([allow(["logs:PutLogEvents"], ["*"]), allow(["*"], ["arn:aws:s3:::b/*"])]))
}

test_star_star_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["logs:PutLogEvents"], ["*"]), allow(["*"], ["*"])]))
}

test_not_action_on_star_fails if {
	s := {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["*"]}
	status == {"FAIL"} with input as stk(doc([s]))
}

test_star_on_not_resource_fails if {
	s := {"Effect": "Allow", "Action": ["*"], "NotResource": ["arn:aws:s3:::b"]}
	status == {"FAIL"} with input as stk(doc([s]))
}

test_deny_star_star_passes if {
	status == {"PASS"} with input as stk(doc([{"Effect": "Deny", "Action": ["*"], "Resource": ["*"]}]))
}

test_unknown_document_fails if {
	status == {"FAIL"} with input as stk(null)
	results := no_star_star.results with input as f.stack([f.res("aws_iam_policy", "p", {"name": "x"})])
	f.statuses(results, "aws_iam_policy.p") == {"FAIL"}
}

test_every_policy_type_checked if {
	some type in ["aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"]
	status_of(type) == {"FAIL"} with input as f.stack([policy(type, doc([allow(["*"], ["*"])]))])
}

test_role_inline_policy_fails if {
	role := f.res_policies(
		"aws_iam_role", "r",
		{"inline_policy": [{"name": "a", "policy": "..."}, {"name": "b", "policy": "..."}]},
		{
			"assume_role_policy": doc([]),
			"inline_policy.0": doc([allow(["s3:GetObject"], ["*"])]),
			"inline_policy.1": doc([allow(["*"], ["*"])]),
		},
	)
	results := no_star_star.results with input as f.stack([role])
	f.statuses(results, "aws_iam_role.r") == {"FAIL"}
	some r in results
	contains(r.message, "inline_policy.1")
}

test_role_without_inline_policy_has_no_result if {
	role := f.res_policies("aws_iam_role", "r", {}, {"assume_role_policy": doc([allow(["*"], ["*"])])})
	count(no_star_star.results) == 0 with input as f.stack([role])
}

test_message_names_statement if {
	s := object.union(allow(["*"], ["*"]), {"Sid": "Admin"})
	results := no_star_star.results with input as stk(doc([s]))
	some r in results
	contains(r.message, "\"Admin\"")
}

unknown_doc := {"unknown": true, "Statement": []}

test_unknown_policy if {
	p := f.res_policies("aws_iam_policy", "p", {"policy": f.unknown}, {"policy": unknown_doc})
	f.statuses(no_star_star.results, "aws_iam_policy.p") == {"UNKNOWN"} with input as f.stack([p])
	want := {"policy is unknown (not a literal document): cannot show that it does not allow all actions on all resources"}
	{r.message | some r in no_star_star.results} == want with input as f.stack([p])
}

test_unknown_policy_plan_reference if {
	# Plan: absent from values, but refers to a data source whose json is known only after apply.
	p := f.res_refs("aws_iam_policy", "p", {"name": "p"}, {"policy": ["data.aws_iam_policy_document.d"]})
	f.statuses(no_star_star.results, "aws_iam_policy.p") == {"UNKNOWN"} with input as f.stack([p])
}

test_unknown_policy_whole_statement if {
	# A statement that is one unknown value: the normalizer makes the whole document unknown.
	p := f.res_policies("aws_iam_policy", "p", {"policy": "{\"Statement\": [\"${?}\"]}"}, {"policy": f.unknown_document})
	f.statuses(no_star_star.results, "aws_iam_policy.p") == {"UNKNOWN"} with input as f.stack([p])
}

role_with_inline(values, policies) := f.res_policies(
	"aws_iam_role", "r",
	values,
	object.union({"assume_role_policy": doc([])}, policies),
)

test_unknown_inline_policy_policy if {
	role := role_with_inline(
		{"inline_policy": [{"name": "a", "policy": "..."}, {"name": "b", "policy": f.unknown}]},
		{"inline_policy.0": doc([allow(["s3:GetObject"], ["*"])]), "inline_policy.1": unknown_doc},
	)
	results := no_star_star.results with input as f.stack([role])
	f.statuses(results, "aws_iam_role.r") == {"UNKNOWN"}
	some r in results
	startswith(r.message, "inline_policy.1 is unknown")
}

test_unknown_inline_policy_policy_blocks if {
	# inline_policy = var.policies: the blocks themselves are unknown.
	role := role_with_inline({"inline_policy": f.unknown}, {})
	f.statuses(no_star_star.results, "aws_iam_role.r") == {"UNKNOWN"} with input as f.stack([role])
}

test_unknown_policy_effect if {
	s := {"Effect": f.unknown, "Action": ["*"], "Resource": ["*"]}
	status == {"UNKNOWN"} with input as stk(doc([s]))
}

test_unknown_policy_action if {
	status == {"UNKNOWN"} with input as stk(doc([allow([f.unknown], ["*"])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["s3:GetObject", "${?}*"], ["*"])]))
}

test_unknown_policy_resource if {
	status == {"UNKNOWN"} with input as stk(doc([allow(["*"], [f.unknown])]))
	s := {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["${?}"]}
	status == {"UNKNOWN"} with input as stk(doc([s]))
}

test_unknown_policy_action_and_resource_names_both if {
	# The issue's case: Action "${var.act}", Resource "${var.res}".
	s := object.union(allow([f.unknown], [f.unknown]), {"Sid": "Vars"})
	want := {concat("", [
		"policy statement \"Vars\" Action, Resource are unknown (not literals): ",
		"cannot show that it does not allow all actions on all resources",
	])}
	{r.message | some r in no_star_star.results} == want with input as stk(doc([s]))
	status == {"UNKNOWN"} with input as stk(doc([s]))
}

test_partly_unknown_values_that_cannot_be_star_pass if {
	status == {"PASS"} with input as stk(doc([allow(["s3:GetObject"], ["arn:aws:s3:::${?}/*"])]))
	status == {"PASS"} with input as stk(doc([allow(["*"], ["arn:${?}:s3:::${?}/*"])]))
	status == {"PASS"} with input as stk(doc([allow(["s3:${?}"], ["*"])]))
	status == {"PASS"} with input as stk(doc([allow(["*"], ["${aws_s3_bucket.b.arn}/*"])]))
	status == {"PASS"} with input as stk(doc([{"Effect": "Deny", "Action": [f.unknown], "Resource": ["*"]}]))
}

test_known_star_star_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk(doc([allow([f.unknown], [f.unknown]), allow(["*"], ["*"])]))
	role := role_with_inline(
		{"inline_policy": [{"name": "a", "policy": "..."}, {"name": "b", "policy": f.unknown}]},
		{"inline_policy.0": doc([allow(["*"], ["*"])]), "inline_policy.1": unknown_doc},
	)
	f.statuses(no_star_star.results, "aws_iam_role.r") == {"FAIL"} with input as f.stack([role])
}

test_unknown_policy_resource_unresolvable_reference if {
	# A parameter's value could be "*"; a bucket's ARN cannot.
	status == {"UNKNOWN"} with input as stk(doc([allow(["*"], ["${aws_ssm_parameter.r.value}"])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["${aws_ssm_parameter.a.value}"], ["*"])]))
	status == {"PASS"} with input as stk(doc([allow(["*"], ["${aws_s3_bucket.b.arn}", "${data.aws_s3_bucket.l.arn}"])]))
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	status == {"FAIL"} with input as stk(doc([{"Action": ["*"], "Resource": ["*"]}]))
}

test_data_source_document_fails if {
	source := f.policy_document_source("admin", doc([allow(["*"], ["*"])]))
	p := f.res_refs(
		"aws_iam_policy", "p",
		{"policy": f.policy_document_ref("admin")},
		{"policy": ["data.aws_iam_policy_document.admin"]},
	)
	holder := object.union(p, {"policies": {"policy": f.unknown_document}})
	status_of("aws_iam_policy") == {"FAIL"} with input as f.stack([source, holder])

	scoped := f.policy_document_source("admin", doc([allow(["s3:GetObject"], ["*"])]))
	status_of("aws_iam_policy") == {"PASS"} with input as f.stack([scoped, holder])
}

test_data_source_in_role_inline_policy_fails if {
	source := f.policy_document_source("admin", doc([allow(["*"], ["*"])]))
	role := f.res_policies(
		"aws_iam_role", "r",
		{"inline_policy": [{"name": "a", "policy": f.policy_document_ref("admin")}]},
		{"inline_policy.0": f.unknown_document},
	)
	results := no_star_star.results with input as f.stack([source, role])
	f.statuses(results, "aws_iam_role.r") == {"FAIL"}
}

sso(d) := f.res_policies(
	"aws_ssoadmin_permission_set_inline_policy", "p",
	{"inline_policy": "..."},
	{"inline_policy": d},
)

test_sso_permission_set_inline_policy_fails if {
	inp206 := f.stack([sso(doc([allow(["*"], ["*"])]))])
	status_of("aws_ssoadmin_permission_set_inline_policy") == {"FAIL"} with input as inp206
	inp207 := f.stack([sso(doc([allow(["s3:GetObject"], ["*"])]))])
	status_of("aws_ssoadmin_permission_set_inline_policy") == {"PASS"} with input as inp207
}

test_unknown_inline_policy_sso if {
	# A plan value known only after apply: the normalizer writes the marker and parses nothing.
	sso := f.res("aws_ssoadmin_permission_set_inline_policy", "p", {"inline_policy": f.unknown})
	status_of("aws_ssoadmin_permission_set_inline_policy") == {"UNKNOWN"} with input as f.stack([sso])
}
