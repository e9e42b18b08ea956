# METADATA
# title: Lambda environment variables are encrypted with a customer managed KMS key
# description: >-
#   Environment variables can hold bucket names, endpoints and configuration that must not be
#   readable by anyone who can read the function's configuration. A function with environment
#   variables must set kms_key_arn to a customer managed key. A function without environment
#   variables gets a PASS saying so (positive evidence that nothing needs encrypting).
# custom:
#   id: IMGSEC-LMB-004
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#   resource_types:
#     - aws_lambda_function
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
	_has_variables(fn)
	attrs.has_value(fn, "kms_key_arn")
}

results contains lib.fail(
	fn,
	"environment variables without kms_key_arn: they are encrypted only with the AWS managed key",
) if {
	some fn in lib.resources_of("aws_lambda_function")
	_has_variables(fn)
	not attrs.has_value(fn, "kms_key_arn")
}

results contains lib.pass(fn, "no environment variables: nothing to encrypt") if {
	some fn in lib.resources_of("aws_lambda_function")
	not _has_variables(fn)
}

_has_variables(fn) if {
	some environment in attrs.blocks(fn, "environment")
	attrs.present(object.get(environment, "variables", null))
}
