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
