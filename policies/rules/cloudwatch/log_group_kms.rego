# METADATA
# title: CloudWatch log groups are encrypted with a customer managed KMS key
# description: >-
#   Log groups receive CloudTrail events and application logs that can name PHI objects and patients'
#   identifiers. Every aws_cloudwatch_log_group must set kms_key_id so that its data is encrypted with
#   a customer managed key whose use is logged and access-controlled. A literal key ARN counts, and so
#   does a reference to a KMS key or alias in the same stack (in a plan, also when its ARN is known
#   only after apply). A value that is not a literal (a variable, a function result) or that refers
#   to anything else is UNKNOWN: it may turn out empty.
# custom:
#   id: IMGSEC-CW-001
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudwatch_log_group
#   inputs:
#     - kms_key_id
#   peers:
#     - cdk-nag:HIPAA.Security-CloudWatchLogGroupEncrypted
#     - aws-config:cloudwatch-log-group-encrypted
#     - prowler:cloudwatch_log_group_kms_encryption_enabled
#   remediation: >-
#     Set kms_key_id to the PHI key's ARN and allow logs.<region>.amazonaws.com to use the key in its
#     key policy (with a kms:EncryptionContext:aws:logs:arn condition).
package imgsec.rules.cloudwatch.log_group_kms

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(group, "kms_key_id is set: log data is encrypted with a customer managed key") if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	attrs.reference_state(group, "kms_key_id", attrs.kms_key_types) == "set"
}

results contains lib.fail(group, "kms_key_id is not set: log data is encrypted only with a CloudWatch-owned key") if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	attrs.reference_state(group, "kms_key_id", attrs.kms_key_types) == "unset"
}

results contains lib.unknown(
	group,
	"kms_key_id is unknown (not a literal): cannot show that log data is encrypted with a customer managed key",
) if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	attrs.reference_state(group, "kms_key_id", attrs.kms_key_types) == "unknown"
}
