package imgsec.rules.s3.public_access_block_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.public_access_block

bucket := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

all_true := {
	"block_public_acls": true,
	"block_public_policy": true,
	"ignore_public_acls": true,
	"restrict_public_buckets": true,
}

pab(flags) := f.res_refs(
	"aws_s3_bucket_public_access_block", "raw_pab",
	object.union({"bucket": "${aws_s3_bucket.raw.id}"}, flags),
	{"bucket": ["aws_s3_bucket.raw"]},
)

test_all_flags_pass if {
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([bucket, pab(all_true)])
}

test_one_flag_false_fails if {
	inp := f.stack([bucket, pab(object.union(all_true, {"restrict_public_buckets": false}))])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
	want := {"aws_s3_bucket_public_access_block.raw_pab: not true: restrict_public_buckets"}
	{r.message | some r in public_access_block.results} == want with input as inp
}

test_absent_flag_fails if {
	inp := f.stack([bucket, pab(object.remove(all_true, ["ignore_public_acls"]))])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_missing_resource_fails if {
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket])
}

test_plan_literal_bucket_name_passes if {
	literal := f.res("aws_s3_bucket_public_access_block", "raw_pab", object.union({"bucket": "raw"}, all_true))
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([bucket, literal])
}

test_unknown_block_public_acls if {
	inp := f.stack([bucket, pab(object.union(all_true, {"block_public_acls": f.unknown}))])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"block_public_acls is unknown (not a literal) on aws_s3_bucket_public_access_block.raw_pab:",
		" cannot show that it is true",
	])}
	{r.message | some r in public_access_block.results} == want with input as inp
}

test_unknown_block_public_policy if {
	inp := f.stack([bucket, pab(object.union(all_true, {"block_public_policy": f.unknown}))])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_ignore_public_acls if {
	inp := f.stack([bucket, pab(object.union(all_true, {"ignore_public_acls": f.unknown}))])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_restrict_public_buckets if {
	inp := f.stack([bucket, pab(object.union(all_true, {"restrict_public_buckets": f.unknown}))])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_restrict_public_buckets_plan_reference if {
	# Known only after apply: absent from the plan, but the attribute refers to a resource.
	flags := object.remove(all_true, ["restrict_public_buckets"])
	refs := {"bucket": ["aws_s3_bucket.raw"], "restrict_public_buckets": ["aws_ssm_parameter.p"]}
	p := f.res_refs("aws_s3_bucket_public_access_block", "raw_pab", object.union({"bucket": "raw"}, flags), refs)
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([bucket, p])
}

test_string_true_flags_pass if {
	as_strings := {k: "true" | some k, _ in all_true}
	inp := f.stack([bucket, pab(as_strings)])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_known_false_flag_fails_whatever_else_is_unknown if {
	flags := object.union(all_true, {"block_public_acls": false, "block_public_policy": f.unknown})
	inp := f.stack([bucket, pab(flags)])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
	want := {"aws_s3_bucket_public_access_block.raw_pab: not true: block_public_acls"}
	{r.message | some r in public_access_block.results} == want with input as inp
}

account(flags) := f.res("aws_s3_account_public_access_block", "account", flags)

test_account_level_block_passes if {
	inp95 := f.stack([bucket, account(all_true)])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp95

	# S3 enforces a flag set at either level.
	partial := pab(object.union(all_true, {"restrict_public_buckets": false}))
	inp99 := f.stack([bucket, partial, account({"restrict_public_buckets": true})])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp99
}

test_account_level_block_with_open_flag_fails if {
	inp := f.stack([bucket, account(object.union(all_true, {"block_public_policy": false}))])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
	want := "aws_s3_account_public_access_block.account: not true: block_public_policy"
	{r.message | some r in public_access_block.results} == {want} with input as inp
}

test_unknown_block_public_policy_account_level if {
	inp := f.stack([bucket, account(object.union(all_true, {"block_public_policy": f.unknown}))])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp

	# Known at the bucket's level: the account's unknown flag does not matter.
	inp2 := f.stack([bucket, pab(all_true), account(object.union(all_true, {"block_public_policy": f.unknown}))])
	f.statuses(public_access_block.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp2
}
