# METADATA
# title: Step Functions state machines log all events, without execution data
# description: >-
#   Every aws_sfn_state_machine must have a logging_configuration with level "ALL" and a
#   log_destination, so that every state transition of the PHI pipeline can be reviewed, and must
#   set include_execution_data = false explicitly: execution data would copy the states' input and
#   output, which can hold PHI, into CloudWatch Logs. The level defaults to OFF. A log destination
#   counts when it is a literal ARN or a reference to a CloudWatch log group in the same stack (in a
#   plan, also when its ARN is known only after apply). When nothing else fails, a block or value that
#   is not known (a variable, a function result, a reference to anything else, a plan value known
#   only after apply) is UNKNOWN.
# custom:
#   id: IMGSEC-SFN-001
#   severity: medium
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_sfn_state_machine
#   inputs:
#     - logging_configuration
#     - logging_configuration.level
#     - logging_configuration.include_execution_data
#     - logging_configuration.log_destination
#   remediation: >-
#     Add logging_configuration { level = "ALL", include_execution_data = false, log_destination =
#     "<KMS-encrypted log group ARN>:*" } and allow the state machine's role the CloudWatch Logs
#     delivery actions.
package imgsec.rules.sfn.logging

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(
	machine,
	"logging_configuration logs ALL events to a log destination without execution data",
) if {
	some machine in lib.resources_of("aws_sfn_state_machine")
	count(_problems(machine)) == 0
	count(_unknowns(machine)) == 0
}

results contains lib.fail(machine, problem) if {
	some machine in lib.resources_of("aws_sfn_state_machine")
	some problem in _problems(machine)
}

results contains lib.unknown(machine, concat("", [attr, " is unknown (not a literal): cannot show that ", what])) if {
	some machine in lib.resources_of("aws_sfn_state_machine")
	count(_problems(machine)) == 0
	some attr in _unknowns(machine)
	what := _unknown_means[attr]
}

_unknown_means := {
	"logging_configuration": "executions are logged",
	"logging_configuration.level": "ALL events are logged",
	"logging_configuration.include_execution_data": "state input and output (PHI) stay out of the logs",
	"logging_configuration.log_destination": "events reach a log group",
}

_configs(machine) := attrs.blocks(machine, "logging_configuration")

_problems(machine) := {"no logging_configuration: executions are not logged"} if {
	count(_configs(machine)) == 0
	not _block_unknown(machine)
} else := {problem |
	some config in _configs(machine)
	some key, problem in _failing
	_check(machine, config, key) == false
}

_unknowns(machine) := {"logging_configuration" | _block_unknown(machine)} | _unknown_values(machine)

_unknown_values(machine) := {concat(".", ["logging_configuration", key]) |
	some config in _configs(machine)
	some key, _ in _failing
	_check(machine, config, key) == "unknown"
}

_failing := {
	"level": "logging_configuration.level is not ALL",
	"include_execution_data": concat("", [
		"logging_configuration.include_execution_data is not false:",
		" state input and output (PHI) reach the logs",
	]),
	"log_destination": "logging_configuration.log_destination is not set",
}

# Each check of a block: true, false, or "unknown". In a plan, a value known only after apply is
# absent from the block, and the block lists references that no written value mentions.
_check(machine, config, "level") := "unknown" if {
	_pending(machine, config, "level")
} else if {
	config.level == "ALL"
} else := "unknown" if {
	_may_be_all(config.level)
} else := false

_check(machine, config, "include_execution_data") := "unknown" if {
	_pending(machine, config, "include_execution_data")
} else := _excluded(attrs.bool_value(object.get(config, "include_execution_data", null), "unset"))

_check(machine, config, "log_destination") := "unknown" if {
	_destination(machine, config) == "unknown"
} else if {
	_destination(machine, config) == "set"
} else := false

# Execution data is kept out of the logs only by a literal false.
_excluded(false) := true

_excluded(true) := false

_excluded("unset") := false

_excluded("unknown") := "unknown"

_pending(machine, config, key) if {
	not attrs.written(config, key)
	count(_pending_refs(machine)) > 0
}

# An unknown level ("${?}") or one taken from another resource's attribute could be ALL.
_may_be_all(v) if lib.could_be(v, "ALL")

_may_be_all(v) if {
	is_string(v)
	contains(v, "${")
	not lib.is_unknown(v)
}

_destination(machine, config) := attrs.value_state(config.log_destination, _log_group_types) if {
	attrs.written(config, "log_destination")
} else := attrs.after_apply(_pending_refs(machine), _log_group_types)

_log_group_types := {"aws_cloudwatch_log_group", "data.aws_cloudwatch_log_group"}

_block_unknown(machine) if {
	some b in lib.as_array(object.get(machine.values, "logging_configuration", []))
	not is_object(b)
	lib.is_unknown(b)
}

_block_unknown(machine) if {
	not attrs.written(machine.values, "logging_configuration")
	count(object.get(machine.refs, "logging_configuration", [])) > 0
}

_pending_refs(machine) := [a |
	some a in object.get(machine.refs, "logging_configuration", [])
	not _mentioned(object.get(machine.values, "logging_configuration", null), a)
]

_mentioned(v, address) if {
	walk(v, [_, x])
	is_string(x)
	contains(x, concat("", ["${", address]))
}
