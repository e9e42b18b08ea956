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

plan(resources) := object.union(f.stack(resources), {"source": "plan"})

test_unknown_versioning_configuration_status if {
	inp := f.stack([bucket, versioning_of(f.unknown)])
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"versioning_configuration.status is unknown (not a literal) on aws_s3_bucket_versioning.raw_versioning:",
		" cannot show that versioning is Enabled",
	])}
	{r.message | some r in versioning.results} == want with input as inp
}

test_unknown_versioning_configuration_status_reference if {
	# A reference the normalizer keeps, to a value no rule resolves.
	v := f.res_refs(
		"aws_s3_bucket_versioning", "raw_versioning",
		{"bucket": "${aws_s3_bucket.raw.id}", "versioning_configuration": {"status": "${aws_ssm_parameter.s.value}"}},
		{"bucket": ["aws_s3_bucket.raw"], "versioning_configuration": ["aws_ssm_parameter.s"]},
	)
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([bucket, v])
}

test_unknown_versioning_configuration_status_plan if {
	# Known only after apply: the plan leaves the status out of a block that refers to a resource.
	v := f.res_refs(
		"aws_s3_bucket_versioning", "raw_versioning",
		{"bucket": "raw", "versioning_configuration": [{"mfa_delete": ""}]},
		{"versioning_configuration": ["aws_ssm_parameter.s"]},
	)
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([bucket, v])
}

test_unknown_versioning_configuration_status_plan_block if {
	v := f.res_refs(
		"aws_s3_bucket_versioning", "raw_versioning",
		{"bucket": "raw"},
		{"versioning_configuration": ["aws_ssm_parameter.s"]},
	)
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([bucket, v])
}

test_unknown_versioning_enabled if {
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "versioning": [{"enabled": f.unknown}]})
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([legacy])
}

test_unknown_versioning_enabled_plan_computed_block if {
	# A plan shows a new bucket's inline block as known only after apply; without the separate
	# resource nothing else says what it will be.
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "versioning": f.unknown})
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([planned])
}

test_plan_unknown_inline_block_with_separate_resource_passes if {
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "versioning": f.unknown})
	inp := plan([planned, versioning_of("Enabled")])
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_inline_string_true_passes if {
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "versioning": [{"enabled": "true"}]})
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([legacy])
}

test_known_suspended_fails_whatever_else_is_unknown if {
	other := object.union(versioning_of(f.unknown), {"address": "aws_s3_bucket_versioning.other", "name": "other"})
	inp := f.stack([bucket, versioning_of("Suspended"), other])
	f.statuses(versioning.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}
