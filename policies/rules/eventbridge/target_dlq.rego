# METADATA
# title: EventBridge targets send undeliverable events to a dead-letter queue
# description: >-
#   The pipeline starts from "object created" events: an event that EventBridge cannot deliver to its
#   target (the state machine throttled, a permission missing) is dropped after its retries unless the
#   target has a dead-letter queue, and the object is then never de-identified, encrypted or audited,
#   with no trace. Every aws_cloudwatch_event_target must have a dead_letter_config whose arn names an
#   SQS queue (a reference to a queue of the stack, or a literal ARN). The block or the arn being
#   unknown (a variable, a reference to another resource's attribute, a plan value known only after
#   apply that refers to no queue) is UNKNOWN.
# custom:
#   id: IMGSEC-EB-001
#   severity: medium
#   controls:
#     - 164.308(a)(7)(ii)(A)
#     - 164.312(c)(1)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudwatch_event_target
#   inputs:
#     - dead_letter_config
#     - dead_letter_config.arn
#   remediation: >-
#     Add dead_letter_config { arn = <KMS-encrypted SQS queue ARN> } (and a retry_policy), allow
#     events.amazonaws.com sqs:SendMessage on the queue for this rule (aws:SourceArn), and alarm on the
#     queue's ApproximateNumberOfMessagesVisible.
package imgsec.rules.eventbridge.target_dlq

import data.imgsec.lib
import data.imgsec.lib.attrs

_targets := lib.resources_of("aws_cloudwatch_event_target")

_queue_types := {"aws_sqs_queue", "data.aws_sqs_queue"}

results contains lib.pass(target, "dead_letter_config sends undeliverable events to an SQS queue") if {
	some target in _targets
	_dlq(target) == "set"
}

results contains lib.fail(
	target,
	"no dead_letter_config: events the target cannot receive are dropped after retries",
) if {
	some target in _targets
	_dlq(target) == "none"
}

results contains lib.fail(target, "dead_letter_config.arn is not set: undeliverable events are dropped") if {
	some target in _targets
	_dlq(target) == "unset"
}

results contains lib.unknown(target, msg) if {
	some target in _targets
	some attr in _unknown[_dlq(target)]
	msg := concat("", [
		attr,
		" is unknown (not a literal): cannot show that undeliverable events reach a dead-letter queue",
	])
}

_unknown := {
	"block_unknown": ["dead_letter_config"],
	"arn_unknown": ["dead_letter_config.arn"],
}

# "set", "none" (no block), "unset" (a block without arn), "block_unknown" or "arn_unknown".
_dlq(target) := "block_unknown" if {
	some b in lib.as_array(object.get(target.values, "dead_letter_config", []))
	not is_object(b)
	lib.is_unknown(b)
} else := "block_unknown" if {
	object.get(target.values, "dead_letter_config", null) == null
	count(object.get(target.refs, "dead_letter_config", [])) > 0
} else := "none" if {
	count(attrs.blocks(target, "dead_letter_config")) == 0
} else := _arn(target)

# Each block's arn: one that is set is enough (Terraform allows one block).
_arn(target) := "set" if {
	some block in attrs.blocks(target, "dead_letter_config")
	_arn_state(target, block) == "set"
} else := "arn_unknown" if {
	some block in attrs.blocks(target, "dead_letter_config")
	_arn_state(target, block) == "unknown"
} else := "unset"

# In a plan, an ARN known only after apply is absent from the block, which lists its references.
_arn_state(target, block) := attrs.value_state(block.arn, _queue_types) if {
	attrs.written(block, "arn")
} else := attrs.after_apply(object.get(target.refs, "dead_letter_config", []), _queue_types)
