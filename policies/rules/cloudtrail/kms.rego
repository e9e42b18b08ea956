# METADATA
# title: CloudTrail logs are encrypted with a customer managed KMS key
# description: >-
#   A trail's kms_key_id must be set, so that log files (which name PHI objects and principals) are
#   encrypted with SSE-KMS under a key whose use is itself logged and access-controlled, rather than
#   the bucket's default encryption alone. A literal key id, ARN or alias counts, and so does a
#   reference to a KMS key or alias in the same stack (in a plan, also when its ARN is known only
#   after apply). A value that is not a literal (a variable, a function result) or that refers to
#   anything else (an SSM parameter, ...) is UNKNOWN: it may turn out empty.
# custom:
#   id: IMGSEC-CT-003
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudtrail
#   inputs:
#     - kms_key_id
#   peers:
#     - cdk-nag:HIPAA.Security-CloudTrailEncryptionEnabled
#     - aws-config:cloud-trail-encryption-enabled
#     - prowler:cloudtrail_kms_encryption_enabled
#   remediation: >-
#     Set kms_key_id on the trail to the PHI key's ARN and allow cloudtrail.amazonaws.com to use the
#     key (kms:GenerateDataKey*) in the key policy.
package imgsec.rules.cloudtrail.kms

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(trail, "kms_key_id is set: log files are encrypted with SSE-KMS") if {
	some trail in lib.resources_of("aws_cloudtrail")
	attrs.reference_state(trail, "kms_key_id", attrs.kms_key_types) == "set"
}

results contains lib.fail(trail, "kms_key_id is not set: log files are not encrypted with a customer managed key") if {
	some trail in lib.resources_of("aws_cloudtrail")
	attrs.reference_state(trail, "kms_key_id", attrs.kms_key_types) == "unset"
}

results contains lib.unknown(
	trail,
	"kms_key_id is unknown (not a literal): cannot show that log files are encrypted with a customer managed key",
) if {
	some trail in lib.resources_of("aws_cloudtrail")
	attrs.reference_state(trail, "kms_key_id", attrs.kms_key_types) == "unknown"
}
