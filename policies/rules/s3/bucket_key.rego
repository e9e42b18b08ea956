# METADATA
# title: SSE-KMS buckets use an S3 Bucket Key
# description: >-
#   Every default-encryption rule that uses SSE-KMS (sse_algorithm "aws:kms") sets
#   bucket_key_enabled, so S3 derives object keys from a bucket-level key instead of calling KMS for
#   every object: fewer KMS requests (cost, throttling) and fewer CloudTrail KMS events to review.
#   Buckets without SSE-KMS (SSE-S3 server access log targets, or no encryption configuration, which
#   IMGSEC-S3-001 reports) get no result.
# custom:
#   id: IMGSEC-S3-002
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#   resource_types:
#     - aws_s3_bucket
#   remediation: >-
#     Set bucket_key_enabled = true on the aws:kms rule of the bucket's
#     aws_s3_bucket_server_side_encryption_configuration (SecureBucket does this by default).
package imgsec.rules.s3.bucket_key

import data.imgsec.lib

# The bucket's default-encryption rules: separate resources, or the deprecated inline block.
sse_rules(bucket) := [rule |
	some cfg in lib.related("aws_s3_bucket_server_side_encryption_configuration", "bucket", bucket)
	some rule in lib.as_array(object.get(cfg.values, "rule", []))
] if {
	count(lib.related("aws_s3_bucket_server_side_encryption_configuration", "bucket", bucket)) > 0
} else := [rule |
	some sse in lib.as_array(object.get(bucket.values, "server_side_encryption_configuration", []))
	some rule in lib.as_array(object.get(sse, "rule", []))
]

# The rules that encrypt with SSE-KMS.
kms_rules(bucket) := [rule |
	some rule in sse_rules(bucket)
	some d in lib.as_array(object.get(rule, "apply_server_side_encryption_by_default", []))
	d.sse_algorithm == "aws:kms"
]

results contains lib.pass(bucket, "bucket_key_enabled is true on the SSE-KMS default encryption") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	rules := kms_rules(bucket)
	count(rules) > 0
	every rule in rules {
		rule.bucket_key_enabled == true
	}
}

results contains lib.fail(bucket, "bucket_key_enabled is not true on the SSE-KMS default encryption") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some rule in kms_rules(bucket)
	object.get(rule, "bucket_key_enabled", false) != true
}
