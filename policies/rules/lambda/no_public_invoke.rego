# METADATA
# title: Lambda permissions do not let anyone invoke a function
# description: >-
#   Checks every aws_lambda_permission. Principal "*" lets any AWS account invoke the function
#   unless the permission is scoped: it passes only with principal_org_id (callers in the
#   organization), source_arn or source_account (only AWS services acting for that resource or
#   account can satisfy those conditions). A service principal (*.amazonaws.com) without source_arn
#   or source_account fails too: any customer's resource of that service could invoke the function
#   (the confused deputy problem). Account, role and user principals pass, including ARNs with
#   unknown parts ("arn:aws:iam::${var.account}:root") and references to roles, users or the caller
#   identity of the stack. UNKNOWN, never PASS: a principal that is unknown and could be "*" or a
#   service principal ("${var.p}"), unless source_arn or source_account scope it whatever it is; a
#   principal "*" or service principal whose source_arn, source_account or principal_org_id is
#   wholly unknown (a variable could be null) and would decide the verdict.
# custom:
#   id: IMGSEC-LMB-005
#   severity: critical
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_lambda_permission
#   inputs:
#     - principal
#     - source_arn
#     - source_account
#     - principal_org_id
#   peers:
#     - aws-config:lambda-function-public-access-prohibited
#     - prowler:awslambda_function_not_publicly_accessible
#   remediation: >-
#     Use a specific principal (a service principal with source_arn and source_account, or an account
#     or role ARN); if "*" is unavoidable, set principal_org_id or source_arn/source_account.
package imgsec.rules.lambda.no_public_invoke

import data.imgsec.lib
import data.imgsec.lib.attrs

_permissions := lib.resources_of("aws_lambda_permission")

# ---- verdicts on a principal whose kind is known ------------------------------------------------

results contains lib.pass(permission, concat("", ["principal ", _principal(permission), " is not public"])) if {
	some permission in _permissions
	_kinds(permission) == {"named"}
}

results contains lib.pass(permission, "principal * is scoped by principal_org_id, source_arn or source_account") if {
	some permission in _permissions
	_kinds(permission) == {"everyone"}
	_verdict(permission, "everyone") == "pass"
}

results contains lib.fail(
	permission,
	concat("", [
		"principal * without principal_org_id, source_arn or source_account: anyone can invoke ",
		_function(permission),
	]),
) if {
	some permission in _permissions
	_kinds(permission) == {"everyone"}
	_verdict(permission, "everyone") == "fail"
}

results contains lib.pass(
	permission,
	concat("", ["service principal ", _principal(permission), " is scoped by source_arn/source_account"]),
) if {
	some permission in _permissions
	_kinds(permission) == {"service"}
	_verdict(permission, "service") == "pass"
}

results contains lib.fail(
	permission,
	concat("", [
		"service principal ", _principal(permission), " without source_arn or source_account: any account's ",
		"resources of that service can invoke ", _function(permission),
	]),
) if {
	some permission in _permissions
	_kinds(permission) == {"service"}
	_verdict(permission, "service") == "fail"
}

results contains lib.unknown(permission, message) if {
	some permission in _permissions
	some kind in _kinds(permission)
	count(_kinds(permission)) == 1
	_verdict(permission, kind) == "unknown"
	some attr in _scopes[kind]
	_scope(permission, attr) == "unknown"
	message := concat("", [attr, " is unknown (not a literal): cannot show that ", _scoped_text[kind]])
}

# ---- a principal that is unknown ----------------------------------------------------------------

results contains lib.pass(
	permission,
	concat("", ["principal ", _principal(permission), " is not public, or scoped by ", concat(", ", scopes)]),
) if {
	some permission in _permissions
	count(_kinds(permission)) > 1
	every kind in _kinds(permission) {
		_verdict(permission, kind) == "pass"
	}
	scopes := [attr | some attr in _scopes.everyone; _scope(permission, attr) == "set"]
}

results contains lib.unknown(
	permission,
	concat("", [
		"principal is unknown (not a literal): cannot show that it is neither * nor an AWS service ",
		"principal without source_arn or source_account",
	]),
) if {
	some permission in _permissions
	count(_kinds(permission)) > 1
	some kind in _kinds(permission)
	_verdict(permission, kind) != "pass"
}

# ---- principals -------------------------------------------------------------------------------

