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
#   A value that is unknown (a variable, a plan value known only after apply) is UNKNOWN where it
#   decides: the lock flags and retention periods of an audit bucket, and, for a bucket that is not
#   compliant, a trail's s3_bucket_name, the bucket's imgsec:purpose tag or a replication destination
#   that could make it an audit bucket.
# custom:
#   id: IMGSEC-S3-009
#   severity: medium
#   controls:
#     - 164.312(b)
#     - 164.312(c)(1)
#     - 164.316(b)(2)(i)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - object_lock_enabled
#     - object_lock_configuration.object_lock_enabled
#     - object_lock_configuration.rule.default_retention.days
#     - object_lock_configuration.rule.default_retention.years
#     - rule.default_retention.days
#     - rule.default_retention.years
#     - s3_bucket_name
#     - tags.imgsec:purpose
#     - rule.destination.bucket
#   peers:
#     - aws-config:s3-bucket-default-lock-enabled
#   remediation: >-
#     Create the audit bucket with object_lock_enabled = true and add an
#     aws_s3_bucket_object_lock_configuration with rule { default_retention { mode = "COMPLIANCE",
#     days = <retention> } } (SecureBucket does this with objectLockRetentionDays).
package imgsec.rules.s3.audit_object_lock

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.s3

lock_configurations(bucket) := lib.related("aws_s3_bucket_object_lock_configuration", "bucket", bucket)

_inline := "object_lock_configuration"

# The deprecated inline blocks. A plan shows them computed from the separate resource (unknown for a
# new bucket): their unknown values count only when the bucket has no separate resource.
_inline_blocks(bucket) := s3.instances(s3.value(bucket, _inline))

_inline_counts(_, state) if state != "unknown"

_inline_counts(bucket, _) if count(lock_configurations(bucket)) == 0

# What says Object Lock is enabled: [where, attribute, true | false | "unknown"].
_lock_settings(bucket) := (_bucket_setting(bucket) | _inline_settings(bucket)) | _configuration_settings(bucket)

# The provider's default is false.
_bucket_setting(bucket) := {[bucket.address, "object_lock_enabled", attrs.bool(bucket, "object_lock_enabled", false)]}

_inline_settings(bucket) := {[bucket.address, concat(".", [_inline, "object_lock_enabled"]), state] |
	some b in _inline_blocks(bucket)
	state := _enabled(bucket, _inline, s3.field(bucket, _inline, b, "object_lock_enabled"))
	_inline_counts(bucket, state)
}

_configuration_settings(bucket) := {[cfg.address, "object_lock_enabled", state] |
	some cfg in lock_configurations(bucket)
	state := _enabled(cfg, "object_lock_enabled", s3.value(cfg, "object_lock_enabled"))
}

_enabled(r, top, v) := "unknown" if {
	s3.unknown_value(r, top, v)
} else := v == "Enabled"

lock_enabled(bucket) if {
	some [_, _, true] in _lock_settings(bucket)
}

# Default retentions set by the configuration resources, or by the inline block: {resource, top,
# path (for messages), retention}.
retentions(bucket) := array.concat(
	[{"resource": cfg, "top": "rule", "path": "rule.default_retention", "retention": d} |
		some cfg in lock_configurations(bucket)
		some rule in s3.instances(s3.value(cfg, "rule"))
		some d in s3.instances(s3.field(cfg, "rule", rule, "default_retention"))
	],
	[{"resource": bucket, "top": _inline, "path": concat(".", [_inline, "rule.default_retention"]), "retention": d} |
		some b in _inline_blocks(bucket)
		some rule in s3.instances(s3.field(bucket, _inline, b, "rule"))
		some d in s3.instances(s3.field(bucket, _inline, rule, "default_retention"))
	],
)

_period(e, key) := s3.number(e.resource, e.top, s3.field(e.resource, e.top, e.retention, key))

_sets_period(e) if {
	some key in ["days", "years"]
	is_number(_period(e, key))
	_period(e, key) > 0
}

has_default_retention(bucket) if {
	some e in retentions(bucket)
	_sets_period(e)
}

# Retention periods that are unknown and could set one: the attribute paths, and where.
_unknown_periods(bucket) := {[e.resource.address, concat(".", [e.path, key])] |
	some e in retentions(bucket)
	not _sets_period(e)
	some key in ["days", "years"]
	_period(e, key) == "unknown"
	_period_counts(bucket, e)
}

_period_counts(_, e) if e.top == "rule"

_period_counts(bucket, _) if count(lock_configurations(bucket)) == 0

_compliant(bucket) if {
	lock_enabled(bucket)
	has_default_retention(bucket)
}

_failures(bucket) := {"holds audit records but object_lock_enabled is not true" |
	not lock_enabled(bucket)
	not _lock_unknown(bucket)
} | {msg |
	not has_default_retention(bucket)
	count(_unknown_periods(bucket)) == 0
	msg := concat("", [
		"holds audit records but has no aws_s3_bucket_object_lock_configuration",
		" with rule.default_retention days or years",
	])
}

_lock_unknown(bucket) if {
	some [_, _, "unknown"] in _lock_settings(bucket)
}

_unknowns(bucket) := {msg |
	not lock_enabled(bucket)
	some [where, attr, "unknown"] in _lock_settings(bucket)
	msg := concat("", [attr, " is unknown (not a literal) on ", where, ": cannot show that Object Lock is enabled"])
} | {msg |
	not has_default_retention(bucket)
	some [where, attr] in _unknown_periods(bucket)
	msg := concat("", [attr, " is unknown (not a literal) on ", where, ": cannot show that a default retention is set"])
}

results contains lib.pass(bucket, "Object Lock is enabled with a default retention") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	_applies_or_may(bucket)
	_compliant(bucket)
}

results contains lib.fail(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	s3.holds_audit_records(bucket)
	some msg in _failures(bucket)
}

results contains lib.unknown(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	s3.holds_audit_records(bucket)
	count(_failures(bucket)) == 0
	some msg in _unknowns(bucket)
}

# A bucket that may hold audit records once unknown values are known, and is not compliant.
results contains lib.unknown(bucket, concat("", [reason, _maybe_audit])) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	not _compliant(bucket)
	some reason in s3.audit_unknowns(bucket)
}

_applies_or_may(bucket) if s3.holds_audit_records(bucket)

_applies_or_may(bucket) if count(s3.audit_unknowns(bucket)) > 0

_maybe_audit := ": cannot show that the bucket holds no audit records, which need Object Lock with a default retention"
