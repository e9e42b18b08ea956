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
