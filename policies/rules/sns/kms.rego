# METADATA
# title: SNS topics are encrypted with KMS
# description: >-
#   Alarm and pipeline notifications can carry resource names, principals and object keys. Every
#   aws_sns_topic must set kms_master_key_id so that messages are encrypted at rest with KMS. A literal
#   key id, ARN or alias counts, and so does a reference to a KMS key or alias in the same stack (in a
#   plan, also when its ARN is known only after apply). A value that is not a literal (a variable, a
#   function result) or that refers to anything else is UNKNOWN: it may turn out empty.
# custom:
#   id: IMGSEC-SNS-001
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - aws_sns_topic
#   inputs:
#     - kms_master_key_id
#   peers:
#     - cdk-nag:HIPAA.Security-SNSEncryptedKMS
#     - aws-config:sns-encrypted-kms
#     - prowler:sns_topics_kms_encryption_at_rest_enabled
#   remediation: >-
#     Set kms_master_key_id to the PHI key's ARN and allow the publishing services (e.g.
#     cloudwatch.amazonaws.com) kms:GenerateDataKey* and kms:Decrypt in the key policy.
package imgsec.rules.sns.kms

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(topic, "kms_master_key_id is set: messages are encrypted at rest with KMS") if {
	some topic in lib.resources_of("aws_sns_topic")
	attrs.reference_state(topic, "kms_master_key_id", attrs.kms_key_types) == "set"
}

results contains lib.fail(topic, "kms_master_key_id is not set: messages are not encrypted with KMS") if {
	some topic in lib.resources_of("aws_sns_topic")
	attrs.reference_state(topic, "kms_master_key_id", attrs.kms_key_types) == "unset"
}

results contains lib.unknown(
	topic,
	"kms_master_key_id is unknown (not a literal): cannot show that messages are encrypted with KMS",
) if {
	some topic in lib.resources_of("aws_sns_topic")
	attrs.reference_state(topic, "kms_master_key_id", attrs.kms_key_types) == "unknown"
}
