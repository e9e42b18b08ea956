# METADATA
# title: Lambda environment variables are encrypted with a customer managed KMS key
# description: >-
#   Environment variables can hold bucket names, endpoints and configuration that must not be
#   readable by anyone who can read the function's configuration. A function with environment
#   variables must set kms_key_arn to a customer managed key. A function without environment
#   variables gets a PASS saying so (positive evidence that nothing needs encrypting). A reference to
#   a key of the stack counts as set, and so does an ARN with only some parts unknown. UNKNOWN, never
#   PASS: a kms_key_arn that is wholly unknown (a variable could be null) on a function with
#   variables, or variables that are unknown (environment = var.env) without a kms_key_arn.
# custom:
#   id: IMGSEC-LMB-004
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#   resource_types:
#     - aws_lambda_function
#   inputs:
#     - environment.variables
#     - kms_key_arn
#   remediation: >-
#     Set kms_key_arn to the PHI key's ARN and allow the execution role kms:Decrypt on it.
package imgsec.rules.lambda.env_kms

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(
	fn,
	"kms_key_arn is set: environment variables are encrypted with a customer managed key",
) if {
	some fn in lib.resources_of("aws_lambda_function")
	_variables(fn) in {"yes", "unknown"}
	_key(fn) == "set"
}

results contains lib.fail(
	fn,
	"environment variables without kms_key_arn: they are encrypted only with the AWS managed key",
) if {
	some fn in lib.resources_of("aws_lambda_function")
	_variables(fn) == "yes"
	_key(fn) == "unset"
}

results contains lib.pass(fn, "no environment variables: nothing to encrypt") if {
	some fn in lib.resources_of("aws_lambda_function")
	_variables(fn) == "no"
}

results contains lib.unknown(fn, concat("", [
	"kms_key_arn is unknown (not a literal): ",
	"cannot show that environment variables are encrypted with a customer managed key",
])) if {
	some fn in lib.resources_of("aws_lambda_function")
	_variables(fn) in {"yes", "unknown"}
	_key(fn) == "unknown"
}

results contains lib.unknown(
	fn,
	"environment.variables is unknown (not a literal): cannot show that there are none to encrypt without kms_key_arn",
) if {
	some fn in lib.resources_of("aws_lambda_function")
	_variables(fn) == "unknown"
	_key(fn) != "set"
}

# Whether the function has environment variables: "yes", "no", or "unknown" (the block or the map
# is itself unknown). In a plan, an environment block that refers to resources has variables.
_variables(fn) := "yes" if {
	some environment in attrs.blocks(fn, "environment")
	variables := object.get(environment, "variables", null)
	is_object(variables)
	count(variables) > 0
} else := "yes" if {
	count(object.get(fn.refs, "environment", [])) > 0
} else := "unknown" if {
	some environment in lib.as_array(object.get(fn.values, "environment", []))
	_unknown_string(environment)
} else := "unknown" if {
	some environment in attrs.blocks(fn, "environment")
	_unknown_string(object.get(environment, "variables", null))
} else := "no"

_unknown_string(v) if {
	is_string(v)
	lib.is_unknown(v)
}

# kms_key_arn: "set" when written and it cannot turn out empty (a literal, a reference to a key, or
# an ARN with some unknown parts), "unknown" when wholly unknown, "unset" otherwise.
_key(fn) := "unknown" if {
	v := object.get(fn.values, "kms_key_arn", null)
	_unknown_string(v)
	lib.could_be(trim_space(v), "")
} else := "set" if {
	attrs.has_value(fn, "kms_key_arn")
} else := "unset"
