# METADATA
# title: SNS topics are encrypted with KMS
# description: >-
#   Alarm and pipeline notifications can carry resource names, principals and object keys. Every
#   aws_sns_topic must set kms_master_key_id so that messages are encrypted at rest with KMS.
# custom:
#   id: IMGSEC-SNS-001
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - aws_sns_topic
#   remediation: >-
#     Set kms_master_key_id to the PHI key's ARN and allow the publishing services (e.g.
#     cloudwatch.amazonaws.com) kms:GenerateDataKey* and kms:Decrypt in the key policy.
package imgsec.rules.sns.kms

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(topic, "kms_master_key_id is set: messages are encrypted at rest with KMS") if {
	some topic in lib.resources_of("aws_sns_topic")
	attrs.has_value(topic, "kms_master_key_id")
}

results contains lib.fail(topic, "kms_master_key_id is not set: messages are not encrypted with KMS") if {
	some topic in lib.resources_of("aws_sns_topic")
	not attrs.has_value(topic, "kms_master_key_id")
}
