package imgsec.rules.iam.no_admin_phi_access_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.iam.no_admin_phi_access

name := "imgsec-dev-raw-${data.aws_caller_identity.caller.account_id}-us-east-1"

raw := f.res("aws_s3_bucket", "raw", {"bucket": name})

key := f.res("aws_kms_key", "phi", {"description": "PHI"})

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

allow(actions, resources) := {"Effect": "Allow", "Action": actions, "Resource": resources}

stk(d) := f.stack([raw, key, f.res_policies("aws_iam_role_policy", "p", {"policy": "..."}, {"policy": d})])

status := f.statuses(no_admin_phi_access.results, "aws_iam_role_policy.p")

partition := "arn:${data.aws_partition.partition.partition}"

test_scoped_access_passes if {
	status == {"PASS"} with input as stk(doc([
		allow(["s3:GetObject", "s3:PutObject"], [concat("", [partition, ":s3:::", name, "/*"])]),
		allow(["kms:Decrypt", "kms:GenerateDataKey"], ["${aws_kms_key.phi.arn}"]),
		allow(["s3:*"], ["arn:aws:s3:::someone-elses-bucket/*"]),
		allow(["kms:*"], ["arn:aws:kms:us-east-1:123456789012:alias/other"]),
	]))
}

test_s3_star_on_bucket_name_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["s3:*"], [concat("", [partition, ":s3:::", name, "/*"])])]))
}

test_s3_star_on_bucket_reference_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["S3:*"], ["${aws_s3_bucket.raw.arn}"])]))
}

test_star_on_everything_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["*"], ["*"])]))
}

test_s3_star_on_all_buckets_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["s3:*"], ["arn:aws:s3:::*"])]))
	status == {"FAIL"} with input as stk(doc([allow(["s3:*"], [concat("", [partition, ":s3:::imgsec-dev-*/*"])])]))
}

test_s3_star_on_non_matching_wildcard_passes if {
	status == {"PASS"} with input as stk(doc([allow(["s3:*"], ["arn:aws:s3:::other-*"])]))
}

test_kms_star_on_key_reference_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["kms:*"], ["${aws_kms_key.phi.arn}"])]))
}

test_kms_star_on_any_key_fails if {
	status == {"FAIL"} with input as stk(doc([allow(["kms:*"], ["arn:aws:kms:*:*:key/*"])]))
	status == {"FAIL"} with input as stk(doc([allow(["kms:*"], ["*"])]))
}

test_kms_star_on_one_named_key_passes if {
	status == {"PASS"} with input as stk(doc([allow(["kms:*"], ["arn:aws:kms:*:*:key/1234abcd-0000"])]))
}

test_kms_star_on_buckets_only_passes if {
	# kms:* does not apply to S3 resources; s3:* does not apply to keys.
	status == {"PASS"} with input as stk(doc([allow(["kms:*"], ["${aws_s3_bucket.raw.arn}/*"])]))
}

test_not_action_fails_unless_it_excludes_the_service if {
	status == {"FAIL"} with input as stk(doc([{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["*"]}]))
	status == {"FAIL"} with input as stk(doc([{"Effect": "Allow", "NotAction": ["s3:DeleteBucket"], "Resource": ["*"]}]))
	status == {"PASS"} with input as stk(doc([{"Effect": "Allow", "NotAction": ["s3:*", "kms:*"], "Resource": ["*"]}]))
}

test_not_resource_fails_unless_it_excludes_phi if {
	status == {"FAIL"} with input as stk(doc([{"Effect": "Allow", "Action": ["s3:*"], "NotResource": ["arn:aws:s3:::x"]}]))
	excluded := [concat("", ["arn:aws:s3:::", name]), concat("", ["arn:aws:s3:::", name, "/*"])]
	status == {"PASS"} with input as stk(doc([{"Effect": "Allow", "Action": ["s3:*"], "NotResource": excluded}]))
}

test_unknown_document_fails if {
	status == {"FAIL"} with input as stk(null)
}

test_log_target_bucket_is_not_phi if {
	logs := f.res("aws_s3_bucket", "logs", {"bucket": "imgsec-logs"})
	logging := f.res_refs(
		"aws_s3_bucket_logging", "l",
		{"bucket": "${aws_s3_bucket.raw.id}", "target_bucket": "${aws_s3_bucket.logs.id}"},
		{"bucket": ["aws_s3_bucket.raw"], "target_bucket": ["aws_s3_bucket.logs"]},
	)
	p := f.res_policies("aws_iam_policy", "p", {}, {"policy": doc([allow(["s3:*"], ["${aws_s3_bucket.logs.arn}/*"])])})
	results := no_admin_phi_access.results with input as f.stack([raw, logs, logging, p])
	f.statuses(results, "aws_iam_policy.p") == {"PASS"}
}

