# METADATA
# title: IAM policies do not allow iam:PassRole on every role
# description: >-
#   iam:PassRole on Resource "*" lets a principal hand any role of the account, with all of that
#   role's permissions, to a service it can configure (a Lambda function, a state machine, an EC2
#   instance): a path from narrow rights to every right in the account, PHI included. Checks every
#   permission policy the normalizer parses: aws_iam_policy, aws_iam_role_policy,
#   aws_iam_user_policy, aws_iam_group_policy (`policy`), the inline_policy blocks of aws_iam_role
#   and aws_ssoadmin_permission_set_inline_policy, aws_iam_policy_document data sources they refer
#   to included. No Allow statement (a statement without an Effect counts as one) may grant
#   iam:PassRole (as "iam:PassRole", "iam:Pass*", "iam:*", "*", or a NotAction that does not exclude
#   it) on Resource "*" (or with NotResource); name the roles instead. Conditions do not help:
#   iam:PassedToService limits the service, not which roles can be passed. A document that is not
#   JSON fails. A document that is unknown, or a statement whose Effect, Action, NotAction or
#   Resource is unknown and could make it iam:PassRole on "*", is UNKNOWN.
# custom:
#   id: IMGSEC-IAM-004
#   severity: high
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#     - 164.308(a)(3)(ii)(A)
#   resource_types:
#     - aws_iam_policy
#     - aws_iam_role_policy
#     - aws_iam_user_policy
#     - aws_iam_group_policy
#     - aws_iam_role
#     - aws_ssoadmin_permission_set_inline_policy
#   inputs:
#     - policy
#     - inline_policy
#     - inline_policy.policy
#     - policy.Effect
#     - policy.Action
#     - policy.NotAction
#     - policy.Resource
#   remediation: >-
#     Allow iam:PassRole only on the ARNs of the roles the principal must pass (e.g. the pipeline's
#     function role), with an iam:PassedToService condition naming the service.
package imgsec.rules.iam.no_pass_role_star

import data.imgsec.lib
import data.imgsec.lib.iam

_action := "iam:passrole"

results contains lib.pass(r, "no statement allows iam:PassRole on all resources") if {
	some r in iam.holders
	count(_problems(r)) == 0
	count(_unknowns(r)) == 0
}

results contains lib.fail(r, problem) if {
	some r in iam.holders
	some problem in _problems(r)
}

results contains lib.unknown(r, message) if {
	some r in iam.holders
	count(_problems(r)) == 0
	some message in _unknowns(r)
}

_problems(r) := {problem |
	some name, doc in iam.documents(r)
	some problem in _document_problems(name, doc)
}

_document_problems(name, doc) := {concat("", [name, " is not a JSON policy document: it cannot be checked"])} if {
	doc == null
} else := {concat("", [
	iam.where(name, doc, i), " allows iam:PassRole on all resources: ",
	"any role of the account can be passed to a service",
]) |
	some i, s in iam.allow_statements(doc)
	_grants(s) == true
	_all_resources(s)
}

_unknowns(r) := {message |
	some name, doc in iam.documents(r)
	some message in _document_unknowns(name, doc)
}

_safe := "it does not allow iam:PassRole on all resources"

_document_unknowns(name, doc) := {iam.unknown_document_message(name, _safe)} if {
	lib.document_unknown(doc)
} else := {iam.unknown_statement_message(name, doc, i, parts, _safe) |
	doc != null
	some i, s in iam.may_allow_statements(doc)
	_grants(s) != false
	_may_all_resources(s)
	parts := _unknown_parts(s)
	count(parts) > 0
}

# The parts of a statement that may, but need not, make it iam:PassRole on "*".
_unknown_parts(s) := [part |
	some part in ["Effect", _action_part(s), "Resource"]
	not _definite(part, s)
]

_action_part(s) := "NotAction" if iam.has_not_action(s)

_action_part(s) := "Action" if not iam.has_not_action(s)

_definite("Effect", s) if lib.allows(s)

_definite("Action", s) if _grants(s) == true

_definite("NotAction", s) if _grants(s) == true

_definite("Resource", s) if _all_resources(s)

# Whether the statement's actions include iam:PassRole: true, false, or "unknown" (an action, or a
# NotAction entry, with unknown parts that could match it).
_grants(s) if {
	not iam.has_not_action(s)
	some a in iam.actions(s)
	iam.may_match(a, _action)
} else := "unknown" if {
	not iam.has_not_action(s)
	some a in iam.actions(s)
	_may_match_unknown(a)
} else := false if {
	not iam.has_not_action(s)
} else := false if {
	some e in _not_actions(s)
	iam.may_match(e, _action)
	not _has_unknown(e)
} else := "unknown" if {
	some e in _not_actions(s)
	_may_match_unknown(e)
} else := true

_not_actions(s) := {lower(e) | some e in object.get(s, "NotAction", []); is_string(e)}

_has_unknown(pattern) if lib.is_unknown(iam.opaque(pattern, "none"))

# An action pattern with unknown parts (or references no rule reads) that could match iam:PassRole.
_may_match_unknown(pattern) if {
	_has_unknown(pattern)
	iam.may_match(iam.unknown_as_wildcard(iam.opaque(pattern, "none")), _action)
}

_all_resources(s) if "*" in iam.resources(s)

_all_resources(s) if iam.has_not_resource(s)

_may_all_resources(s) if _all_resources(s)

_may_all_resources(s) if {
	some pattern in iam.resources(s)
	lib.could_be(iam.opaque(pattern, "identifiers"), "*")
}
