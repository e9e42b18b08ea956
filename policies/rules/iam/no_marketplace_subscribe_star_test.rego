package imgsec.rules.iam.no_marketplace_subscribe_star_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.iam.no_marketplace_subscribe_star as rule

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

allow(actions, resources) := {"Effect": "Allow", "Action": actions, "Resource": resources}

stk(d) := f.stack([f.res_policies("aws_iam_role_policy", "p", {"policy": "..."}, {"policy": d})])

status := f.statuses(rule.results, "aws_iam_role_policy.p")

listing := "arn:aws:aws-marketplace::111122223333:AWSMarketplace/Product/prod-abc"

test_named_products_pass if {
	status == {"PASS"} with input as stk(doc([allow(["aws-marketplace:Subscribe"], [listing])]))
	status == {"PASS"} with input as stk(doc([allow(["aws-marketplace:ViewSubscriptions"], ["*"])]))
	status == {"PASS"} with input as stk(doc([{"Effect": "Deny", "Action": ["aws-marketplace:*"], "Resource": ["*"]}]))
}

test_subscribe_on_everything_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["aws-marketplace:Subscribe"], ["*"])]))
	status == {"FAIL"} with input as stk(doc([allow(["aws-marketplace:*"], ["*"])]))
	status == {"FAIL"} with input as stk(doc([{"Effect": "Allow", "NotAction": ["s3:*"], "Resource": ["*"]}]))
	status == {"FAIL"} with input as stk(doc([{"Action": ["aws-marketplace:Subscribe"], "NotResource": [listing]}]))
}

test_data_source_and_sso_documents_fail if {
	source := f.policy_document_source("d", doc([allow(["aws-marketplace:Subscribe"], ["*"])]))
	p := f.res_refs(
		"aws_iam_policy", "p",
		{"policy": f.policy_document_ref("d")},
		{"policy": ["data.aws_iam_policy_document.d"]},
	)
	holder := object.union(p, {"policies": {"policy": f.unknown_document}})
	f.statuses(rule.results, "aws_iam_policy.p") == {"FAIL"} with input as f.stack([source, holder])
	sso := f.res_policies(
		"aws_ssoadmin_permission_set_inline_policy", "s",
		{"inline_policy": "..."},
		{"inline_policy": doc([allow(["aws-marketplace:*"], ["*"])])},
	)
	f.statuses(rule.results, "aws_ssoadmin_permission_set_inline_policy.s") == {"FAIL"} with input as f.stack([sso])
}

test_not_json_fails if {
	status == {"FAIL"} with input as stk(null)
}

test_unknown_policy if {
	status == {"UNKNOWN"} with input as stk(f.unknown_document)
}

test_unknown_inline_policy_sso if {
	sso := f.res("aws_ssoadmin_permission_set_inline_policy", "s", {"inline_policy": f.unknown})
	f.statuses(rule.results, "aws_ssoadmin_permission_set_inline_policy.s") == {"UNKNOWN"} with input as f.stack([sso])
}

test_unknown_inline_policy_policy if {
	role := f.res_policies(
		"aws_iam_role", "r",
		{"inline_policy": [{"policy": f.unknown}]},
		{"inline_policy.0": f.unknown_document},
	)
	f.statuses(rule.results, "aws_iam_role.r") == {"UNKNOWN"} with input as f.stack([role])
}

test_unknown_policy_effect if {
	s := {"Effect": f.unknown, "Action": ["aws-marketplace:Subscribe"], "Resource": ["*"]}
	status == {"UNKNOWN"} with input as stk(doc([s]))
}

test_unknown_policy_action if {
	status == {"UNKNOWN"} with input as stk(doc([allow(["aws-marketplace:${?}"], ["*"])]))
	status == {"PASS"} with input as stk(doc([allow(["aws-marketplace:View${?}"], ["*"])]))
}

test_unknown_policy_resource if {
	status == {"UNKNOWN"} with input as stk(doc([allow(["aws-marketplace:Subscribe"], [f.unknown])]))
	some_product := "arn:aws:aws-marketplace::${?}:AWSMarketplace/Product/x"
	status == {"PASS"} with input as stk(doc([allow(["aws-marketplace:Subscribe"], [some_product])]))
}
