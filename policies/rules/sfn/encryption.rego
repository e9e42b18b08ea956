# METADATA
# title: Step Functions state machines encrypt their data with a customer managed KMS key
# description: >-
#   Execution history holds every state's input and output for 90 days, and the pipeline's inputs
#   and outputs name objects and carry digests and new UIDs. Every aws_sfn_state_machine must have an
#   encryption_configuration with type "CUSTOMER_MANAGED_KMS_KEY" and a kms_key_id naming a customer
#   managed key, so that the key policy decides who can read execution data. Without the block, or
#   with type "AWS_OWNED_KEY", the data is encrypted with a key AWS owns, which no key policy or
#   CloudTrail record of the customer covers. A kms_key_id counts like IMGSEC-SQS-001's (a key or
#   alias of the stack, a literal key ARN, id or alias other than alias/aws/...). When nothing else
#   fails, a block or value that is not known (a variable, a function result, a reference to anything
#   else, a plan value known only after apply) is UNKNOWN.
# custom:
#   id: IMGSEC-SFN-003
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_sfn_state_machine
#   inputs:
#     - encryption_configuration
#     - encryption_configuration.type
#     - encryption_configuration.kms_key_id
#   remediation: >-
#     Add encryption_configuration { type = "CUSTOMER_MANAGED_KMS_KEY", kms_key_id = <PHI key ARN>,
#     kms_data_key_reuse_period_seconds = 300 } and allow the state machine's role kms:Decrypt and
#     kms:GenerateDataKey on the key (with kms:EncryptionContext:aws:states:stateMachineArn), and the
#     log delivery kms:GenerateDataKey when logging to an encrypted log group.
package imgsec.rules.sfn.encryption

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.cmk

_machines := lib.resources_of("aws_sfn_state_machine")

results contains lib.pass(machine, "encryption_configuration uses a customer managed KMS key") if {
	some machine in _machines
	count(_problems(machine)) == 0
	count(_unknowns(machine)) == 0
}

results contains lib.fail(machine, problem) if {
	some machine in _machines
	some problem in _problems(machine)
}

results contains lib.unknown(machine, concat("", [attr, " is unknown (not a literal): cannot show that ", what])) if {
	some machine in _machines
	count(_problems(machine)) == 0
	some attr in _unknowns(machine)
	what := _unknown_means[attr]
}

_unknown_means := {
	"encryption_configuration": "execution data is encrypted with a customer managed key",
	"encryption_configuration.type": "the type is CUSTOMER_MANAGED_KMS_KEY",
	"encryption_configuration.kms_key_id": "it names a customer managed key",
}

_configs(machine) := attrs.blocks(machine, "encryption_configuration")

_problems(machine) := {concat("", [
	"no encryption_configuration: execution history (state input and output) is encrypted ",
	"only with an AWS owned key",
])} if {
	count(_configs(machine)) == 0
	not _block_unknown(machine)
} else := {problem |
	some config in _configs(machine)
	some problem in _config_problems(machine, config)
}

_config_problems(machine, config) := {p |
	_type(machine, config) == "other"
	p := "encryption_configuration.type is not CUSTOMER_MANAGED_KMS_KEY: an AWS owned key encrypts execution data"
} | {p |
	_type(machine, config) != "other"
	_key(machine, config) in {"unset", "aws_managed"}
	p := _key_problem[_key(machine, config)]
}

_key_problem := {
	"unset": "encryption_configuration.kms_key_id is not set",
	"aws_managed": "encryption_configuration.kms_key_id is an AWS managed key (alias/aws/...): use a customer managed key",
}

_unknowns(machine) := ({"encryption_configuration" | _block_unknown(machine)} | {"encryption_configuration.type" |
	some config in _configs(machine)
	_type(machine, config) == "unknown"
}) | {"encryption_configuration.kms_key_id" |
	some config in _configs(machine)
	_type(machine, config) != "other"
	_key(machine, config) == "unknown"
}

# The type: "cmk", "other" (AWS_OWNED_KEY or anything else), or "unknown". In a plan, a value known
# only after apply is absent from the block, which lists references no written value mentions.
_type(machine, config) := "unknown" if {
	not attrs.written(config, "type")
	count(_pending_refs(machine)) > 0
} else := "cmk" if {
	config.type == "CUSTOMER_MANAGED_KMS_KEY"
} else := "unknown" if {
	lib.could_be(object.get(config, "type", null), "CUSTOMER_MANAGED_KMS_KEY")
} else := "unknown" if {
	t := object.get(config, "type", null)
	is_string(t)
	contains(t, "${")
} else := "other"

_key(machine, config) := cmk.value_state(config.kms_key_id, "states") if {
	attrs.written(config, "kms_key_id")
	config.kms_key_id != null
} else := cmk.refs_state(_pending_refs(machine))

_block_unknown(machine) if {
	some b in lib.as_array(object.get(machine.values, "encryption_configuration", []))
	not is_object(b)
	lib.is_unknown(b)
}

_block_unknown(machine) if {
	not attrs.written(machine.values, "encryption_configuration")
	count(object.get(machine.refs, "encryption_configuration", [])) > 0
}

_pending_refs(machine) := [a |
	some a in object.get(machine.refs, "encryption_configuration", [])
	not _mentioned(object.get(machine.values, "encryption_configuration", null), a)
]

_mentioned(v, address) if {
	walk(v, [_, x])
	is_string(x)
	contains(x, concat("", ["${", address]))
}
