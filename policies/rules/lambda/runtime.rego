# METADATA
# title: Lambda functions use a runtime AWS has not deprecated
# description: >-
#   After its deprecation date AWS no longer patches a runtime (language, libraries, OS), so a function
#   processing PHI on it runs code with known, unfixed vulnerabilities. Every aws_lambda_function's
#   runtime is looked up in the deprecation table (policies/lib/lambda_runtimes.rego, from AWS's "Lambda
#   runtimes" documentation) and fails when its deprecation date is on or before the evaluation date:
#   input.params.evaluation_date when set (YYYY-MM-DD, to pin a run), else input.evaluation_date
#   (today, from the engine's clock). Without either date, a runtime deprecated on or before the day the
#   table was reviewed still fails, and a later one is UNKNOWN: the gate cannot tell whether that day
#   has come. A runtime missing from the table (a new one, or a typo) is UNKNOWN until the table knows
#   it. Container image functions (package_type "Image") have no runtime attribute and get no
#   result; a zip function without a runtime fails. An unknown runtime or package_type is UNKNOWN.
# custom:
#   id: IMGSEC-LMB-007
#   severity: high
#   controls:
#     - 164.308(a)(5)(ii)(B)
#     - 164.308(a)(1)(ii)(B)
#   resource_types:
#     - aws_lambda_function
#   inputs:
#     - runtime
#     - package_type
#   remediation: >-
#     Move the function to a supported runtime (nodejs24.x, or nodejs22.x with a reason; python3.13 or
#     later), test it, and redeploy; review policies/lib/lambda_runtimes.rego when AWS announces a
#     deprecation.
package imgsec.rules.lambda.runtime

import data.imgsec.lib
import data.imgsec.lib.lambda_runtimes

_functions := lib.resources_of("aws_lambda_function")

# The evaluation date (YYYY-MM-DD), or undefined when neither the params nor the engine give one.
_today := d if {
	d := object.get(input.params, "evaluation_date", "")
	_is_date(d)
} else := d if {
	d := object.get(input, "evaluation_date", "")
	_is_date(d)
}

_is_date(d) if {
	is_string(d)
	regex.match(`^\d{4}-\d{2}-\d{2}$`, d)
}

# The runtime as written: a literal, or undefined when absent or not a literal.
_runtime(fn) := r if {
	r := object.get(fn.values, "runtime", null)
	is_string(r)
	trim_space(r) != ""
	not contains(r, "${")
}

_runtime_unknown(fn) if {
	r := object.get(fn.values, "runtime", null)
	is_string(r)
	contains(r, "${")
}

_runtime_unknown(fn) if {
	object.get(fn.values, "runtime", null) == null
	count(object.get(fn.refs, "runtime", [])) > 0
}

_runtime_absent(fn) if {
	not _runtime(fn)
	not _runtime_unknown(fn)
}

# "Zip", "Image" or "unknown" (Zip is the provider's default).
_package_type(fn) := "unknown" if {
	lib.is_unknown(object.get(fn.values, "package_type", null))
} else := "unknown" if {
	object.get(fn.values, "package_type", null) == null
	count(object.get(fn.refs, "package_type", [])) > 0
} else := p if {
	p := object.get(fn.values, "package_type", null)
	p != null
} else := "Zip"

results contains lib.pass(fn, msg) if {
	some fn in _functions
	r := _runtime(fn)
	until := lambda_runtimes.deprecated_on[r]
	until > _today
	msg := concat("", ["runtime ", r, " is supported until ", until, " (evaluated on ", _today, ")"])
}

results contains lib.fail(fn, msg) if {
	some fn in _functions
	r := _runtime(fn)
	since := lambda_runtimes.deprecated_on[r]
	since <= _today
	msg := concat("", [
		"runtime ", r, " is deprecated since ", since,
		" (evaluated on ", _today, "): AWS no longer patches it",
	])
}

# No evaluation date: what was deprecated by the table's review date is deprecated now.
results contains lib.fail(fn, msg) if {
	not _today
	some fn in _functions
	r := _runtime(fn)
	since := lambda_runtimes.deprecated_on[r]
	since <= lambda_runtimes.reviewed
	msg := concat("", ["runtime ", r, " is deprecated since ", since, ": AWS no longer patches it"])
}

results contains lib.unknown(fn, msg) if {
	not _today
	some fn in _functions
	r := _runtime(fn)
	until := lambda_runtimes.deprecated_on[r]
	until > lambda_runtimes.reviewed
	msg := concat("", [
		"no evaluation date (input.evaluation_date or params evaluation_date): cannot show that runtime ",
		r, " (deprecated on ", until, ") is still supported",
	])
}

results contains lib.unknown(fn, msg) if {
	some fn in _functions
	r := _runtime(fn)
	not lambda_runtimes.deprecated_on[r]
	msg := concat("", [
		"runtime ", r, " is not in the runtime deprecation table (policies/lib/lambda_runtimes.rego): ",
		"cannot show that AWS still supports it",
	])
}

results contains lib.unknown(fn, "runtime is unknown (not a literal): cannot show that it is not deprecated") if {
	some fn in _functions
	_runtime_unknown(fn)
}

results contains lib.fail(fn, "runtime is not set: a zip function needs a supported runtime") if {
	some fn in _functions
	_runtime_absent(fn)
	_package_type(fn) == "Zip"
}

results contains lib.unknown(
	fn,
	"package_type is unknown (not a literal): cannot show that the function needs no runtime",
) if {
	some fn in _functions
	_runtime_absent(fn)
	_package_type(fn) == "unknown"
}
