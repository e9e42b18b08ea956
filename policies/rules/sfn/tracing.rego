# METADATA
# title: Step Functions state machines have X-Ray tracing enabled
# description: >-
#   tracing_configuration.enabled = true traces every execution through the services it calls, so
#   that processing of PHI can be reviewed and failures investigated. Tracing is off by default: only
#   a literal true counts, and a value that is not a literal (a variable, a plan value known only
#   after apply, a tracing_configuration block that is itself unknown) is UNKNOWN.
# custom:
#   id: IMGSEC-SFN-002
#   severity: low
#   controls:
#     - 164.308(a)(1)(ii)(D)
#     - 164.312(b)
#   resource_types:
#     - aws_sfn_state_machine
#   inputs:
#     - tracing_configuration
#     - tracing_configuration.enabled
#   remediation: >-
#     Add tracing_configuration { enabled = true } and allow the state machine's role
#     xray:PutTraceSegments, xray:PutTelemetryRecords and xray:GetSampling*.
package imgsec.rules.sfn.tracing

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(machine, "tracing_configuration.enabled is true") if {
	some machine in lib.resources_of("aws_sfn_state_machine")
	_tracing(machine) == true
}

results contains lib.fail(machine, "tracing_configuration.enabled is not true: executions are not traced") if {
	some machine in lib.resources_of("aws_sfn_state_machine")
	_tracing(machine) == false
}

results contains lib.unknown(machine, concat("", [attr, _cannot_show])) if {
	some machine in lib.resources_of("aws_sfn_state_machine")
	_tracing(machine) == "unknown"
	some attr in _unknowns(machine)
}

_cannot_show := " is unknown (not a literal): cannot show that executions are traced"

# True when some block enables tracing, "unknown" when none does but the block or its value is
# unknown, false otherwise (the provider's default is off).
_tracing(machine) if {
	some config in attrs.blocks(machine, "tracing_configuration")
	_enabled(machine, config) == true
} else := "unknown" if {
	count(_unknowns(machine)) > 0
} else := false

_unknowns(machine) := {"tracing_configuration" | _block_unknown(machine)} | {"tracing_configuration.enabled" |
	some config in attrs.blocks(machine, "tracing_configuration")
	_enabled(machine, config) == "unknown"
}

# In a plan, a value known only after apply is absent, and the block lists references that no
# written value mentions.
_enabled(machine, config) := attrs.bool_value(config.enabled, false) if {
	_written(config, "enabled")
} else := "unknown" if {
	count(_pending_refs(machine)) > 0
} else := false

_block_unknown(machine) if {
	some b in lib.as_array(object.get(machine.values, "tracing_configuration", []))
	not is_object(b)
	lib.is_unknown(b)
}

_block_unknown(machine) if {
	not _written(machine.values, "tracing_configuration")
	count(object.get(machine.refs, "tracing_configuration", [])) > 0
}

_pending_refs(machine) := [a |
	some a in object.get(machine.refs, "tracing_configuration", [])
	not _mentioned(object.get(machine.values, "tracing_configuration", null), a)
]

_mentioned(v, address) if {
	walk(v, [_, x])
	is_string(x)
	contains(x, concat("", ["${", address]))
}

_written(obj, key) if {
	some k, _ in obj
	k == key
}