_principal(permission) := trim_space(p) if {
	p := object.get(permission.values, "principal", "")
	is_string(p)
} else := lib.unknown_marker

_function(permission) := name if {
	name := permission.values.function_name
	is_string(name)
	not lib.is_unknown(name)
} else := "the function"

# What the principal can be: "everyone" ("*"), "service" (*.amazonaws.com) or "named" (an account,
# role or user). One kind when it is known; several when unknown parts leave it open.
_kinds(permission) := _ref_kinds(permission.refs.principal) if {
	object.get(permission.values, "principal", null) == null
	count(object.get(permission.refs, "principal", [])) > 0
} else := kinds if {
	kinds := _whole_ref_kinds(_principal(permission))
} else := _text_kinds(_opaque(_principal(permission)))

# Plan: absent, but refers to resources (a role's ARN, ...).
_ref_kinds(targets) := {kind | some target in targets; some kind in _type_kinds(_ref_type(target))}

# "${aws_iam_role.r.arn}": what the referenced resource's type says.
_whole_ref_kinds(p) := _type_kinds(type) if {
	startswith(p, "${")
	endswith(p, "}")
	inner := substring(p, 2, count(p) - 3)
	not contains(inner, "{")
	parts := split(inner, ".")
	type := _inner_type(parts)
	_type_kinds(type) != _all_kinds
}

_inner_type(parts) := parts[1] if parts[0] == "data"

_inner_type(parts) := parts[0] if parts[0] != "data"

_ref_type(address) := parts[count(parts) - 2] if {
	parts := split(address, ".")
}

_named_types := {"aws_iam_role", "aws_iam_user", "aws_caller_identity", "aws_organizations_account"}

_all_kinds := {"everyone", "service", "named"}

_type_kinds(type) := {"named"} if {
	type in _named_types
} else := {"service"} if {
	type == "aws_service_principal"
} else := _all_kinds

_service_suffixes := [".amazonaws.com", ".amazonaws.com.cn"]

_text_kinds(p) := {"everyone"} if {
	p == "*"
} else := {"service"} if {
	some suffix in _service_suffixes
	endswith(p, suffix)
} else := {"named"} if {
	not lib.is_unknown(p)
} else := {kind |
	some kind in _all_kinds
	_may_be(p, kind)
}

_may_be(p, "everyone") if lib.could_be(p, "*")

_may_be(p, "service") if {
	parts := split(p, lib.unknown_marker)
	some suffix in _service_suffixes
	endswith(suffix, parts[count(parts) - 1])
}

_may_be(_, "named")

# `v` with every reference written as unknown: a reference inside a principal can be anything.
_opaque(v) := concat("", array.concat([parts[0]], rest)) if {
	parts := split(v, "${")
	rest := [_opaque_part(p) | some p in array.slice(parts, 1, count(parts))]
}

_opaque_part(p) := concat("", [lib.unknown_marker, substring(p, indexof(p, "}") + 1, -1)]) if {
	indexof(p, "}") >= 0
} else := lib.unknown_marker

# ---- scopes ------------------------------------------------------------------------------------

# The attributes that scope each kind of principal.
_scopes := {
	"everyone": ["source_arn", "source_account", "principal_org_id"],
	"service": ["source_arn", "source_account"],
	"named": [],
}

_scoped_text := {
	"everyone": "principal * is scoped to an organization, account or source",
	"service": "the service principal is scoped to a source account or resource",
}

# "pass", "fail" or "unknown" for one kind of principal.
_verdict(_, "named") := "pass"

_verdict(permission, kind) := "pass" if {
	kind != "named"
	some attr in _scopes[kind]
	_scope(permission, attr) == "set"
} else := "unknown" if {
	kind != "named"
	some attr in _scopes[kind]
	_scope(permission, attr) == "unknown"
} else := "fail" if {
	kind != "named"
}

# A scoping attribute: "set" when written and it cannot turn out empty (a literal, a reference, a
# value with literal parts), "unknown" when wholly unknown, "unset" otherwise.
_scope(permission, attr) := "unknown" if {
	v := object.get(permission.values, attr, null)
	is_string(v)
	lib.is_unknown(v)
	lib.could_be(trim_space(v), "")
} else := "set" if {
	attrs.has_value(permission, attr)
} else := "unset"
