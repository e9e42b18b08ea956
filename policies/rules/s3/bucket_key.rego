# METADATA
# title: SSE-KMS buckets use an S3 Bucket Key
# description: >-
#   Every default-encryption rule that uses SSE-KMS (sse_algorithm "aws:kms") sets
#   bucket_key_enabled, so S3 derives object keys from a bucket-level key instead of calling KMS for
#   every object: fewer KMS requests (cost, throttling) and fewer CloudTrail KMS events to review.
#   Buckets without SSE-KMS (SSE-S3 server access log targets, or no encryption configuration, which
#   IMGSEC-S3-001 reports) get no result. A bucket_key_enabled that is unknown (a variable, a plan
#   value known only after apply) on an SSE-KMS rule is UNKNOWN, and so is a rule whose sse_algorithm
#   is unknown unless bucket_key_enabled is true.
# custom:
#   id: IMGSEC-S3-002
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - rule.bucket_key_enabled
#     - rule.apply_server_side_encryption_by_default.sse_algorithm
#     - server_side_encryption_configuration.rule.bucket_key_enabled
#     - server_side_encryption_configuration.rule.apply_server_side_encryption_by_default.sse_algorithm
#   remediation: >-
#     Set bucket_key_enabled = true on the aws:kms rule of the bucket's
#     aws_s3_bucket_server_side_encryption_configuration (SecureBucket does this by default).
package imgsec.rules.s3.bucket_key

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.s3

_configurations(bucket) := lib.related("aws_s3_bucket_server_side_encryption_configuration", "bucket", bucket)

_inline := "server_side_encryption_configuration"

# The bucket's default-encryption rules: separate resources, or the deprecated inline block. Each is
# {resource, top (its top-level attribute), path (for messages), rule}.
sse_rules(bucket) := [{"resource": cfg, "top": "rule", "path": "rule", "rule": rule} |
	some cfg in _configurations(bucket)
	some rule in s3.instances(s3.value(cfg, "rule"))
] if {
	count(_configurations(bucket)) > 0
} else := [{"resource": bucket, "top": _inline, "path": concat(".", [_inline, "rule"]), "rule": rule} |
	some sse in s3.instances(s3.value(bucket, _inline))
	some rule in s3.instances(s3.field(bucket, _inline, sse, "rule"))
]

# The algorithms of a rule (the unknown marker when unknown).
_algorithms(e) := {_algorithm(e, d) |
	some d in s3.instances(s3.field(e.resource, e.top, e.rule, "apply_server_side_encryption_by_default"))
}

_algorithm(e, d) := lib.unknown_marker if {
	s3.unknown_value(e.resource, e.top, s3.field(e.resource, e.top, d, "sse_algorithm"))
} else := s3.field(e.resource, e.top, d, "sse_algorithm")

# The provider's default is false: only a literal true turns the Bucket Key on.
_bucket_key(e) := attrs.bool_value(s3.field(e.resource, e.top, e.rule, "bucket_key_enabled"), false)

# The rules that encrypt with SSE-KMS.
kms_rules(bucket) := [e | some e in sse_rules(bucket); "aws:kms" in _algorithms(e)]

# The rules whose algorithm is unknown: SSE-KMS, or not, once known.
_maybe_kms_rules(bucket) := [e |
	some e in sse_rules(bucket)
	not "aws:kms" in _algorithms(e)
	lib.unknown_marker in _algorithms(e)
]

_applies(bucket) if count(kms_rules(bucket)) > 0

_applies(bucket) if count(_maybe_kms_rules(bucket)) > 0

_failures(bucket) := {"bucket_key_enabled is not true on the SSE-KMS default encryption" |
	some e in kms_rules(bucket)
	_bucket_key(e) == false
}

_unknowns(bucket) := {msg |
	some e in kms_rules(bucket)
	_bucket_key(e) == "unknown"
	msg := concat("", [
		e.path, ".bucket_key_enabled is unknown (not a literal) on ", e.resource.address,
		": cannot show that the SSE-KMS default encryption uses an S3 Bucket Key",
	])
} | {msg |
	some e in _maybe_kms_rules(bucket)
	_bucket_key(e) != true
	msg := concat("", [
		e.path, ".apply_server_side_encryption_by_default.sse_algorithm is unknown (not a literal) on ",
		e.resource.address, ": cannot show that the rule is not SSE-KMS without an S3 Bucket Key",
	])
}

results contains lib.pass(bucket, "bucket_key_enabled is true on the SSE-KMS default encryption") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	_applies(bucket)
	count(_failures(bucket)) == 0
	count(_unknowns(bucket)) == 0
}

results contains lib.fail(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some msg in _failures(bucket)
}

results contains lib.unknown(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(_failures(bucket)) == 0
	some msg in _unknowns(bucket)
}
