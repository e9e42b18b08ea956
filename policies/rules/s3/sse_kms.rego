# METADATA
# title: S3 buckets encrypt by default with SSE-KMS
# description: >-
#   Every bucket's default encryption is SSE-KMS with a customer managed key. SSE-S3 is accepted only
#   on a bucket that receives S3 server access logs, because AWS cannot deliver those logs to an
#   SSE-KMS bucket.
# custom:
#   id: IMGSEC-S3-001
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - aws_s3_bucket
#   remediation: >-
#     Add an aws_s3_bucket_server_side_encryption_configuration with sse_algorithm "aws:kms" and
#     kms_master_key_id set to the PHI key (SecureBucket does this by default).
package imgsec.rules.s3.sse_kms

import data.imgsec.lib

# The default-encryption rules that apply to a bucket: separate resources, or the inline block.
algorithms(bucket) := {d.sse_algorithm |
	some cfg in lib.related("aws_s3_bucket_server_side_encryption_configuration", "bucket", bucket)
	some rule in lib.as_array(cfg.values.rule)
	some d in lib.as_array(rule.apply_server_side_encryption_by_default)
} | {d.sse_algorithm |
	some sse in lib.as_array(object.get(bucket.values, "server_side_encryption_configuration", []))
	some rule in lib.as_array(sse.rule)
	some d in lib.as_array(rule.apply_server_side_encryption_by_default)
}

results contains lib.pass(bucket, "default encryption is SSE-KMS") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	algorithms(bucket) == {"aws:kms"}
}

results contains lib.pass(bucket, "SSE-S3 on a server access log target (AWS allows no SSE-KMS there)") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	algorithms(bucket) == {"AES256"}
	lib.is_log_target(bucket)
}

results contains lib.fail(bucket, "SSE-S3 (AES256) on a bucket that is not an access log target") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	algorithms(bucket) == {"AES256"}
	not lib.is_log_target(bucket)
}

results contains lib.fail(bucket, "no default encryption configuration") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(algorithms(bucket)) == 0
}

results contains lib.fail(bucket, "conflicting default encryption configurations") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(algorithms(bucket)) > 1
}

results contains lib.fail(bucket, "default encryption is neither SSE-KMS nor SSE-S3") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(algorithms(bucket)) == 1
	count(algorithms(bucket) & {"aws:kms", "AES256"}) == 0
}
