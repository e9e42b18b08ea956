package imgsec.rules.s3.bucket_key_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.bucket_key

bucket := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

sse(algorithm, rule) := f.res_refs(
	"aws_s3_bucket_server_side_encryption_configuration", "raw_sse",
	{
		"bucket": "${aws_s3_bucket.raw.id}",
		"rule": [object.union({"apply_server_side_encryption_by_default": {"sse_algorithm": algorithm}}, rule)],
	},
	{"bucket": ["aws_s3_bucket.raw"]},
)

test_bucket_key_enabled_passes if {
	inp := f.stack([bucket, sse("aws:kms", {"bucket_key_enabled": true})])
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_bucket_key_disabled_fails if {
	inp := f.stack([bucket, sse("aws:kms", {"bucket_key_enabled": false})])
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_bucket_key_absent_fails if {
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket, sse("aws:kms", {})])
}

test_sse_s3_has_no_result if {
	inp := f.stack([bucket, sse("AES256", {})])
	count(f.statuses(bucket_key.results, "aws_s3_bucket.raw")) == 0 with input as inp
}

test_no_encryption_has_no_result if {
	count(f.statuses(bucket_key.results, "aws_s3_bucket.raw")) == 0 with input as f.stack([bucket])
}

test_inline_block_passes if {
	legacy := f.res("aws_s3_bucket", "raw", {
		"bucket": "raw",
		"server_side_encryption_configuration": [{"rule": [{
			"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}],
			"bucket_key_enabled": true,
		}]}],
	})
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([legacy])
}

test_plan_literal_bucket_name_fails if {
	literal := f.res("aws_s3_bucket_server_side_encryption_configuration", "raw_sse", {
		"bucket": "raw",
		"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}], "bucket_key_enabled": false}],
	})
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket, literal])
}

plan(resources) := object.union(f.stack(resources), {"source": "plan"})

legacy(rule) := f.res(
	"aws_s3_bucket", "raw",
	{"bucket": "raw", "server_side_encryption_configuration": [{"rule": [rule]}]},
)

test_unknown_rule_bucket_key_enabled if {
	inp := f.stack([bucket, sse("aws:kms", {"bucket_key_enabled": f.unknown})])
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"rule.bucket_key_enabled is unknown (not a literal) on aws_s3_bucket_server_side_encryption_configuration.raw_sse:",
		" cannot show that the SSE-KMS default encryption uses an S3 Bucket Key",
	])}
	{r.message | some r in bucket_key.results} == want with input as inp
}

test_unknown_rule_bucket_key_enabled_plan if {
	# Known only after apply: absent from a plan's block that refers to a resource.
	cfg := f.res_refs(
		"aws_s3_bucket_server_side_encryption_configuration", "raw_sse",
		{"bucket": "raw", "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]},
		{"rule": ["aws_kms_key.phi"]},
	)
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([bucket, cfg])
}

test_unknown_rule_apply_server_side_encryption_by_default_sse_algorithm if {
	inp := f.stack([bucket, sse(f.unknown, {"bucket_key_enabled": false})])
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_sse_algorithm_with_bucket_key_passes if {
	inp := f.stack([bucket, sse(f.unknown, {"bucket_key_enabled": true})])
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_unknown_server_side_encryption_configuration_rule_bucket_key_enabled if {
	rule := {"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}], "bucket_key_enabled": f.unknown}
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([legacy(rule)])
}

test_unknown_server_side_encryption_configuration_rule_apply_server_side_encryption_by_default_sse_algorithm if {
	rule := {"apply_server_side_encryption_by_default": [{"sse_algorithm": f.unknown}]}
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([legacy(rule)])
}

test_plan_computed_inline_block_with_separate_resource_passes if {
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "server_side_encryption_configuration": f.unknown})
	inp := plan([planned, sse("aws:kms", {"bucket_key_enabled": true})])
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_known_disabled_bucket_key_fails_whatever_else_is_unknown if {
	second := object.union(
		sse("aws:kms", {"bucket_key_enabled": f.unknown}),
		{"address": "aws_s3_bucket_server_side_encryption_configuration.second"},
	)
	inp := f.stack([bucket, sse("aws:kms", {"bucket_key_enabled": false}), second])
	f.statuses(bucket_key.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}
