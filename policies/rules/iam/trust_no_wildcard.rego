# METADATA
# title: IAM role trust policies do not let everyone assume the role
# description: >-
#   Checks every aws_iam_role's assume_role_policy. An Allow statement whose principal is everyone
#   (Principal "*" or {"AWS": "*"}, or any NotPrincipal) lets any AWS account assume the role. It is
#   accepted only when a condition pins the caller to the organization or an account:
#   aws:PrincipalOrgID, aws:PrincipalAccount or aws:SourceAccount, under StringEquals,
#   StringEqualsIgnoreCase, StringLike, ArnEquals or ArnLike, with values that contain no wildcard.
#   Other conditions (aws:SourceArn, sts:ExternalId, MFA, negated or ...IfExists operators) do not
#   make a public trust acceptable. A trust policy that is not JSON fails. UNKNOWN, never PASS: a
#   trust policy that is unknown (a variable, jsonencode(...), a plan value known only after apply),
#   or a statement whose Effect, Principal or Condition is unknown and could let everyone in
#   (Principal {"AWS": "${var.x}"} could be "*"; an aws:PrincipalOrgID of "${var.org}" could be
#   "o-*"). Literal parts count: "arn:aws:iam::${var.account}:root" and a role's ARN reference are
#   named principals.
# custom:
#   id: IMGSEC-IAM-003
#   severity: critical
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#     - 164.312(d)
#   resource_types:
#     - aws_iam_role
#   inputs:
#     - assume_role_policy
#     - assume_role_policy.Effect
#     - assume_role_policy.Principal
#     - assume_role_policy.Condition
#   remediation: >-
#     Name the principals that may assume the role (a service principal such as lambda.amazonaws.com
#     with an aws:SourceAccount condition, or specific account or role ARNs); if "*" is unavoidable, add
#     a StringEquals condition on aws:PrincipalOrgID.
package imgsec.rules.iam.trust_no_wildcard

import data.imgsec.lib
import data.imgsec.lib.iam

restricting_keys := {"aws:principalorgid", "aws:principalaccount", "aws:sourceaccount"}

restricting_operators := {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}

# Roles, not data sources (data.aws_iam_role looks up an existing role).
_roles := [role | some role in lib.resources_of("aws_iam_role"); role.mode != "data"]

_trust(role) := iam.document(role, "assume_role_policy")

_known(doc) if {
	doc != null
	not lib.document_unknown(doc)
}

results contains lib.pass(role, "the trust policy allows only named principals") if {
	some role in _roles
	doc := _trust(role)
	_known(doc)
	count(_problems(doc)) == 0
	count(_unknowns(doc)) == 0
	count(_may_be_public(doc)) == 0
}

results contains lib.pass(
	role,
	"the trust policy allows everyone only within aws:PrincipalOrgID, aws:PrincipalAccount or aws:SourceAccount",
) if {
	some role in _roles
	doc := _trust(role)
	_known(doc)
	count(_problems(doc)) == 0
	count(_unknowns(doc)) == 0
	count(_may_be_public(doc)) > 0
}

results contains lib.fail(role, msg) if {
	some role in _roles
	doc := _trust(role)
	_known(doc)
	some i in _problems(doc)
	msg := concat("", [
		iam.where("assume_role_policy", doc, i),
		" lets everyone assume the role, without an aws:PrincipalOrgID, aws:PrincipalAccount or ",
		"aws:SourceAccount condition",
	])
}

results contains lib.fail(role, "assume_role_policy is not a JSON policy document: it cannot be checked") if {
	some role in _roles
	_trust(role) == null
}

results contains lib.unknown(role, iam.unknown_document_message("assume_role_policy", _safe)) if {
	some role in _roles
	lib.document_unknown(_trust(role))
}

results contains lib.unknown(role, msg) if {
	some role in _roles
	doc := _trust(role)
	_known(doc)
	count(_problems(doc)) == 0
	some i, parts in _unknowns(doc)
	msg := iam.unknown_statement_message("assume_role_policy", doc, i, parts, _safe)
}

_safe := "only named principals, or everyone within the organization or an account, can assume the role"

# Indexes of statements that let everyone in: definitely, or once unknown values are known.
_problems(doc) := {i |
	some i, s in iam.allow_statements(doc)
	_public(s)
	not _may_be_restricted(s)
}

_may_be_public(doc) := {i: s |
	some i, s in iam.may_allow_statements(doc)
	_may_be_everyone(s)
}

# For each statement that may let everyone in and is not restricted, the parts that are unknown.
_unknowns(doc) := {i: parts |
	some i, s in _may_be_public(doc)
	not _restricted(s)
	not i in _problems(doc)
	parts := [part | some part in ["Effect", "Principal", "Condition"]; _unknown_part(part, s)]
}

_unknown_part("Effect", s) if not lib.allows(s)

_unknown_part("Principal", s) if not _public(s)

_unknown_part("Condition", s) if _may_be_restricted(s)

_public(s) if lib.principal_is_everyone(object.get(s, "Principal", null))

_public(s) if object.get(s, "NotPrincipal", null) != null

_may_be_everyone(s) if _public(s)

_may_be_everyone(s) if lib.principal_may_be_everyone(object.get(s, "Principal", null))

# A reference the rule cannot resolve to a named principal ("${aws_ssm_parameter.p.value}").
_may_be_everyone(s) if {
	p := object.get(s, "Principal", null)
	is_string(p)
	lib.could_be(iam.opaque(p, "principals"), "*")
}

_may_be_everyone(s) if {
	some key in ["AWS", "CanonicalUser", "Federated"]
	some v in lib.as_array(object.get(object.get(s, "Principal", {}), key, []))
	is_string(v)
	lib.could_be(iam.opaque(v, "principals"), "*")
}

# {"${?}": "*"}: the principal type itself is unknown.
_may_be_everyone(s) if {
	some key, values in object.get(s, "Principal", {})
	lib.is_unknown(key)
	some v in lib.as_array(values)
	lib.could_be(v, "*")
}

# Restricted by a condition whose operator, key and values are all known.
_restricted(s) if {
	some operator, conditions in object.get(s, "Condition", {})
	operator in restricting_operators
	some key, values in conditions
	lower(key) in restricting_keys
	vs := lib.as_array(values)
	count(vs) > 0
	every v in vs {
		is_string(v)
		v != ""
		not lib.is_unknown(v)
		not iam.has_wildcard(v)
	}
}

# Restricted, or could be once unknown operators, keys or values are known.
_may_be_restricted(s) if lib.could_be(object.get(s, "Condition", null), lib.unknown_marker)

_may_be_restricted(s) if {
	some operator, conditions in object.get(s, "Condition", {})
	_may_be_one_of(operator, restricting_operators)
	lib.could_be(conditions, lib.unknown_marker)
}

_may_be_restricted(s) if {
	some operator, conditions in object.get(s, "Condition", {})
	_may_be_one_of(operator, restricting_operators)
	some key, values in conditions
	_may_be_one_of(lower(key), restricting_keys)
	vs := lib.as_array(values)
	count(vs) > 0
	every v in vs {
		_may_be_specific(v)
	}
}

_may_be_one_of(v, literals) if v in literals

_may_be_one_of(v, literals) if {
	lib.is_unknown(v)
	some literal in literals
	lib.could_be(v, literal)
}

# A condition value that is, or could be, a non-empty value without wildcards.
_may_be_specific(v) if {
	is_string(v)
	v != ""
	not iam.has_wildcard(replace(v, lib.unknown_marker, ""))
}
