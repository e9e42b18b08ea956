# METADATA
# title: Lambda functions have reserved concurrency
# description: >-
#   Reserved concurrency (reserved_concurrent_executions >= 1) guarantees the PHI pipeline capacity
#   when other functions in the account scale, and caps how fast a runaway or abused function can
#   act on PHI. Absent or -1 means unreserved and fails; 0 throttles every invocation (the function
#   is disabled) and fails too. A value that is unknown (a variable, a reference to a resource's
#   attribute, a plan value known only after apply) is UNKNOWN: it cannot be shown to be at least 1.
# custom:
#   id: IMGSEC-LMB-002
#   severity: low
#   controls:
#     - 164.308(a)(7)(ii)(C)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_lambda_function
#   inputs:
#     - reserved_concurrent_executions
#   peers:
#     - cdk-nag:HIPAA.Security-LambdaConcurrency
#   remediation: >-
#     Set reserved_concurrent_executions to the function's expected peak concurrency (at least 1).
package imgsec.rules.lambda.reserved_concurrency

import data.imgsec.lib

results contains lib.pass(fn, concat("", ["reserved_concurrent_executions is ", format_int(n, 10)])) if {
	some fn in lib.resources_of("aws_lambda_function")
	n := _reserved(fn)
	n >= 1
}

results contains lib.fail(
	fn,
	"reserved_concurrent_executions is not set (or -1): the function has no reserved concurrency",
) if {
	some fn in lib.resources_of("aws_lambda_function")
	not _unknown(fn)
	not _at_least_zero(fn)
}

results contains lib.fail(
	fn,
	"reserved_concurrent_executions is 0: every invocation is throttled (the function is disabled)",
) if {
	some fn in lib.resources_of("aws_lambda_function")
	n := _reserved(fn)
	n >= 0
	n < 1
}

results contains lib.unknown(
	fn,
	"reserved_concurrent_executions is unknown (not a literal): cannot show that the function has reserved concurrency",
) if {
	some fn in lib.resources_of("aws_lambda_function")
	_unknown(fn)
}

_at_least_zero(fn) if _reserved(fn) >= 0

_value(fn) := object.get(fn.values, "reserved_concurrent_executions", null)

# A number, or a string of digits (Terraform converts it).
_reserved(fn) := n if {
	n := _value(fn)
	is_number(n)
} else := to_number(trim_space(v)) if {
	v := _value(fn)
	is_string(v)
	regex.match(`^\s*-?[0-9]+\s*$`, v)
}

# Unknown: the marker, or a reference (a value the rule cannot read), or in a plan absent but
# referring to a resource. The provider's default, when it is absent, is -1.
_unknown(fn) if lib.is_unknown(_value(fn))

_unknown(fn) if {
	not _reserved(fn)
	count(object.get(fn.refs, "reserved_concurrent_executions", [])) > 0
}
