package imgsec.rules.s3.audit_object_lock_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.audit_object_lock

audit := f.res("aws_s3_bucket", "audit", {"bucket": "audit", "object_lock_enabled": true})

raw := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

trail := f.res_refs(
	"aws_cloudtrail", "trail",
	{"name": "trail", "s3_bucket_name": "${aws_s3_bucket.audit.id}"},
	{"s3_bucket_name": ["aws_s3_bucket.audit"]},
)

lock := f.res_refs(
	"aws_s3_bucket_object_lock_configuration", "audit_lock",
	{"bucket": "${aws_s3_bucket.audit.id}", "rule": {"default_retention": {"mode": "COMPLIANCE", "days": 2192}}},
	{"bucket": ["aws_s3_bucket.audit"]},
)

test_trail_bucket_with_lock_passes if {
	inp := f.stack([audit, trail, lock])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"PASS"} with input as inp
}

test_other_buckets_have_no_result if {
	count(f.statuses(audit_object_lock.results, "aws_s3_bucket.raw")) == 0 with input as f.stack([audit, raw, trail, lock])
}

test_untagged_bucket_without_trail_has_no_result if {
	inp := f.stack([audit, lock])
	count(f.statuses(audit_object_lock.results, "aws_s3_bucket.audit")) == 0 with input as inp
}

test_lock_not_enabled_fails if {
	unlocked := f.res("aws_s3_bucket", "audit", {"bucket": "audit"})
	inp := f.stack([unlocked, trail, lock])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"FAIL"} with input as inp
}

test_missing_lock_configuration_fails if {
	inp := f.stack([audit, trail])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"FAIL"} with input as inp
}

test_retention_without_period_fails if {
	governance := object.union(lock, {"values": {"rule": [{"default_retention": [{"mode": "GOVERNANCE"}]}]}})
	inp := f.stack([audit, trail, governance])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"FAIL"} with input as inp
}

test_retention_in_years_passes if {
	years := object.union(lock, {"values": {"rule": [{"default_retention": [{"mode": "COMPLIANCE", "years": 7}]}]}})
	inp := f.stack([audit, trail, years])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"PASS"} with input as inp
}

test_audit_tag_makes_bucket_audit if {
	tagged := f.res("aws_s3_bucket", "audit", {"bucket": "audit", "tags": {"imgsec:purpose": "audit"}})
	inp := f.stack([tagged])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"FAIL"} with input as inp
}

test_plan_tags_all_and_literal_names_pass if {
	tagged := f.res("aws_s3_bucket", "audit", {
		"bucket": "audit",
		"object_lock_enabled": true,
		"tags": null,
		"tags_all": {"imgsec:purpose": "audit"},
	})
	literal := f.res("aws_s3_bucket_object_lock_configuration", "audit_lock", {
		"bucket": "audit",
		"rule": [{"default_retention": [{"mode": "COMPLIANCE", "days": 2192, "years": 0}]}],
	})
	inp := f.stack([tagged, literal])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"PASS"} with input as inp
}

test_plan_literal_trail_bucket_name if {
	literal_trail := f.res("aws_cloudtrail", "trail", {"name": "trail", "s3_bucket_name": "audit"})
	inp := f.stack([audit, literal_trail])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"FAIL"} with input as inp
}

test_inline_object_lock_configuration_passes if {
	legacy := f.res("aws_s3_bucket", "audit", {
		"bucket": "audit",
		"object_lock_configuration": [{
			"object_lock_enabled": "Enabled",
			"rule": [{"default_retention": [{"mode": "COMPLIANCE", "days": 365}]}],
		}],
	})
	inp := f.stack([legacy, trail])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"PASS"} with input as inp
}

test_replica_of_audit_bucket_is_audit if {
	replica := f.res("aws_s3_bucket", "replica", {"bucket": "audit-replica"})
	replication := f.res_refs(
		"aws_s3_bucket_replication_configuration", "audit_replication",
		{
			"bucket": "${aws_s3_bucket.audit.id}",
			"rule": [{
				"status": "Enabled",
				"destination": {"bucket": "arn:${data.aws_partition.p.partition}:s3:::audit-replica"},
			}],
		},
		{"bucket": ["aws_s3_bucket.audit"]},
	)
	inp := f.stack([audit, trail, lock, replica, replication])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.replica") == {"FAIL"} with input as inp
}
