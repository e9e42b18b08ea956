package imgsec.rules.s3.ownership_controls_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.ownership_controls

bucket := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

controls(rule) := f.res_refs(
	"aws_s3_bucket_ownership_controls", "raw_ownership",
	{"bucket": "${aws_s3_bucket.raw.id}", "rule": rule},
	{"bucket": ["aws_s3_bucket.raw"]},
)

test_bucket_owner_enforced_passes if {
	inp := f.stack([bucket, controls({"object_ownership": "BucketOwnerEnforced"})])
	f.statuses(ownership_controls.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_object_writer_fails if {
	inp := f.stack([bucket, controls([{"object_ownership": "ObjectWriter"}])])
	f.statuses(ownership_controls.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_unset_ownership_fails if {
	f.statuses(ownership_controls.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket, controls({})])
}

test_missing_resource_fails if {
	f.statuses(ownership_controls.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket])
}

test_plan_literal_bucket_name_passes if {
	literal := f.res("aws_s3_bucket_ownership_controls", "raw_ownership", {
		"bucket": "raw",
		"rule": [{"object_ownership": "BucketOwnerEnforced"}],
	})
	f.statuses(ownership_controls.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([bucket, literal])
}

test_unknown_rule_object_ownership if {
	inp := f.stack([bucket, controls({"object_ownership": f.unknown})])
	f.statuses(ownership_controls.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_rule_object_ownership_plan if {
	# Known only after apply: the plan leaves the value out of a block that refers to a resource.
	oc := f.res_refs(
		"aws_s3_bucket_ownership_controls", "raw_ownership",
		{"bucket": "raw", "rule": [{}]},
		{"rule": ["aws_ssm_parameter.o"]},
	)
	inp := object.union(f.stack([bucket, oc]), {"source": "plan"})
	f.statuses(ownership_controls.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_rule_object_ownership_block if {
	inp := f.stack([bucket, controls(f.unknown)])
	f.statuses(ownership_controls.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_known_object_writer_fails_whatever_else_is_unknown if {
	inp := f.stack([bucket, controls([{"object_ownership": "ObjectWriter"}, {"object_ownership": f.unknown}])])
	f.statuses(ownership_controls.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}
