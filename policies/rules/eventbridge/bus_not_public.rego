# METADATA
# title: EventBridge event buses do not accept events from everyone
# description: >-
#   An event bus that anyone can put events on lets any AWS account start the pipeline on objects it
#   names, or flood it. No aws_cloudwatch_event_bus_policy may have an Allow statement for principal
#   "*" (or {"AWS": "*"}, or NotPrincipal) without a Condition that restricts it to an account,
#   organization or source (aws:PrincipalOrgID, aws:SourceAccount, aws:SourceArn... with
#   StringEquals/StringLike/ArnEquals/ArnLike and a value other than "*"), and no
#   aws_cloudwatch_event_permission may grant principal "*" without a condition block. A policy that
#   is not JSON fails. A policy that is unknown (a variable, jsonencode(...), a data source's json, a
#   plan value known only after apply), a statement whose Effect, Principal or Condition value is
#   unknown and could open the bus, or a permission whose principal or condition value is unknown and
#   could be "*", is UNKNOWN.
# custom:
#   id: IMGSEC-EB-002
#   severity: high
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_cloudwatch_event_bus_policy
#     - aws_cloudwatch_event_permission
#   inputs:
#     - policy
#     - policy.Effect
#     - policy.Principal
#     - policy.Condition
#     - principal
#     - condition.value
#   remediation: >-
#     Name the accounts or roles that may put events (Principal { AWS = <account or role ARN> }), or
#     restrict principal "*" with aws:PrincipalOrgID; for aws_cloudwatch_event_permission use a
#     specific principal or a condition { key = "aws:PrincipalOrgID", type = "StringEquals", value =
#     <organization id> }.
package imgsec.rules.eventbridge.bus_not_public

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.iam
import data.imgsec.lib.s3

# ---- aws_cloudwatch_event_bus_policy ----------------------------------------------------------

_policies := lib.resources_of("aws_cloudwatch_event_bus_policy")

_document(p) := iam.document(p, "policy")

_known(doc) if {
	doc != null
	not lib.document_unknown(doc)
}

_where(st) := concat("", ["policy statement \"", st.Sid, "\""]) if {
	is_string(st.Sid)
} else := "a policy statement"

# ---- aws_cloudwatch_event_permission ----------------------------------------------------------

_permissions := lib.resources_of("aws_cloudwatch_event_permission")

# "everyone", "named" or "unknown" (unknown parts that could be "*", or a reference no rule reads).
_principal(permission) := "unknown" if {
	object.get(permission.values, "principal", null) == null
	count(object.get(permission.refs, "principal", [])) > 0
} else := "everyone" if {
	permission.values.principal == "*"
} else := "unknown" if {
	lib.could_be(iam.opaque(permission.values.principal, "principals"), "*")
} else := "named"

# The condition block: "set" (a value other than "*" that cannot become "*"), "unknown", "unset".
_condition(permission) := "unknown" if {
	some c in lib.as_array(object.get(permission.values, "condition", []))
	not is_object(c)
	lib.is_unknown(c)
} else := "set" if {
	some c in _condition_blocks(permission)
	v := object.get(c, "value", "")
	is_string(v)
	not lib.could_be(v, "*")
	not lib.could_be(v, "")
} else := "unknown" if {
	some c in _condition_blocks(permission)
	lib.is_unknown(object.get(c, "value", null))
} else := "unset"

_condition_blocks(permission) := attrs.blocks(permission, "condition")

# ---- verdicts ----------------------------------------------------------------------------------

results contains lib.pass(p, "no policy statement allows principal * without a restricting Condition") if {
	some p in _policies
	_known(_document(p))
	count(s3.public_statements(_document(p))) == 0
	count(s3.maybe_public_statements(_document(p))) == 0
}

results contains lib.fail(p, "policy is not JSON: cannot show that the event bus is not public") if {
	some p in _policies
	_document(p) == null
}

results contains lib.fail(p, msg) if {
	some p in _policies
	_known(_document(p))
	some st in s3.public_statements(_document(p))
	msg := concat("", [_where(st), " allows principal * without a restricting Condition"])
}

results contains lib.unknown(
	p,
	"policy is unknown (not a literal document): cannot show that the event bus is not public",
) if {
	some p in _policies
	lib.document_unknown(_document(p))
}

results contains lib.unknown(p, msg) if {
	some p in _policies
	_known(_document(p))
	count(s3.public_statements(_document(p))) == 0
	some st in s3.maybe_public_statements(_document(p))
	msg := concat("", [
		_where(st), " has an unknown Effect, Principal or Condition value",
		" that could allow principal * without a restriction",
	])
}

results contains lib.pass(permission, "principal is a named account") if {
	some permission in _permissions
	_principal(permission) == "named"
}

results contains lib.pass(permission, "principal * is restricted by a condition") if {
	some permission in _permissions
	_principal(permission) != "named"
	_condition(permission) == "set"
}

results contains lib.fail(permission, "principal * without a condition: any AWS account can put events on the bus") if {
	some permission in _permissions
	_principal(permission) == "everyone"
	_condition(permission) == "unset"
}

results contains lib.unknown(
	permission,
	"principal is unknown (not a literal): cannot show that it is not * without a condition",
) if {
	some permission in _permissions
	_principal(permission) == "unknown"
	_condition(permission) != "set"
}

results contains lib.unknown(
	permission,
	"condition.value is unknown (not a literal): cannot show that it restricts principal *",
) if {
	some permission in _permissions
	_principal(permission) == "everyone"
	_condition(permission) == "unknown"
}
