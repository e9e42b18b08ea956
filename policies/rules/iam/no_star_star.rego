# METADATA
# title: IAM policies do not grant full administrative access ("*" on "*")
# description: >-
#   Checks every permission policy: aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy,
#   aws_iam_group_policy (`policy`), the inline_policy blocks of aws_iam_role (a role without inline
#   policies gets no result) and aws_ssoadmin_permission_set_inline_policy (`inline_policy`); a
#   document written as an aws_iam_policy_document data source is read from its statements. No Allow
#   statement (a statement without an Effect counts as one: fail closed) may combine Action "*" (or
#   any NotAction, which allows everything not listed) with Resource "*" (or any NotResource). A
#   document that is not JSON fails. A document that is unknown (a variable, jsonencode(...), a plan
#   value known only after apply), or a statement whose Effect, Action or Resource is unknown and
#   could make it "*" on "*" (an Effect that could be "Allow", an Action "${var.act}" or
#   "s3:${var.x}"... that could be "*"), is UNKNOWN: it cannot be shown to be safe. Literal parts
#   count: "arn:aws:s3:::${var.bucket}/*" can never be "*".
# custom:
#   id: IMGSEC-IAM-001
#   severity: critical
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
#     - policy.Resource
#   peers:
#     - cdk-nag:HIPAA.Security-IAMPolicyNoStatementsWithAdminAccess
#     - aws-config:iam-policy-no-statements-with-admin-access
#     - prowler:iam_customer_attached_policy_no_administrative_privileges
#     - prowler:iam_inline_policy_no_administrative_privileges
#   remediation: >-
#     List the actions the principal needs and the resources they apply to; never Allow "*" (or
#     NotAction) on "*".
package imgsec.rules.iam.no_star_star

import data.imgsec.lib
import data.imgsec.lib.iam

results contains lib.pass(r, "no statement allows all actions on all resources") if {
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
} else := {concat("", [iam.where(name, doc, i), " allows ", _what(s), " on all resources"]) |
	some i, s in iam.allow_statements(doc)
	_all_actions(s)
	_all_resources(s)
}

_unknowns(r) := {message |
	some name, doc in iam.documents(r)
	some message in _document_unknowns(name, doc)
}

_safe := "it does not allow all actions on all resources"

_document_unknowns(name, doc) := {iam.unknown_document_message(name, _safe)} if {
	lib.document_unknown(doc)
} else := {iam.unknown_statement_message(name, doc, i, parts, _safe) |
	doc != null
	some i, s in iam.may_allow_statements(doc)
	_may_all_actions(s)
	_may_all_resources(s)
	parts := _unknown_parts(s)
	count(parts) > 0
}

# The parts of a statement that may, but need not, make it "*" on "*".
_unknown_parts(s) := [part |
	some part in ["Effect", "Action", "Resource"]
	not _definite(part, s)
]

_definite("Effect", s) if lib.allows(s)

_definite("Action", s) if _all_actions(s)

_definite("Resource", s) if _all_resources(s)

_all_actions(s) if {
	some a in iam.actions(s)
	a in {"*", "*:*"}
}

_all_actions(s) if iam.has_not_action(s)

_may_all_actions(s) if _all_actions(s)

# An action or resource with unknown parts, or with references the rule cannot resolve
# ("${aws_ssm_parameter.p.value}"), could be "*"; "arn:aws:s3:::${var.b}/*" cannot.
_may_all_actions(s) if {
	some a in iam.actions(s)
	some literal in ["*", "*:*"]
	lib.could_be(iam.opaque(a, "none"), literal)
}

_all_resources(s) if "*" in iam.resources(s)

_all_resources(s) if iam.has_not_resource(s)

_may_all_resources(s) if _all_resources(s)

_may_all_resources(s) if {
	some pattern in iam.resources(s)
	lib.could_be(iam.opaque(pattern, "identifiers"), "*")
}

_what(s) := "every action not in NotAction" if iam.has_not_action(s)

_what(s) := "all actions (\"*\")" if not iam.has_not_action(s)
