# METADATA
# title: Lambda functions have active X-Ray tracing
# description: >-
#   tracing_config.mode = "Active" records every invocation's path through the pipeline, so that
#   activity on PHI can be reviewed and failures investigated. PassThrough (the default) traces only
#   requests an upstream service already sampled.
# custom:
#   id: IMGSEC-LMB-003
#   severity: low
#   controls:
#     - 164.308(a)(1)(ii)(D)
#     - 164.312(b)
#   resource_types:
#     - aws_lambda_function
#   remediation: >-
#     Add tracing_config { mode = "Active" } and allow xray:PutTraceSegments and
#     xray:PutTelemetryRecords in the execution role.
package imgsec.rules.lambda.tracing

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(fn, "tracing_config.mode is Active") if {
	some fn in lib.resources_of("aws_lambda_function")
	_active(fn)
}

results contains lib.fail(fn, "tracing_config.mode is not Active: invocations are not traced") if {
	some fn in lib.resources_of("aws_lambda_function")
	not _active(fn)
}

_active(fn) if {
	some config in attrs.blocks(fn, "tracing_config")
	config.mode == "Active"
}