attachment(type, arn) := f.res(type, "a", {"policy_arn": arn, "role": "${aws_iam_role.r.name}"})

attachment_status(type) := f.statuses(no_admin_phi_access.results, concat(".", [type, "a"]))

test_broad_managed_policy_attachments_fail if {
	some type in [
		"aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment",
		"aws_iam_group_policy_attachment", "aws_iam_policy_attachment",
	]
	some policy in ["AdministratorAccess", "PowerUserAccess", "AmazonS3FullAccess", "AWSKeyManagementServicePowerUser"]
	arn := concat("", ["arn:${data.aws_partition.partition.partition}:iam::aws:policy/", policy])
	attachment_status(type) == {"FAIL"} with input as f.stack([attachment(type, arn)])
}

test_other_attachments_pass if {
	type := "aws_iam_role_policy_attachment"
	arn := "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	attachment_status(type) == {"PASS"} with input as f.stack([attachment(type, arn)])
	attachment_status(type) == {"PASS"} with input as f.stack([attachment(type, "${aws_iam_policy.p.arn}")])
	nested := "arn:aws:iam::aws:policy/job-function/AdministratorAccess"
	attachment_status(type) == {"FAIL"} with input as f.stack([attachment(type, nested)])
}

test_role_managed_policy_arns_fail if {
	role := f.res_policies(
		"aws_iam_role", "r",
		{"managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonS3FullAccess"]},
		{"assume_role_policy": doc([])},
	)
	results := no_admin_phi_access.results with input as f.stack([role])
	f.statuses(results, "aws_iam_role.r") == {"FAIL"}
}

unknown_doc := {"unknown": true, "Statement": []}

test_unknown_policy if {
	status == {"UNKNOWN"} with input as stk(unknown_doc)
	p := f.res_refs("aws_iam_policy", "p", {"name": "p"}, {"policy": ["data.aws_iam_policy_document.d"]})
	results := no_admin_phi_access.results with input as f.stack([raw, p])
	f.statuses(results, "aws_iam_policy.p") == {"UNKNOWN"}
}

test_unknown_inline_policy_policy if {
	role := f.res_policies(
		"aws_iam_role", "r",
		{"inline_policy": [{"name": "a", "policy": f.unknown}]},
		{"assume_role_policy": doc([]), "inline_policy.0": unknown_doc},
	)
	results := no_admin_phi_access.results with input as f.stack([raw, role])
	f.statuses(results, "aws_iam_role.r") == {"UNKNOWN"}
}

test_unknown_policy_effect if {
	s := {"Effect": f.unknown, "Action": ["s3:*"], "Resource": ["${aws_s3_bucket.raw.arn}"]}
	status == {"UNKNOWN"} with input as stk(doc([s]))
}

test_unknown_policy_action if {
	status == {"UNKNOWN"} with input as stk(doc([allow([f.unknown], ["${aws_s3_bucket.raw.arn}/*"])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["s3:${?}"], ["${aws_s3_bucket.raw.arn}/*"])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["kms:${?}"], ["${aws_kms_key.phi.arn}"])]))
	s := object.union(allow([f.unknown], ["${aws_kms_key.phi.arn}"]), {"Sid": "K"})
	want := {concat("", [
		"policy statement \"K\" Action is unknown (not a literal): ",
		"cannot show that it does not grant every kms action on PHI key aws_kms_key.phi",
	])}
	{r.message | some r in no_admin_phi_access.results} == want with input as stk(doc([s]))
}

test_unknown_policy_notaction if {
	s := {"Effect": "Allow", "NotAction": [f.unknown], "Resource": ["${aws_s3_bucket.raw.arn}"]}
	status == {"UNKNOWN"} with input as stk(doc([s]))
}

test_unknown_policy_resource if {
	status == {"UNKNOWN"} with input as stk(doc([allow(["s3:*"], ["arn:aws:s3:::${?}/*"])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["s3:*"], [f.unknown])]))
	status == {"UNKNOWN"} with input as stk(doc([allow(["kms:*"], ["arn:aws:kms:us-east-1:${?}:key/${?}"])]))

	# A reference the rule cannot resolve to a bucket or key is unknown too.
	status == {"UNKNOWN"} with input as stk(doc([allow(["s3:*"], ["arn:aws:s3:::${aws_ssm_parameter.b.value}/*"])]))
}

