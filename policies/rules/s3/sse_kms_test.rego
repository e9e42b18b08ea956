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
