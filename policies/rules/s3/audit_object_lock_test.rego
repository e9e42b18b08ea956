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

plan(resources) := object.union(f.stack(resources), {"source": "plan"})

lock_with(values) := object.union(lock, {"values": values})

test_unknown_object_lock_enabled if {
	bucket := f.res("aws_s3_bucket", "audit", {"bucket": "audit", "object_lock_enabled": f.unknown})
	inp := f.stack([bucket, trail, lock])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"object_lock_enabled is unknown (not a literal) on aws_s3_bucket.audit:",
		" cannot show that Object Lock is enabled",
	])}
	{r.message | some r in audit_object_lock.results} == want with input as inp
}

test_unknown_object_lock_enabled_configuration if {
	unlocked := f.res("aws_s3_bucket", "audit", {"bucket": "audit"})
	inp := f.stack([unlocked, trail, lock_with({"object_lock_enabled": f.unknown})])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"UNKNOWN"} with input as inp
}

test_configuration_enabled_passes if {
	unlocked := f.res("aws_s3_bucket", "audit", {"bucket": "audit"})
	inp := f.stack([unlocked, trail, lock_with({"object_lock_enabled": "Enabled"})])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"PASS"} with input as inp
}

inline(block) := f.res("aws_s3_bucket", "audit", {"bucket": "audit", "object_lock_configuration": [block]})

test_unknown_object_lock_configuration_object_lock_enabled if {
	legacy := inline({
		"object_lock_enabled": f.unknown,
		"rule": [{"default_retention": [{"mode": "COMPLIANCE", "days": 365}]}],
	})
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"UNKNOWN"} with input as f.stack([legacy, trail])
}

test_unknown_object_lock_configuration_rule_default_retention_days if {
	legacy := inline({"object_lock_enabled": "Enabled", "rule": [{"default_retention": [{"days": f.unknown}]}]})
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"UNKNOWN"} with input as f.stack([legacy, trail])
}

test_unknown_object_lock_configuration_rule_default_retention_years if {
	legacy := inline({"object_lock_enabled": "Enabled", "rule": [{"default_retention": [{"years": f.unknown}]}]})
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"UNKNOWN"} with input as f.stack([legacy, trail])
}

test_unknown_object_lock_configuration_plan_computed_block if {
	# A new bucket's computed inline block, with no separate resource to say what it will be.
	values := {"bucket": "audit", "object_lock_enabled": true, "object_lock_configuration": f.unknown}
	planned := f.res("aws_s3_bucket", "audit", values)
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"UNKNOWN"} with input as plan([planned, trail])
}

test_plan_computed_inline_block_with_separate_resource_passes if {
	computed := [{
		"object_lock_enabled": f.unknown,
		"rule": [{"default_retention": [{"days": f.unknown, "years": f.unknown}]}],
	}]
	values := {"bucket": "audit", "object_lock_enabled": true, "object_lock_configuration": computed}
	planned := f.res("aws_s3_bucket", "audit", values)
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"PASS"} with input as plan([planned, trail, lock])
}

test_unknown_rule_default_retention_days if {
	inp := f.stack([audit, trail, lock_with({"rule": {"default_retention": {"mode": "COMPLIANCE", "days": f.unknown}}})])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"UNKNOWN"} with input as inp
}

test_unknown_rule_default_retention_days_plan if {
	# Known only after apply: absent from a plan's block that refers to a resource.
	planned := f.res_refs(
		"aws_s3_bucket_object_lock_configuration", "audit_lock",
		{"bucket": "audit", "rule": [{"default_retention": [{"mode": "COMPLIANCE", "years": null}]}]},
		{"rule": ["aws_ssm_parameter.days"]},
	)
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"UNKNOWN"} with input as plan([audit, trail, planned])
}

