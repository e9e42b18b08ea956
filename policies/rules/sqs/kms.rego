# METADATA
# title: SQS queues are encrypted with a customer managed KMS key
# description: >-
#   Pipeline queues (dead letters, event batches) carry bucket names and object keys, and object keys
#   can carry PHI (folder names are often patient names). Every aws_sqs_queue must set
#   kms_master_key_id to a customer managed key, whose key policy decides who can read messages and
#   whose use CloudTrail records. SQS-managed encryption (sqs_managed_sse_enabled, the default for new
#   queues) and the AWS managed key alias/aws/sqs fail: their keys are not the customer's to
#   restrict. A reference to a key or alias of the stack counts, and so does a literal key ARN, id or
#   alias other than alias/aws/...; a data source counts by the literal it looks up. A value that is
#   unknown and could be empty or alias/aws/sqs (a variable, "alias/${var.name}") is UNKNOWN.
# custom:
#   id: IMGSEC-SQS-001
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_sqs_queue
#   inputs:
#     - kms_master_key_id
#   remediation: >-
#     Set kms_master_key_id to the PHI key's ARN (and leave sqs_managed_sse_enabled unset), and allow
#     the producers (e.g. events.amazonaws.com, lambda.amazonaws.com) kms:GenerateDataKey and
#     kms:Decrypt on the key.
package imgsec.rules.sqs.kms

import data.imgsec.lib
import data.imgsec.lib.cmk

_state(queue) := cmk.state(queue, "kms_master_key_id", "sqs")

results contains lib.pass(queue, "kms_master_key_id names a customer managed KMS key") if {
	some queue in lib.resources_of("aws_sqs_queue")
	_state(queue) == "cmk"
}

results contains lib.fail(queue, _unset_message(queue)) if {
	some queue in lib.resources_of("aws_sqs_queue")
	_state(queue) == "unset"
}

results contains lib.fail(
	queue,
	"kms_master_key_id is an AWS managed key (alias/aws/...): use a customer managed key",
) if {
	some queue in lib.resources_of("aws_sqs_queue")
	_state(queue) == "aws_managed"
}

results contains lib.unknown(
	queue,
	"kms_master_key_id is unknown (not a literal): cannot show that it names a customer managed key",
) if {
	some queue in lib.resources_of("aws_sqs_queue")
	_state(queue) == "unknown"
}

_unset_message(queue) := concat("", [
	"kms_master_key_id is not set: messages are encrypted only with SQS-managed keys ",
	"(sqs_managed_sse_enabled), not a customer managed key",
]) if {
	object.get(queue.values, "sqs_managed_sse_enabled", null) != false
} else := "kms_master_key_id is not set and sqs_managed_sse_enabled is false: messages are not encrypted"
