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