test_unknown_rule_default_retention_years if {
	years := object.union(object.remove(lock, ["values"]), {"values": {
		"bucket": "${aws_s3_bucket.audit.id}",
		"rule": {"default_retention": {"mode": "COMPLIANCE", "years": f.unknown}},
	}})
	inp := f.stack([audit, trail, years])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"UNKNOWN"} with input as inp
}

test_known_days_pass_whatever_years_is if {
	retention := {"mode": "COMPLIANCE", "days": 365, "years": f.unknown}
	inp := f.stack([audit, trail, lock_with({"rule": {"default_retention": retention}})])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"PASS"} with input as inp
}

test_lock_not_enabled_fails_whatever_retention_is if {
	unlocked := f.res("aws_s3_bucket", "audit", {"bucket": "audit"})
	unknown_days := lock_with({"rule": {"default_retention": {"mode": "COMPLIANCE", "days": f.unknown}}})
	inp := f.stack([unlocked, trail, unknown_days])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"FAIL"} with input as inp
}

unknown_trail(name) := f.res("aws_cloudtrail", "trail", {"name": "trail", "s3_bucket_name": name})

test_unknown_s3_bucket_name if {
	# The trail could deliver to the bucket, which has no Object Lock.
	inp := f.stack([raw, unknown_trail(f.unknown)])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"s3_bucket_name is unknown (not a literal) on aws_cloudtrail.trail: cannot show that the bucket holds",
		" no audit records, which need Object Lock with a default retention",
	])}
	{r.message | some r in audit_object_lock.results} == want with input as inp
}

test_unknown_s3_bucket_name_compliant_bucket_passes if {
	inp := f.stack([audit, lock, unknown_trail(f.unknown)])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"PASS"} with input as inp
}

test_partly_unknown_s3_bucket_name_that_cannot_name_the_bucket_has_no_result if {
	inp := f.stack([raw, unknown_trail("org-trail-${?}")])
	count(f.statuses(audit_object_lock.results, "aws_s3_bucket.raw")) == 0 with input as inp
}

test_unknown_tags_imgsec_purpose if {
	tagged := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "tags": {"imgsec:purpose": f.unknown}})
	f.statuses(audit_object_lock.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([tagged])
}

test_unknown_tags_imgsec_purpose_whole_map if {
	tagged := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "tags": f.unknown})
	f.statuses(audit_object_lock.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([tagged])
}

test_other_unknown_tags_have_no_result if {
	tagged := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "tags": {"owner": f.unknown, "imgsec:purpose": "phi"}})
	count(f.statuses(audit_object_lock.results, "aws_s3_bucket.raw")) == 0 with input as f.stack([tagged])
}

test_unknown_rule_destination_bucket if {
	replica := f.res("aws_s3_bucket", "replica", {"bucket": "audit-replica"})
	replication := f.res_refs(
		"aws_s3_bucket_replication_configuration", "audit_replication",
		{"bucket": "${aws_s3_bucket.audit.id}", "rule": [{"status": "Enabled", "destination": {"bucket": f.unknown}}]},
		{"bucket": ["aws_s3_bucket.audit"]},
	)
	inp := f.stack([audit, trail, lock, replica, replication])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.replica") == {"UNKNOWN"} with input as inp
	f.statuses(audit_object_lock.results, "aws_s3_bucket.audit") == {"PASS"} with input as inp
}

test_plan_replication_destination_reference_is_audit if {
	# Known only after apply in a plan, but the rule block refers to the replica bucket.
	replica := f.res("aws_s3_bucket", "replica", {"bucket": "audit-replica"})
	replication := f.res_refs(
		"aws_s3_bucket_replication_configuration", "audit_replication",
		{"bucket": "audit", "rule": [{"status": "Enabled", "destination": [{"storage_class": "STANDARD"}]}]},
		{"rule": ["aws_s3_bucket.replica"]},
	)
	inp := plan([audit, trail, lock, replica, replication])
	f.statuses(audit_object_lock.results, "aws_s3_bucket.replica") == {"FAIL"} with input as inp
}
