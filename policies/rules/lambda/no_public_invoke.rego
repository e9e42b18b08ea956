# METADATA
# title: Lambda permissions do not let anyone invoke a function
# description: >-
#   Checks every aws_lambda_permission. Principal "*" lets any AWS account invoke the function
#   unless the permission is scoped: it passes only with principal_org_id (callers in the
#   organization), source_arn or source_account (only AWS services acting for that resource or
#   account can satisfy those conditions). A service principal (*.amazonaws.com) without source_arn
#   or source_account fails too: any customer's resource of that service could invoke the function
#   (the confused deputy problem). Account, role and user principals pass.
# custom:
#   id: IMGSEC-LMB-005
#   severity: critical
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_lambda_permission
#   remediation: >-
#     Use a specific principal (a service principal with source_arn and source_account, or an account
#     or role ARN); if "*" is unavoidable, set principal_org_id or source_arn/source_account.
package imgsec.rules.lambda.no_public_invoke

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(permission, concat("", ["principal ", _principal(permission), " is not public"])) if {
	some permission in lib.resources_of("aws_lambda_permission")
	not _everyone(permission)
	not _service(permission)
}

results contains lib.pass(permission, "principal * is scoped by principal_org_id, source_arn or source_account") if {
	some permission in lib.resources_of("aws_lambda_permission")
	_everyone(permission)
	_scoped(permission)
}

results contains lib.fail(
	permission,
	concat("", [
		"principal * without principal_org_id, source_arn or source_account: anyone can invoke ",
		_function(permission),
	]),
) if {
	some permission in lib.resources_of("aws_lambda_permission")
	_everyone(permission)
	not _scoped(permission)
}

results contains lib.pass(
	permission,
	concat("", ["service principal ", principal, " is scoped by source_arn/source_account"]),
) if {
	some permission in lib.resources_of("aws_lambda_permission")
	_service(permission)
	_source_scoped(permission)
	principal := _principal(permission)
}

results contains lib.fail(
	permission,
	concat("", [
		"service principal ", principal, " without source_arn or source_account: any account's ",
		"resources of that service can invoke ", _function(permission),
	]),
) if {
	some permission in lib.resources_of("aws_lambda_permission")
	_service(permission)
	not _source_scoped(permission)
	principal := _principal(permission)
}

_principal(permission) := trim_space(object.get(permission.values, "principal", ""))

_function(permission) := name if {
	name := permission.values.function_name
	is_string(name)
} else := "the function"

_everyone(permission) if _principal(permission) == "*"

_service(permission) if endswith(_principal(permission), ".amazonaws.com")

_service(permission) if endswith(_principal(permission), ".amazonaws.com.cn")

_source_scoped(permission) if attrs.has_value(permission, "source_arn")

_source_scoped(permission) if attrs.has_value(permission, "source_account")

_scoped(permission) if _source_scoped(permission)

_scoped(permission) if attrs.has_value(permission, "principal_org_id")
