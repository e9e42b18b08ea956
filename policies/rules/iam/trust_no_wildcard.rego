# METADATA
# title: IAM role trust policies do not let everyone assume the role
# description: >-
#   Checks every aws_iam_role's assume_role_policy. An Allow statement whose principal is everyone
#   (Principal "*" or {"AWS": "*"}, or any NotPrincipal) lets any AWS account assume the role. It is
#   accepted only when a condition pins the caller to the organization or an account:
#   aws:PrincipalOrgID, aws:PrincipalAccount or aws:SourceAccount, under StringEquals,
#   StringEqualsIgnoreCase, StringLike, ArnEquals or ArnLike, with values that contain no wildcard.
#   Other conditions (aws:SourceArn, sts:ExternalId, MFA, negated or ...IfExists operators) do not
#   make a public trust acceptable. An unknown or non-JSON trust policy fails.
# custom:
#   id: IMGSEC-IAM-003
#   severity: critical
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#     - 164.312(d)
#   resource_types:
#     - aws_iam_role
#   remediation: >-
#     Name the principals that may assume the role (a service principal such as lambda.amazonaws.com
#     with an aws:SourceAccount condition, or specific account or role ARNs); if "*" is unavoidable, add
#     a StringEquals condition on aws:PrincipalOrgID.
package imgsec.rules.iam.trust_no_wildcard

import data.imgsec.lib
import data.imgsec.lib.iam

restricting_keys := {"aws:principalorgid", "aws:principalaccount", "aws:sourceaccount"}

restricting_operators := {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}

results contains lib.pass(role, "the trust policy allows only named principals") if {
	some role in lib.resources_of("aws_iam_role")
	doc := _trust(role)
	doc != null
	count(_everyone(doc)) == 0
}

results contains lib.pass(
	role,
	"the trust policy allows everyone only within aws:PrincipalOrgID, aws:PrincipalAccount or aws:SourceAccount",
) if {
	some role in lib.resources_of("aws_iam_role")
	doc := _trust(role)
	doc != null
	count(_everyone(doc)) > 0
	every i in _everyone(doc) {
		_restricted(doc.Statement[i])
	}
}

results contains lib.fail(role, msg) if {
	some role in lib.resources_of("aws_iam_role")
	doc := _trust(role)
	doc != null
	some i in _everyone(doc)
	not _restricted(doc.Statement[i])
	msg := concat("", [
		iam.where("assume_role_policy", doc, i),
		" lets everyone assume the role, without an aws:PrincipalOrgID, aws:PrincipalAccount or ",
		"aws:SourceAccount condition",
	])
}

results contains lib.fail(
	role,
	"assume_role_policy is unknown or not a JSON policy document: it cannot be checked",
) if {
	some role in lib.resources_of("aws_iam_role")
	_trust(role) == null
}

_trust(role) := object.get(role.policies, "assume_role_policy", null)

# Indexes of Allow statements whose principal is everyone.
_everyone(doc) := {i |
	some i, s in iam.allow_statements(doc)
	_public(s)
}

_public(s) if lib.principal_is_everyone(object.get(s, "Principal", null))

_public(s) if object.get(s, "NotPrincipal", null) != null

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
		not iam.has_wildcard(v)
	}
}
