# METADATA
# title: Step Functions state machines log all events, without execution data
# description: >-
#   Every aws_sfn_state_machine must have a logging_configuration with level "ALL" and a
#   log_destination, so that every state transition of the PHI pipeline can be reviewed, and must
#   set include_execution_data = false explicitly: execution data would copy the states' input and
#   output, which can hold PHI, into CloudWatch Logs.
# custom:
#   id: IMGSEC-SFN-001
#   severity: medium
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_sfn_state_machine
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
}

results contains lib.fail(machine, problem) if {
	some machine in lib.resources_of("aws_sfn_state_machine")
	some problem in _problems(machine)
}

_problems(machine) := {"no logging_configuration: executions are not logged"} if {
	count(attrs.blocks(machine, "logging_configuration")) == 0
} else := {problem |
	some config in attrs.blocks(machine, "logging_configuration")
	some problem in _config_problems(machine, config)
}

_config_problems(machine, config) := {check[1] |
	some check in [
		[object.get(config, "level", "OFF") == "ALL", "logging_configuration.level is not ALL"],
		[
			object.get(config, "include_execution_data", null) == false,
			"logging_configuration.include_execution_data is not false: state input and output (PHI) reach the logs",
		],
		[_has_destination(machine, config), "logging_configuration.log_destination is not set"],
	]
	check[0] == false
}

_has_destination(_, config) if attrs.present(object.get(config, "log_destination", null))

_has_destination(machine, _) if count(object.get(machine.refs, "logging_configuration", [])) > 0

_has_destination(machine, config) := false if {
	not attrs.present(object.get(config, "log_destination", null))
	count(object.get(machine.refs, "logging_configuration", [])) == 0
}