test_unknown_policy_notresource if {
	s := {"Effect": "Allow", "Action": ["s3:*"], "NotResource": [f.unknown]}
	status == {"UNKNOWN"} with input as stk(doc([s]))
}

test_unknown_policy_arn if {
	type := "aws_iam_role_policy_attachment"
	attachment_status(type) == {"UNKNOWN"} with input as f.stack([attachment(type, f.unknown)])
	attachment_status(type) == {"UNKNOWN"} with input as f.stack([attachment(type, "arn:aws:iam::aws:policy/${?}")])
	unresolved := "${aws_ssm_parameter.p.value}"
	attachment_status(type) == {"UNKNOWN"} with input as f.stack([attachment(type, unresolved)])
}

test_unknown_policy_arn_plan_reference if {
	type := "aws_iam_role_policy_attachment"
	refs := {"policy_arn": ["aws_ssm_parameter.p"]}
	a := f.res_refs(type, "a", {"role": "r"}, refs)
	attachment_status(type) == {"UNKNOWN"} with input as f.stack([a])
}

role_with_arns(arns) := f.res_policies(
	"aws_iam_role", "r",
	{"managed_policy_arns": arns},
	{"assume_role_policy": doc([])},
)

role_status := f.statuses(no_admin_phi_access.results, "aws_iam_role.r")

test_unknown_managed_policy_arns if {
	role_status == {"UNKNOWN"} with input as f.stack([role_with_arns([f.unknown])])
	role_status == {"UNKNOWN"} with input as f.stack([role_with_arns(f.unknown)])
	role_status == {"UNKNOWN"} with input as f.stack([role_with_arns(["arn:aws:iam::aws:policy/ReadOnlyAccess", "${?}"])])
}

test_unknown_managed_policy_arns_plan_reference if {
	role := f.res_refs("aws_iam_role", "r", {}, {"managed_policy_arns": ["aws_iam_policy.p"]})
	results := no_admin_phi_access.results with input as f.stack([role])
	f.statuses(results, "aws_iam_role.r") == {"UNKNOWN"}
}

test_partly_unknown_values_that_cannot_grant_pass if {
	status == {"PASS"} with input as stk(doc([allow(["s3:GetObject"], ["arn:aws:s3:::${?}/*"])]))
	status == {"PASS"} with input as stk(doc([allow(["s3:Get${?}"], ["*"])]))
	status == {"PASS"} with input as stk(doc([allow(["s3:*"], ["arn:aws:s3:::other-${?}/*"])]))
	status == {"PASS"} with input as stk(doc([allow(["s3:*"], ["${aws_s3_bucket.other.arn}/${?}"])]))
	status == {"PASS"} with input as stk(doc([allow(["kms:*"], ["arn:aws:kms:${?}:${?}:alias/other"])]))
	status == {"PASS"} with input as stk(doc([allow(["kms:*"], ["arn:aws:s3:::${?}"])]))
	status == {"PASS"} with input as stk(doc([{"Effect": "Deny", "Action": [f.unknown], "Resource": [f.unknown]}]))
	type := "aws_iam_role_policy_attachment"
	attachment_status(type) == {"PASS"} with input as f.stack([attachment(type, "arn:aws:iam::${?}:policy/custom")])
	basic := "arn:${?}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	attachment_status(type) == {"PASS"} with input as f.stack([attachment(type, basic)])
}

test_plan_reference_to_customer_policy_passes if {
	type := "aws_iam_role_policy_attachment"
	a := f.res_refs(type, "a", {"role": "r"}, {"policy_arn": ["aws_iam_policy.p"]})
	attachment_status(type) == {"PASS"} with input as f.stack([a])
}

test_known_grant_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk(doc([
		allow([f.unknown], [f.unknown]),
		allow(["s3:*"], ["${aws_s3_bucket.raw.arn}/*"]),
	]))
	type := "aws_iam_role_policy_attachment"
	admin := "arn:aws:iam::${?}:policy/AdministratorAccess"
	attachment_status(type) == {"FAIL"} with input as f.stack([attachment(type, admin)])
	role := f.res_policies(
		"aws_iam_role", "r",
		{"managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonS3FullAccess", f.unknown]},
		{"assume_role_policy": doc([])},
	)
	results := no_admin_phi_access.results with input as f.stack([role])
	f.statuses(results, "aws_iam_role.r") == {"FAIL"}
}

