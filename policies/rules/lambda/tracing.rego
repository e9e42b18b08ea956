# METADATA
# title: Lambda functions have active X-Ray tracing
# description: >-
#   tracing_config.mode = "Active" records every invocation's path through the pipeline, so that
#   activity on PHI can be reviewed and failures investigated. PassThrough (the default) traces only
#   requests an upstream service already sampled, and is what an absent tracing_config means. A mode
#   that is unknown (a variable, a plan value known only after apply) and could be "Active" is
#   UNKNOWN; one that cannot ("PassThrough", "Pass${var.x}") fails.
# custom:
#   id: IMGSEC-LMB-003
#   severity: low
#   controls:
#     - 164.308(a)(1)(ii)(D)
#     - 164.312(b)
#   resource_types:
#     - aws_lambda_function
#   inputs:
#     - tracing_config.mode
#   remediation: >-
#     Add tracing_config { mode = "Active" } and allow xray:PutTraceSegments and
#     xray:PutTelemetryRecords in the execution role.
package imgsec.rules.lambda.tracing

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(fn, "tracing_config.mode is Active") if {
	some fn in lib.resources_of("aws_lambda_function")
	_mode(fn) == "active"
}

results contains lib.fail(fn, "tracing_config.mode is not Active: invocations are not traced") if {
	some fn in lib.resources_of("aws_lambda_function")
	_mode(fn) == "off"
}

results contains lib.unknown(fn, "tracing_config.mode is unknown (not a literal): cannot show that it is Active") if {
	some fn in lib.resources_of("aws_lambda_function")
	_mode(fn) == "unknown"
}

_mode(fn) := "active" if {
	some config in attrs.blocks(fn, "tracing_config")
	config.mode == "Active"
} else := "unknown" if {
	some config in attrs.blocks(fn, "tracing_config")
	mode := object.get(config, "mode", null)
	lib.is_unknown(mode)
	lib.could_be(mode, "Active")
} else := "unknown" if {
	# tracing_config = var.x: the block itself is unknown.
	some config in lib.as_array(object.get(fn.values, "tracing_config", []))
	is_string(config)
	lib.is_unknown(config)
} else := "unknown" if {
	# Plan: the mode refers to a value known only after apply.
	count(object.get(fn.refs, "tracing_config", [])) > 0
	not _mode_written(fn)
} else := "off"

_mode_written(fn) if {
	some config in attrs.blocks(fn, "tracing_config")
	object.get(config, "mode", null) != null
}
