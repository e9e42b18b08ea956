# METADATA
# title: S3 buckets expire objects with a lifecycle rule
# description: >-
#   Every bucket has an Enabled lifecycle rule with an expiration (days or date), so PHI, logs and
#   audit records are not kept forever but removed at the end of the retention period the
#   organization documented. Compliant: an aws_s3_bucket_lifecycle_configuration referring to the
#   bucket with a rule whose status is "Enabled" and whose expiration sets days or date (or, without
#   one, a deprecated inline lifecycle_rule with enabled = true and such an expiration). Expiring
#   only noncurrent versions or delete markers does not count.
# custom:
#   id: IMGSEC-S3-008
#   severity: low
#   controls:
#     - 164.316(b)(2)(i)
#     - 164.310(d)(2)(i)
#   resource_types:
#     - aws_s3_bucket
#   remediation: >-
#     Add an aws_s3_bucket_lifecycle_configuration for the bucket with an Enabled rule whose
#     expiration sets days to the documented retention period (SecureBucket sets 2555 days by default).
package imgsec.rules.s3.lifecycle_expiration

import data.imgsec.lib

configurations(bucket) := lib.related("aws_s3_bucket_lifecycle_configuration", "bucket", bucket)

# Enabled rules of the bucket: the separate resource is authoritative, the inline block counts
# only without one.
enabled_rules(bucket) := [rule |
	some cfg in configurations(bucket)
	some rule in lib.as_array(object.get(cfg.values, "rule", []))
	rule.status == "Enabled"
] if {
	count(configurations(bucket)) > 0
} else := [rule | some rule in inline_rules(bucket); rule.enabled == true]

# The deprecated inline lifecycle_rule blocks of the bucket.
inline_rules(bucket) := [rule |
	some rule in lib.as_array(object.get(bucket.values, "lifecycle_rule", []))
	is_object(rule)
]

_expires(rule) if {
	some e in lib.as_array(object.get(rule, "expiration", []))
	_sets_expiration(e)
}

_sets_expiration(e) if {
	is_number(e.days)
	e.days > 0
}

_sets_expiration(e) if {
	is_string(e.date)
	e.date != ""
}

_has_lifecycle(bucket) if count(configurations(bucket)) > 0

_has_lifecycle(bucket) if count(inline_rules(bucket)) > 0

results contains lib.pass(bucket, "an Enabled lifecycle rule expires objects") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	_any_expires(bucket)
}

results contains lib.fail(bucket, "no aws_s3_bucket_lifecycle_configuration (or inline lifecycle_rule)") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	not _has_lifecycle(bucket)
}

results contains lib.fail(bucket, "no Enabled lifecycle rule sets an expiration (days or date)") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	_has_lifecycle(bucket)
	not _any_expires(bucket)
}

_any_expires(bucket) if {
	some rule in enabled_rules(bucket)
	_expires(rule)
}
