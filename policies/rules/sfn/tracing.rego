# METADATA
# title: Step Functions state machines have X-Ray tracing enabled
# description: >-
#   tracing_configuration.enabled = true traces every execution through the services it calls, so
#   that processing of PHI can be reviewed and failures investigated.
# custom:
#   id: IMGSEC-SFN-002
#   severity: low
#   controls:
#     - 164.308(a)(1)(ii)(D)
#     - 164.312(b)
#   resource_types:
#     - aws_sfn_state_machine
#   remediation: >-
#     Add tracing_configuration { enabled = true } and allow the state machine's role
#     xray:PutTraceSegments, xray:PutTelemetryRecords and xray:GetSampling*.
package imgsec.rules.sfn.tracing

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(machine, "tracing_configuration.enabled is true") if {
	some machine in lib.resources_of("aws_sfn_state_machine")
	_enabled(machine)
}

results contains lib.fail(machine, "tracing_configuration.enabled is not true: executions are not traced") if {
	some machine in lib.resources_of("aws_sfn_state_machine")
	not _enabled(machine)
}

_enabled(machine) if {
	some config in attrs.blocks(machine, "tracing_configuration")
	config.enabled == true
}
