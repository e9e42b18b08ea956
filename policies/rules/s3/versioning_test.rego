package imgsec.rules.s3.versioning_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.versioning

bucket := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

versioning_of(status) := f.res_refs(
	"aws_s3_bucket_versioning", "raw_versioning",
	{"bucket": "${aws_s3_bucket.raw.id}", "versioning_configuration": {"status": status}},
	{"bucket": ["aws_s3_bucket.raw"]},
)

test_enabled_passes if {
	inp := f.stack([bucket, versioning_of("Enabled")])
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_suspended_fails if {
	inp := f.stack([bucket, versioning_of("Suspended")])
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
	{r.message | some r in versioning.results} == {"versioning status is Suspended, not Enabled"} with input as inp
}

test_missing_resource_fails if {
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket])
}

test_plan_literal_list_block_passes if {
	literal := f.res("aws_s3_bucket_versioning", "raw_versioning", {
		"bucket": "raw",
		"versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}],
	})
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([bucket, literal])
}

test_inline_versioning_passes if {
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "versioning": [{"enabled": true}]})
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([legacy])
}

test_inline_versioning_disabled_fails if {
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "versioning": {"enabled": false}})
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([legacy])
}

test_separate_resource_overrides_computed_inline_block if {
	# A plan shows the computed inline block of an existing bucket; the separate resource decides.
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "versioning": [{"enabled": false}]})
	inp := f.stack([planned, versioning_of("Enabled")])
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_other_buckets_versioning_does_not_count if {
	other := f.res("aws_s3_bucket", "other", {"bucket": "other"})
	inp := f.stack([bucket, other, versioning_of("Enabled")])
	f.statuses(versioning.results, "aws_s3_bucket.other") == {"FAIL"} with input as inp
}