partly_unknown_bucket := f.res("aws_s3_bucket", "raw", {"bucket": "imgsec-${?}-raw"})

stk_bucket(bucket, d) := f.stack([bucket, f.res_policies("aws_iam_role_policy", "p", {"policy": "..."}, {"policy": d})])

test_partly_unknown_bucket_name if {
	# A bucket named "imgsec-${var.env}-raw": a literal bucket ARN could name it, a prefix wildcard does.
	literal := doc([allow(["s3:*"], ["arn:aws:s3:::imgsec-prod-raw/*"])])
	status == {"UNKNOWN"} with input as stk_bucket(partly_unknown_bucket, literal)
	status == {"FAIL"} with input as stk_bucket(partly_unknown_bucket, doc([allow(["s3:*"], ["arn:aws:s3:::imgsec-*"])]))
	status == {"PASS"} with input as stk_bucket(partly_unknown_bucket, doc([allow(["s3:*"], ["arn:aws:s3:::other/*"])]))
}

test_generated_bucket_name_fails_on_all_buckets if {
	# No bucket or bucket_prefix: the provider names it terraform-<id>; arn:aws:s3:::* still matches.
	nameless := f.res("aws_s3_bucket", "raw", {"force_destroy": false})
	status == {"FAIL"} with input as stk_bucket(nameless, doc([allow(["s3:*"], ["arn:aws:s3:::*"])]))
	status == {"PASS"} with input as stk_bucket(nameless, doc([allow(["s3:*"], ["arn:aws:s3:::other/*"])]))
	prefixed := f.res("aws_s3_bucket", "raw", {"bucket_prefix": "imgsec-raw-"})
	status == {"FAIL"} with input as stk_bucket(prefixed, doc([allow(["s3:*"], ["arn:aws:s3:::imgsec-*"])]))
	status == {"UNKNOWN"} with input as stk_bucket(prefixed, doc([allow(["s3:*"], ["arn:aws:s3:::imgsec-raw-1/*"])]))
}

data_policy(values) := object.union(
	f.res("aws_iam_policy", "managed", values),
	{"address": "data.aws_iam_policy.managed", "config_address": "data.aws_iam_policy.managed", "mode": "data"},
)

test_data_source_managed_policy_is_resolved if {
	type := "aws_iam_role_policy_attachment"
	a := attachment(type, "${data.aws_iam_policy.managed.arn}")
	attachment_status(type) == {"FAIL"} with input as f.stack([a, data_policy({"name": "AdministratorAccess"})])
	attachment_status(type) == {"PASS"} with input as f.stack([a, data_policy({"name": "ReadOnlyAccess"})])
	attachment_status(type) == {"UNKNOWN"} with input as f.stack([a, data_policy({"name": f.unknown})])

	# The data source itself grants nothing: no result for it.
	inp := f.stack([a, data_policy({"name": "x"})])
	count([r | some r in no_admin_phi_access.results; r.resource == "data.aws_iam_policy.managed"]) == 0 with input as inp
}

test_unknown_policy_action_unresolvable_reference if {
	status == {"UNKNOWN"} with input as stk(doc([allow(["${aws_ssm_parameter.a.value}"], ["${aws_s3_bucket.raw.arn}"])]))
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	status == {"FAIL"} with input as stk(doc([{"Action": ["s3:*"], "Resource": ["${aws_s3_bucket.raw.arn}"]}]))
}

test_unknown_inline_policy_sso if {
	sso := f.res("aws_ssoadmin_permission_set_inline_policy", "s", {"inline_policy": f.unknown})
	results := no_admin_phi_access.results with input as f.stack([raw, key, sso])
	f.statuses(results, "aws_ssoadmin_permission_set_inline_policy.s") == {"UNKNOWN"}
}

test_unknown_managed_policy_arn if {
	sso := f.res("aws_ssoadmin_managed_policy_attachment", "a", {"managed_policy_arn": f.unknown})
	results := no_admin_phi_access.results with input as f.stack([raw, key, sso])
	f.statuses(results, "aws_ssoadmin_managed_policy_attachment.a") == {"UNKNOWN"}
}

test_sso_managed_policy_attachment_fails if {
	arn := "arn:aws:iam::aws:policy/AdministratorAccess"
	sso := f.res("aws_ssoadmin_managed_policy_attachment", "a", {"managed_policy_arn": arn})
	results := no_admin_phi_access.results with input as f.stack([raw, key, sso])
	f.statuses(results, "aws_ssoadmin_managed_policy_attachment.a") == {"FAIL"}
}
