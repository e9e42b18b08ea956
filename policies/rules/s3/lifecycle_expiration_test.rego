package imgsec.rules.s3.lifecycle_expiration_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.lifecycle_expiration

bucket := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

lifecycle(rules) := f.res_refs(
	"aws_s3_bucket_lifecycle_configuration", "raw_lifecycle",
	{"bucket": "${aws_s3_bucket.raw.id}", "rule": rules},
	{"bucket": ["aws_s3_bucket.raw"]},
)

test_enabled_expiration_days_passes if {
	inp := f.stack([bucket, lifecycle([{"id": "r", "status": "Enabled", "expiration": [{"days": 2555}]}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_expiration_date_passes if {
	inp := f.stack([bucket, lifecycle([{"status": "Enabled", "expiration": {"date": "2031-01-01T00:00:00Z"}}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_disabled_rule_fails if {
	inp := f.stack([bucket, lifecycle([{"status": "Disabled", "expiration": [{"days": 2555}]}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_noncurrent_expiration_only_fails if {
	rule := {"status": "Enabled", "noncurrent_version_expiration": [{"noncurrent_days": 90}]}
	inp := f.stack([bucket, lifecycle([rule])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_expired_object_delete_marker_only_fails if {
	rule := {"status": "Enabled", "expiration": [{"expired_object_delete_marker": true}]}
	inp := f.stack([bucket, lifecycle([rule])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_missing_configuration_fails if {
	inp := f.stack([bucket])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_inline_lifecycle_rule_passes if {
	legacy := f.res("aws_s3_bucket", "raw", {
		"bucket": "raw",
		"lifecycle_rule": [{"enabled": true, "expiration": [{"days": 365}]}],
	})
	inp := f.stack([legacy])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_inline_lifecycle_rule_disabled_fails if {
	legacy := f.res("aws_s3_bucket", "raw", {
		"bucket": "raw",
		"lifecycle_rule": [{"enabled": false, "expiration": [{"days": 365}]}],
	})
	inp := f.stack([legacy])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_plan_literal_bucket_name_passes if {
	literal := f.res("aws_s3_bucket_lifecycle_configuration", "raw_lifecycle", {
		"bucket": "raw",
		"rule": [{"status": "Enabled", "expiration": [{"days": 30, "date": null}]}],
	})
	inp := f.stack([bucket, literal])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}
