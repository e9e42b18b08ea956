package imgsec.rules.iam.no_inline_policies_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.iam.no_inline_policies as rule

status(address) := f.statuses(rule.results, address)

test_role_without_inline_policies_passes if {
	role := f.res("aws_iam_role", "r", {"name": "app", "assume_role_policy": "{}"})
	status("aws_iam_role.r") == {"PASS"} with input as f.stack([role])

	# A plan shows an empty inline_policy block for a role whose policies are managed elsewhere.
	planned := f.res("aws_iam_role", "r", {"name": "app", "inline_policy": [{"name": "", "policy": ""}]})
	status("aws_iam_role.r") == {"PASS"} with input as f.stack([planned])
}

test_inline_policy_resources_fail if {
	some type in ["aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"]
	p := f.res(type, "p", {"policy": "{}"})
	status(concat(".", [type, "p"])) == {"FAIL"} with input as f.stack([p])
}

test_role_inline_policy_blocks_fail if {
	role := f.res("aws_iam_role", "r", {"inline_policy": [{"name": "a", "policy": "{}"}, {"name": "b", "policy": "{}"}]})
	status("aws_iam_role.r") == {"FAIL"} with input as f.stack([role])
	inp25 := f.stack([role])
	want := "the role has 2 inline_policy block(s): use managed policies and attachments"
	{r.message | some r in rule.results} == {want} with input as inp25
}

test_unknown_inline_policy if {
	role := f.res("aws_iam_role", "r", {"inline_policy": f.unknown})
	status("aws_iam_role.r") == {"UNKNOWN"} with input as f.stack([role])
	dynamic := f.res("aws_iam_role", "r", {"inline_policy": [f.unknown]})
	status("aws_iam_role.r") == {"UNKNOWN"} with input as f.stack([dynamic])
	planned := f.res_refs("aws_iam_role", "r", {}, {"inline_policy": ["aws_s3_bucket.b"]})
	status("aws_iam_role.r") == {"UNKNOWN"} with input as f.stack([planned])
}

test_data_sources_are_not_judged if {
	looked_up := f.data_res("aws_iam_role", "r", {"name": "existing"})
	count(rule.results) == 0 with input as f.stack([looked_up])
}
