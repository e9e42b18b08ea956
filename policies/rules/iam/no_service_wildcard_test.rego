package imgsec.rules.iam.no_service_wildcard_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.iam.no_service_wildcard as rule

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

allow(actions, resources) := {"Effect": "Allow", "Action": actions, "Resource": resources}

policy(type, d) := f.res_policies(type, "p", {"policy": "..."}, {"policy": d})

status_of(address) := f.statuses(rule.results, address)

status := status_of("aws_iam_role_policy.p")

stk(d) := f.stack([policy("aws_iam_role_policy", d)])

messages contains r.message if some r in rule.results

test_listed_actions_pass if {
	status == {"PASS"} with input as stk(doc([
		allow(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::b/*"]),
		allow(["kms:Decrypt"], ["${aws_kms_key.k.arn}"]),
		allow(["s3:Get*", "logs:Put*"], ["*"]),
		{"Effect": "Deny", "Action": ["s3:*"], "Resource": ["*"]},
	]))
}

test_service_star_on_any_resource_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["sqs:*"], ["${aws_sqs_queue.q.arn}"])]))
	status == {"FAIL"} with input as stk(doc([allow(["KMS:*"], ["arn:aws:kms:us-east-1:111122223333:key/abc"])]))
	inp31 := stk(doc([allow(["sqs:*"], ["x"])]))
	messages == {"policy statement #1 allows every action of the service (\"sqs:*\")"} with input as inp31
}

test_star_and_service_prefix_patterns_fail if {
	status == {"FAIL"} with input as stk(doc([allow(["*"], ["arn:aws:s3:::b/*"])]))
	status == {"FAIL"} with input as stk(doc([allow(["s3*"], ["arn:aws:s3:::b/*"])]))
	status == {"FAIL"} with input as stk(doc([allow(["*:*"], ["arn:aws:s3:::b/*"])]))
}

test_not_action_fails if {
	s := {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["arn:aws:s3:::b/*"]}
	status == {"FAIL"} with input as stk(doc([s]))
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	status == {"FAIL"} with input as stk(doc([{"Action": ["s3:*"], "Resource": ["arn:aws:s3:::b"]}]))
}

test_every_holder_type_checked if {
	some type in ["aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"]
	status_of(concat(".", [type, "p"])) == {"FAIL"} with input as f.stack([policy(type, doc([allow(["ec2:*"], ["*"])]))])
}

test_role_inline_and_sso_inline_policies_fail if {
	role := f.res_policies(
		"aws_iam_role", "r",
		{"inline_policy": [{"name": "a", "policy": "..."}]},
		{"inline_policy.0": doc([allow(["dynamodb:*"], ["*"])])},
	)
	status_of("aws_iam_role.r") == {"FAIL"} with input as f.stack([role])
	sso := f.res_policies(
		"aws_ssoadmin_permission_set_inline_policy", "s",
		{"inline_policy": "..."},
		{"inline_policy": doc([allow(["s3:*"], ["*"])])},
	)
	status_of("aws_ssoadmin_permission_set_inline_policy.s") == {"FAIL"} with input as f.stack([sso])
}

test_data_source_document_fails if {
	source := f.policy_document_source("wide", doc([allow(["secretsmanager:*"], ["*"])]))
	p := f.res_refs(
		"aws_iam_policy", "p",
		{"policy": f.policy_document_ref("wide")},
		{"policy": ["data.aws_iam_policy_document.wide"]},
	)
	holder := object.union(p, {"policies": {"policy": f.unknown_document}})
	status_of("aws_iam_policy.p") == {"FAIL"} with input as f.stack([source, holder])
}

test_not_json_fails if {
	status == {"FAIL"} with input as stk(null)
}

# ---- attachments ------------------------------------------------------------------------------------

attachment(type, attr, arn) := f.res(type, "a", {attr: arn, "role": "r"})

test_aws_managed_full_access_attachment_fails if {
	some arn in [
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/PowerUserAccess",
		"arn:aws:iam::aws:policy/AmazonSQSFullAccess",
		"arn:${data.aws_partition.p.partition}:iam::aws:policy/AWSLambda_FullAccess",
		"arn:aws:iam::aws:policy/service-role/AmazonSSMFullAccess",
	]
	a := attachment("aws_iam_role_policy_attachment", "policy_arn", arn)
	status_of("aws_iam_role_policy_attachment.a") == {"FAIL"} with input as f.stack([a])
}

test_sso_and_role_managed_attachments_fail if {
	s3_full := "arn:aws:iam::aws:policy/AmazonS3FullAccess"
	sso := f.res("aws_ssoadmin_managed_policy_attachment", "a", {"managed_policy_arn": s3_full})
	status_of("aws_ssoadmin_managed_policy_attachment.a") == {"FAIL"} with input as f.stack([sso])
	role := f.res("aws_iam_role", "r", {"managed_policy_arns": ["arn:aws:iam::aws:policy/AdministratorAccess"]})
	status_of("aws_iam_role.r") == {"FAIL"} with input as f.stack([role])
}

test_data_aws_iam_policy_naming_full_access_fails if {
	named := f.data_res("aws_iam_policy", "admin", {"name": "IAMFullAccess"})
	a := f.res_refs(
		"aws_iam_role_policy_attachment", "a",
		{"policy_arn": "${data.aws_iam_policy.admin.arn}", "role": "r"},
		{"policy_arn": ["data.aws_iam_policy.admin"]},
	)
	status_of("aws_iam_role_policy_attachment.a") == {"FAIL"} with input as f.stack([named, a])
}

test_read_only_and_customer_policies_pass if {
	ro := attachment("aws_iam_role_policy_attachment", "policy_arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	status_of("aws_iam_role_policy_attachment.a") == {"PASS"} with input as f.stack([ro])
	customer_arn := "arn:aws:iam::111122223333:policy/AppFullAccess"
	customer := attachment("aws_iam_role_policy_attachment", "policy_arn", customer_arn)
	status_of("aws_iam_role_policy_attachment.a") == {"PASS"} with input as f.stack([customer])
	ours := f.res_refs(
		"aws_iam_role_policy_attachment", "a",
		{"policy_arn": "${aws_iam_policy.app.arn}", "role": "r"},
		{"policy_arn": ["aws_iam_policy.app"]},
	)
	status_of("aws_iam_role_policy_attachment.a") == {"PASS"} with input as f.stack([ours])
}

# ---- unknown values ---------------------------------------------------------------------------------

test_unknown_policy if {
	status == {"UNKNOWN"} with input as stk(f.unknown_document)
}

test_unknown_inline_policy_sso if {
	sso := f.res("aws_ssoadmin_permission_set_inline_policy", "s", {"inline_policy": f.unknown})
	status_of("aws_ssoadmin_permission_set_inline_policy.s") == {"UNKNOWN"} with input as f.stack([sso])
}

test_unknown_inline_policy_policy if {
	role := f.res_policies(
		"aws_iam_role", "r",
		{"inline_policy": [{"name": "a", "policy": f.unknown}]},
		{"inline_policy.0": f.unknown_document},
	)
	status_of("aws_iam_role.r") == {"UNKNOWN"} with input as f.stack([role])
}

test_unknown_policy_effect if {
	status == {"UNKNOWN"} with input as stk(doc([{"Effect": f.unknown, "Action": ["s3:*"], "Resource": ["*"]}]))
	status == {"PASS"} with input as stk(doc([{"Effect": f.unknown, "Action": ["s3:GetObject"], "Resource": ["*"]}]))
}

test_unknown_policy_action if {
	status == {"UNKNOWN"} with input as stk(doc([allow(["s3:${?}"], ["*"])]))
	status == {"UNKNOWN"} with input as stk(doc([allow([f.unknown], ["arn:aws:s3:::b"])]))
	status == {"PASS"} with input as stk(doc([allow(["s3:Get${?}"], ["*"])]))
	inp152 := stk(doc([allow(["s3:${?}"], ["*"])]))
	want := "policy statement #1 Action is unknown (not a literal): cannot show that it grants no service-wide action"
	messages == {want} with input as inp152
}

test_unknown_policy_arn if {
	a := attachment("aws_iam_role_policy_attachment", "policy_arn", "arn:aws:iam::aws:policy/${?}")
	status_of("aws_iam_role_policy_attachment.a") == {"UNKNOWN"} with input as f.stack([a])
	b := attachment("aws_iam_role_policy_attachment", "policy_arn", f.unknown)
	status_of("aws_iam_role_policy_attachment.a") == {"UNKNOWN"} with input as f.stack([b])
	c := attachment("aws_iam_role_policy_attachment", "policy_arn", "arn:aws:iam::${?}:policy/ReadOnlyAccess")
	status_of("aws_iam_role_policy_attachment.a") == {"PASS"} with input as f.stack([c])
}

test_unknown_managed_policy_arn if {
	sso := f.res("aws_ssoadmin_managed_policy_attachment", "a", {"managed_policy_arn": f.unknown})
	status_of("aws_ssoadmin_managed_policy_attachment.a") == {"UNKNOWN"} with input as f.stack([sso])
}

test_unknown_managed_policy_arns if {
	role := f.res_refs("aws_iam_role", "r", {}, {"managed_policy_arns": ["aws_iam_policy.x"]})
	status_of("aws_iam_role.r") == {"UNKNOWN"} with input as f.stack([role])
	listed := f.res("aws_iam_role", "r", {"managed_policy_arns": [f.unknown]})
	status_of("aws_iam_role.r") == {"UNKNOWN"} with input as f.stack([listed])
}

test_definite_failure_wins_over_unknown if {
	status == {"FAIL"} with input as stk(doc([allow(["s3:${?}"], ["*"]), allow(["sns:*"], ["*"])]))
}
