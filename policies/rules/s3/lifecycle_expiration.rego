# METADATA
# title: S3 buckets expire objects with a lifecycle rule
# description: >-
#   Every bucket has an Enabled lifecycle rule with an expiration (days or date), so PHI, logs and
#   audit records are not kept forever but removed at the end of the retention period the
#   organization documented. Compliant: an aws_s3_bucket_lifecycle_configuration referring to the
#   bucket with a rule whose status is "Enabled" and whose expiration sets days or date (or, without
#   one, a deprecated inline lifecycle_rule with enabled = true and such an expiration). Expiring
#   only noncurrent versions or delete markers does not count. A status, enabled flag, expiration
#   days or date that is unknown (a variable, a plan value known only after apply) is UNKNOWN when no
#   rule is known to expire objects and some rule could.
# custom:
#   id: IMGSEC-S3-008
#   severity: low
#   controls:
#     - 164.316(b)(2)(i)
#     - 164.310(d)(2)(i)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - rule.status
#     - rule.expiration.days
#     - rule.expiration.date
#     - lifecycle_rule.enabled
#     - lifecycle_rule.expiration.days
#     - lifecycle_rule.expiration.date
#   peers:
#     - aws-config:s3-version-lifecycle-policy-check
#   remediation: >-
#     Add an aws_s3_bucket_lifecycle_configuration for the bucket with an Enabled rule whose
#     expiration sets days to the documented retention period (SecureBucket sets 2555 days by default).
package imgsec.rules.s3.lifecycle_expiration

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.s3

configurations(bucket) := lib.related("aws_s3_bucket_lifecycle_configuration", "bucket", bucket)

# The bucket's lifecycle rules: the separate resource is authoritative, the inline block counts only
# without one (a plan shows it computed from the separate resource). Each is {resource, top (its
# top-level attribute), rule}; an unknown rule is the unknown marker.
rules(bucket) := [{"resource": cfg, "top": "rule", "rule": rule} |
	some cfg in configurations(bucket)
	some rule in s3.instances(s3.value(cfg, "rule"))
] if {
	count(configurations(bucket)) > 0
} else := inline_rules(bucket)

# The deprecated inline lifecycle_rule blocks of the bucket.
inline_rules(bucket) := [{"resource": bucket, "top": "lifecycle_rule", "rule": rule} |
	some rule in s3.instances(s3.value(bucket, "lifecycle_rule"))
]

# Whether a rule is enabled: true, false or "unknown".
_enabled(e) := "unknown" if {
	e.top == "rule"
	s3.unknown_value(e.resource, e.top, s3.field(e.resource, e.top, e.rule, "status"))
} else := s3.field(e.resource, e.top, e.rule, "status") == "Enabled" if {
	e.top == "rule"
} else := attrs.bool_value(s3.field(e.resource, e.top, e.rule, "enabled"), false)

_switch(e) := "status" if e.top == "rule"

_switch(e) := "enabled" if e.top == "lifecycle_rule"

_expirations(e) := s3.instances(s3.field(e.resource, e.top, e.rule, "expiration"))

_days(e, x) := s3.number(e.resource, e.top, s3.field(e.resource, e.top, x, "days"))

_date(e, x) := s3.field(e.resource, e.top, x, "date")

# Why a rule's expiration is unknown: the attribute paths that are unknown and could set it.
_unknown_expiration(e) := {concat(".", [e.top, "expiration.days"]) |
	some x in _expirations(e)
	_days(e, x) == "unknown"
} | {concat(".", [e.top, "expiration.date"]) |
	some x in _expirations(e)
	s3.unknown_value(e.resource, e.top, _date(e, x))
}

_sets_expiration(e, x) if {
	is_number(_days(e, x))
	_days(e, x) > 0
}

_sets_expiration(e, x) if {
	is_string(_date(e, x))
	_date(e, x) != ""
	not s3.unknown_value(e.resource, e.top, _date(e, x))
}

# Whether a rule expires objects: true, false or "unknown".
_expires(e) if {
	some x in _expirations(e)
	_sets_expiration(e, x)
} else := "unknown" if {
	count(_unknown_expiration(e)) > 0
} else := false

_any_expires(bucket) if {
	some e in rules(bucket)
	_enabled(e) == true
	_expires(e) == true
}

_has_lifecycle(bucket) if count(rules(bucket)) > 0

_has_lifecycle(bucket) if count(configurations(bucket)) > 0

# Rules that may be Enabled and expire objects once unknown values are known.
_maybe(bucket) := [e |
	some e in rules(bucket)
	_enabled(e) != false
	_expires(e) != false
]

_unknowns(bucket) := {msg |
	some e in _maybe(bucket)
	_enabled(e) == "unknown"
	msg := concat("", [
		e.top, ".", _switch(e), " is unknown (not a literal) on ", e.resource.address,
		": cannot show that the lifecycle rule is enabled",
	])
} | {msg |
	some e in _maybe(bucket)
	_expires(e) == "unknown"
	some attr in _unknown_expiration(e)
	msg := concat("", [
		attr, " is unknown (not a literal) on ", e.resource.address,
		": cannot show that the rule expires objects",
	])
}

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
	count(_maybe(bucket)) == 0
}

results contains lib.unknown(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	not _any_expires(bucket)
	count(_maybe(bucket)) > 0
	some msg in _unknowns(bucket)
}
