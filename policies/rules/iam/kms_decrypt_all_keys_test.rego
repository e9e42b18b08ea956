package imgsec.rules.iam.kms_decrypt_all_keys_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.iam.kms_decrypt_all_keys as rule

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

allow(actions, resources) := {"Effect": "Allow", "Action": actions, "Resource": resources}

stk(d) := f.stack([f.res_policies("aws_iam_role_policy", "p", {"policy": "..."}, {"policy": d})])

status := f.statuses(rule.results, "aws_iam_role_policy.p")

messages contains r.message if some r in rule.results

test_named_keys_pass if {
	status == {"PASS"} with input as stk(doc([
		allow(["kms:Decrypt", "kms:GenerateDataKey"], ["${aws_kms_key.phi.arn}"]),
		allow(["kms:*"], ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]),
		allow(["kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"], ["*"]),
		allow(["kms:Decrypt"], ["arn:aws:kms:us-east-1:111122223333:alias/imgsec-phi"]),
		{"Effect": "Deny", "Action": ["kms:Decrypt"], "Resource": ["*"]},
	]))
}

test_decrypt_on_every_key_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["kms:Decrypt"], ["*"])]))
	inp27 := stk(doc([allow(["kms:Decrypt"], ["*"])]))
	messages == {"policy statement #1 allows kms:Decrypt on every KMS key"} with input as inp27
	status == {"FAIL"} with input as stk(doc([allow(["kms:ReEncrypt*"], ["arn:aws:kms:*:111122223333:key/*"])]))
	inp29 := stk(doc([allow(["KMS:*"], ["arn:${data.aws_partition.p.partition}:kms:us-east-1:111122223333:key/*"])]))
	status == {"FAIL"} with input as inp29
	status == {"FAIL"} with input as stk(doc([allow(["*"], ["arn:aws:kms:*"])]))
	status == {"FAIL"} with input as stk(doc([allow(["kms:Decrypt"], ["arn:*"])]))
}

test_not_action_and_not_resource_fail if {
	status == {"FAIL"} with input as stk(doc([{"Effect": "Allow", "NotAction": ["s3:*"], "Resource": ["*"]}]))
	one_key := "arn:aws:kms:us-east-1:111122223333:key/x"
	status == {"FAIL"} with input as stk(doc([{"Effect": "Allow", "Action": ["kms:Decrypt"], "NotResource": [one_key]}]))
	status == {"PASS"} with input as stk(doc([{"Effect": "Allow", "NotAction": ["kms:*"], "Resource": ["*"]}]))
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	status == {"FAIL"} with input as stk(doc([{"Action": ["kms:Decrypt"], "Resource": ["*"]}]))
}

test_data_source_and_sso_documents_fail if {
	source := f.policy_document_source("d", doc([allow(["kms:Decrypt"], ["*"])]))
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
		{"inline_policy": doc([allow(["kms:*"], ["*"])])},
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
	status == {"UNKNOWN"} with input as stk(doc([{"Effect": f.unknown, "Action": ["kms:Decrypt"], "Resource": ["*"]}]))
}

test_unknown_policy_action if {
	status == {"UNKNOWN"} with input as stk(doc([allow(["kms:${?}"], ["*"])]))
	status == {"PASS"} with input as stk(doc([allow(["kms:Gen${?}"], ["*"])]))
	want := concat("", [
		"policy statement #1 Action is unknown (not a literal): ",
		"cannot show that it allows no KMS decryption on every key",
	])
	messages == {want} with input as stk(doc([allow(["kms:${?}"], ["*"])]))
}

test_unknown_policy_notaction if {
	status == {"UNKNOWN"} with input as stk(doc([{"Effect": "Allow", "NotAction": ["${?}"], "Resource": ["*"]}]))
}

test_unknown_policy_resource if {
	status == {"UNKNOWN"} with input as stk(doc([allow(["kms:Decrypt"], [f.unknown])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["kms:Decrypt"], ["${aws_ssm_parameter.p.value}"])]))
	status == {"PASS"} with input as stk(doc([allow(["kms:Decrypt"], ["arn:aws:kms:us-east-1:${?}:key/abc"])]))
}
