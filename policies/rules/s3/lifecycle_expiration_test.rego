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

plan(resources) := object.union(f.stack(resources), {"source": "plan"})

legacy(rules) := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "lifecycle_rule": rules})

test_unknown_rule_status if {
	inp := f.stack([bucket, lifecycle([{"status": f.unknown, "expiration": [{"days": 2555}]}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"rule.status is unknown (not a literal) on aws_s3_bucket_lifecycle_configuration.raw_lifecycle:",
		" cannot show that the lifecycle rule is enabled",
	])}
	{r.message | some r in lifecycle_expiration.results} == want with input as inp
}

test_unknown_rule_expiration_days if {
	inp := f.stack([bucket, lifecycle([{"status": "Enabled", "expiration": [{"days": f.unknown}]}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_rule_expiration_days_plan if {
	# Known only after apply: absent from a plan's block that refers to a resource.
	cfg := f.res_refs(
		"aws_s3_bucket_lifecycle_configuration", "raw_lifecycle",
		{"bucket": "raw", "rule": [{"status": "Enabled", "expiration": [{"date": null}]}]},
		{"rule": ["aws_ssm_parameter.days"]},
	)
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([bucket, cfg])
}

test_unknown_rule_expiration_date if {
	inp := f.stack([bucket, lifecycle([{"status": "Enabled", "expiration": {"date": f.unknown}}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_lifecycle_rule_enabled if {
	inp := f.stack([legacy([{"enabled": f.unknown, "expiration": [{"days": 365}]}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_lifecycle_rule_enabled_plan_computed_block if {
	# A new bucket's computed inline block, with no separate resource to say what it will be.
	inp := plan([f.res("aws_s3_bucket", "raw", {"bucket": "raw", "lifecycle_rule": f.unknown})])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_lifecycle_rule_expiration_days if {
	inp := f.stack([legacy([{"enabled": true, "expiration": [{"days": f.unknown}]}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_lifecycle_rule_expiration_date if {
	inp := f.stack([legacy([{"enabled": true, "expiration": [{"date": f.unknown}]}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_plan_computed_inline_block_with_separate_resource_passes if {
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "lifecycle_rule": f.unknown})
	inp := plan([planned, lifecycle([{"status": "Enabled", "expiration": [{"days": 30}]}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_one_known_expiring_rule_passes_whatever_else_is_unknown if {
	rules := [{"status": f.unknown, "expiration": [{"days": 1}]}, {"status": "Enabled", "expiration": [{"days": 2555}]}]
	inp := f.stack([bucket, lifecycle(rules)])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_unknown_days_on_disabled_rule_fails if {
	# A disabled rule expires nothing, whatever its days.
	inp := f.stack([bucket, lifecycle([{"status": "Disabled", "expiration": [{"days": f.unknown}]}])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_unknown_status_without_expiration_fails if {
	rule := {"status": f.unknown, "noncurrent_version_expiration": [{"noncurrent_days": 90}]}
	inp := f.stack([bucket, lifecycle([rule])])
	f.statuses(lifecycle_expiration.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}
