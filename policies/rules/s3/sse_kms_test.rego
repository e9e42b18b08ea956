package imgsec.rules.s3.sse_kms_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.sse_kms

bucket := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

sse(algorithm) := f.res_refs(
	"aws_s3_bucket_server_side_encryption_configuration", "raw_sse",
	{
		"bucket": "${aws_s3_bucket.raw.id}",
		"rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": algorithm}}],
	},
	{"bucket": ["aws_s3_bucket.raw"]},
)

logging := f.res_refs(
	"aws_s3_bucket_logging", "other_logs",
	{"bucket": "other", "target_bucket": "${aws_s3_bucket.raw.id}"},
	{"target_bucket": ["aws_s3_bucket.raw"]},
)

test_kms_passes if {
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([bucket, sse("aws:kms")])
}

test_missing_configuration_fails if {
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket])
}

test_sse_s3_fails_on_data_bucket if {
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket, sse("AES256")])
}

test_sse_s3_passes_on_log_target if {
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([bucket, sse("AES256"), logging])
}

test_plan_literal_bucket_name_relates if {
	# In a plan, the configuration may name the bucket literally instead of by reference.
	literal := f.res("aws_s3_bucket_server_side_encryption_configuration", "raw_sse", {
		"bucket": "raw",
		"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}],
	})
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([bucket, literal])
}

plan(resources) := object.union(f.stack(resources), {"source": "plan"})

test_unknown_rule_apply_server_side_encryption_by_default_sse_algorithm if {
	inp := f.stack([bucket, sse(f.unknown)])
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"rule.apply_server_side_encryption_by_default.sse_algorithm is unknown (not a literal) on",
		" aws_s3_bucket_server_side_encryption_configuration.raw_sse: cannot show that default encryption is SSE-KMS",
	])}
	{r.message | some r in sse_kms.results} == want with input as inp
}

test_unknown_rule_apply_server_side_encryption_by_default_sse_algorithm_plan if {
	# Known only after apply: the plan leaves the value out of a block that refers to a resource.
	cfg := f.res_refs(
		"aws_s3_bucket_server_side_encryption_configuration", "raw_sse",
		{"bucket": "raw", "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": ""}]}]},
		{"rule": ["aws_ssm_parameter.algorithm"]},
	)
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([bucket, cfg])
}

test_unknown_server_side_encryption_configuration_rule_apply_server_side_encryption_by_default_sse_algorithm if {
	rule := {"apply_server_side_encryption_by_default": [{"sse_algorithm": f.unknown}]}
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "server_side_encryption_configuration": [{"rule": [rule]}]})
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([legacy])
}

test_unknown_server_side_encryption_configuration_rule_apply_server_side_encryption_by_default_sse_algorithm_plan if {
	# A new bucket's computed inline block, with no separate resource to say what it will be.
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "server_side_encryption_configuration": f.unknown})
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([planned])
}

test_plan_computed_inline_block_with_separate_resource_passes if {
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "server_side_encryption_configuration": f.unknown})
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"PASS"} with input as plan([planned, sse("aws:kms")])
}

test_unknown_target_bucket if {
	# SSE-S3 is allowed on log targets only, and this logging could deliver to the bucket.
	unknown_target := f.res_refs(
		"aws_s3_bucket_logging", "other_logs",
		{"bucket": "other", "target_bucket": f.unknown},
		{},
	)
	inp := f.stack([bucket, sse("AES256"), unknown_target])
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_target_bucket_does_not_affect_sse_kms_passes if {
	unknown_target := f.res("aws_s3_bucket_logging", "other_logs", {"bucket": "other", "target_bucket": f.unknown})
	inp := f.stack([bucket, sse("aws:kms"), unknown_target])
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_plan_target_bucket_reference_is_known_passes if {
	# In a plan a new bucket's id is known only after apply, but the reference names the bucket.
	to_raw := f.res_refs(
		"aws_s3_bucket_logging", "other_logs",
		{"bucket": "other"},
		{"target_bucket": ["aws_s3_bucket.raw"]},
	)
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"PASS"} with input as plan([bucket, sse("AES256"), to_raw])
}

test_known_conflict_fails_whatever_else_is_unknown if {
	second := object.union(sse(f.unknown), {"address": "aws_s3_bucket_server_side_encryption_configuration.second"})
	third := object.union(sse("AES256"), {"address": "aws_s3_bucket_server_side_encryption_configuration.third"})
	inp := f.stack([bucket, sse("aws:kms"), second, third])
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_known_sse_s3_on_data_bucket_fails_whatever_else_is_unknown if {
	second := object.union(sse(f.unknown), {"address": "aws_s3_bucket_server_side_encryption_configuration.second"})
	inp := f.stack([bucket, sse("AES256"), second])
	f.statuses(sse_kms.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}
