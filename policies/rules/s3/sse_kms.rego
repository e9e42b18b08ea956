# METADATA
# title: S3 buckets encrypt by default with SSE-KMS
# description: >-
#   Every bucket's default encryption is SSE-KMS with a customer managed key. SSE-S3 is accepted only
#   on a bucket that receives S3 server access logs, because AWS cannot deliver those logs to an
#   SSE-KMS bucket. The aws_s3_bucket_server_side_encryption_configuration referring to the bucket
#   decides (or, without one, the deprecated inline block). An sse_algorithm that is unknown (a
#   variable, a plan value known only after apply) is UNKNOWN, and so is SSE-S3 on a bucket that is
#   no known log target while some aws_s3_bucket_logging has an unknown target_bucket.
# custom:
#   id: IMGSEC-S3-001
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - rule.apply_server_side_encryption_by_default.sse_algorithm
#     - server_side_encryption_configuration.rule.apply_server_side_encryption_by_default.sse_algorithm
#     - target_bucket
#   peers:
#     - cdk-nag:HIPAA.Security-S3BucketServerSideEncryptionEnabled
#     - cdk-nag:HIPAA.Security-S3DefaultEncryptionKMS
#     - aws-config:s3-bucket-server-side-encryption-enabled
#     - aws-config:s3-default-encryption-kms
#     - prowler:s3_bucket_default_encryption
#   remediation: >-
#     Add an aws_s3_bucket_server_side_encryption_configuration with sse_algorithm "aws:kms" and
#     kms_master_key_id set to the PHI key (SecureBucket does this by default).
package imgsec.rules.s3.sse_kms

import data.imgsec.lib
import data.imgsec.lib.s3

_configurations(bucket) := lib.related("aws_s3_bucket_server_side_encryption_configuration", "bucket", bucket)

_rule_path := "rule.apply_server_side_encryption_by_default.sse_algorithm"

_inline := "server_side_encryption_configuration"

# The default-encryption algorithms that apply to a bucket, as [where, attribute, algorithm] (the
# unknown marker when unknown): separate resources, and the deprecated inline block. A plan shows
# the inline block computed from the separate resource (unknown for a new bucket): unknown inline
# values count only when the bucket has no separate resource.
algorithms(bucket) := {[cfg.address, _rule_path, _algorithm(cfg, "rule", d)] |
	some cfg in _configurations(bucket)
	some rule in s3.instances(s3.value(cfg, "rule"))
	some d in s3.instances(s3.field(cfg, "rule", rule, "apply_server_side_encryption_by_default"))
} | {[bucket.address, concat(".", [_inline, _rule_path]), a] |
	some sse in s3.instances(s3.value(bucket, _inline))
	some rule in s3.instances(s3.field(bucket, _inline, sse, "rule"))
	some d in s3.instances(s3.field(bucket, _inline, rule, "apply_server_side_encryption_by_default"))
	a := _algorithm(bucket, _inline, d)
	_inline_counts(bucket, a)
}

_algorithm(r, top, d) := lib.unknown_marker if {
	s3.unknown_value(r, top, s3.field(r, top, d, "sse_algorithm"))
} else := s3.field(r, top, d, "sse_algorithm")

_inline_counts(_, a) if a != lib.unknown_marker

_inline_counts(bucket, _) if count(_configurations(bucket)) == 0

_known(bucket) := {a | some [_, _, a] in algorithms(bucket); a != lib.unknown_marker}

_sse_s3_on_data_bucket(bucket) if {
	_known(bucket) == {"AES256"}
	not lib.is_log_target(bucket)
}

_failures(bucket) := {"no default encryption configuration"} if {
	count(algorithms(bucket)) == 0
} else := {"conflicting default encryption configurations"} if {
	count(_known(bucket)) > 1
} else := {"default encryption is neither SSE-KMS nor SSE-S3"} if {
	count(_known(bucket)) == 1
	count(_known(bucket) & {"aws:kms", "AES256"}) == 0
} else := {"SSE-S3 (AES256) on a bucket that is not an access log target"} if {
	_sse_s3_on_data_bucket(bucket)
	count(s3.unknown_log_targets) == 0
} else := set()

_unknowns(bucket) := {msg |
	some [where, attr, a] in algorithms(bucket)
	a == lib.unknown_marker
	msg := concat("", [attr, " is unknown (not a literal) on ", where, ": cannot show that default encryption is SSE-KMS"])
} | {msg |
	_sse_s3_on_data_bucket(bucket)
	some logging in s3.unknown_log_targets
	msg := concat("", [
		"target_bucket is unknown (not a literal) on ", logging,
		": cannot show whether the bucket receives server access logs (the only buckets allowed SSE-S3)",
	])
}

_passes(bucket) if {
	count(_failures(bucket)) == 0
	count(_unknowns(bucket)) == 0
}

results contains lib.pass(bucket, "default encryption is SSE-KMS") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	_passes(bucket)
	_known(bucket) == {"aws:kms"}
}

results contains lib.pass(bucket, "SSE-S3 on a server access log target (AWS allows no SSE-KMS there)") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	_passes(bucket)
	_known(bucket) == {"AES256"}
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
