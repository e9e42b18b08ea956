# METADATA
# title: CloudWatch log groups are encrypted with a customer managed KMS key
# description: >-
#   Log groups receive CloudTrail events and application logs that can name PHI objects and patients'
#   identifiers. Every aws_cloudwatch_log_group must set kms_key_id so that its data is encrypted with
#   a customer managed key whose use is logged and access-controlled.
# custom:
#   id: IMGSEC-CW-001
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudwatch_log_group
#   remediation: >-
#     Set kms_key_id to the PHI key's ARN and allow logs.<region>.amazonaws.com to use the key in its
#     key policy (with a kms:EncryptionContext:aws:logs:arn condition).
package imgsec.rules.cloudwatch.log_group_kms

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(group, "kms_key_id is set: log data is encrypted with a customer managed key") if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	attrs.has_value(group, "kms_key_id")
}

results contains lib.fail(group, "kms_key_id is not set: log data is encrypted only with a CloudWatch-owned key") if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	not attrs.has_value(group, "kms_key_id")
}
