# METADATA
# title: Buckets holding audit records use Object Lock with a default retention
# description: >-
#   A bucket that holds audit records has S3 Object Lock enabled and a default retention, so no one,
#   root included (COMPLIANCE mode), can delete or overwrite audit records before the retention ends.
#   A bucket holds audit records when an aws_cloudtrail delivers to it (s3_bucket_name), when its
#   tags carry imgsec:purpose = audit, or when it is the replication destination of such a bucket.
#   Compliant: object_lock_enabled = true on the bucket (or the deprecated inline
#   object_lock_configuration with object_lock_enabled "Enabled", or object_lock_enabled "Enabled"
#   set on its aws_s3_bucket_object_lock_configuration), and an aws_s3_bucket_object_lock_configuration
#   (or the inline block) whose rule.default_retention sets days or years. Other buckets get no result.
# custom:
#   id: IMGSEC-S3-009
#   severity: medium
#   controls:
#     - 164.312(b)
#     - 164.312(c)(1)
#     - 164.316(b)(2)(i)
#   resource_types:
#     - aws_s3_bucket
#   remediation: >-
#     Create the audit bucket with object_lock_enabled = true and add an
#     aws_s3_bucket_object_lock_configuration with rule { default_retention { mode = "COMPLIANCE",
#     days = <retention> } } (SecureBucket does this with objectLockRetentionDays).
package imgsec.rules.s3.audit_object_lock

import data.imgsec.lib
import data.imgsec.lib.s3

lock_configurations(bucket) := lib.related("aws_s3_bucket_object_lock_configuration", "bucket", bucket)

_inline_blocks(bucket) := [b |
	some b in lib.as_array(object.get(bucket.values, "object_lock_configuration", []))
	is_object(b)
]

lock_enabled(bucket) if bucket.values.object_lock_enabled == true

lock_enabled(bucket) if {
	some b in _inline_blocks(bucket)
	b.object_lock_enabled == "Enabled"
}

lock_enabled(bucket) if {
	some cfg in lock_configurations(bucket)
	cfg.values.object_lock_enabled == "Enabled"
}

# Default retentions set by the configuration resources, or by the inline block.
retentions(bucket) := array.concat(
	[d |
		some cfg in lock_configurations(bucket)
		some rule in lib.as_array(object.get(cfg.values, "rule", []))
		some d in lib.as_array(object.get(rule, "default_retention", []))
	],
	[d |
		some b in _inline_blocks(bucket)
		some rule in lib.as_array(object.get(b, "rule", []))
		some d in lib.as_array(object.get(rule, "default_retention", []))
	],
)

_sets_period(d) if {
	some key in ["days", "years"]
	is_number(d[key])
	d[key] > 0
}

has_default_retention(bucket) if {
	some d in retentions(bucket)
	_sets_period(d)
}

results contains lib.pass(bucket, "Object Lock is enabled with a default retention") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	s3.holds_audit_records(bucket)
	lock_enabled(bucket)
	has_default_retention(bucket)
}

results contains lib.fail(bucket, "holds audit records but object_lock_enabled is not true") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	s3.holds_audit_records(bucket)
	not lock_enabled(bucket)
}

results contains lib.fail(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	s3.holds_audit_records(bucket)
	not has_default_retention(bucket)
	msg := concat("", [
		"holds audit records but has no aws_s3_bucket_object_lock_configuration",
		" with rule.default_retention days or years",
	])
}
