# METADATA
# title: IAM policies do not grant full administrative access ("*" on "*")
# description: >-
#   Checks every permission policy: aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy,
#   aws_iam_group_policy (`policy`) and the inline_policy blocks of aws_iam_role (a role without
#   inline policies gets no result; aws_iam_policy_document data sources are not checked). No Allow
#   statement may combine Action "*" (or any NotAction, which allows everything not listed) with
#   Resource "*" (or any NotResource). A document that is unknown (a plan value known only after
#   apply) or not JSON fails, since it cannot be shown to be safe.
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
#   remediation: >-
#     List the actions the principal needs and the resources they apply to; never Allow "*" (or
#     NotAction) on "*".
package imgsec.rules.iam.no_star_star

import data.imgsec.lib
import data.imgsec.lib.iam

results contains lib.pass(r, "no statement allows all actions on all resources") if {
	some r in iam.holders
	count(_problems(r)) == 0
}

results contains lib.fail(r, problem) if {
	some r in iam.holders
	some problem in _problems(r)
}

_problems(r) := {problem |
	some name, doc in iam.documents(r)
	some problem in _document_problems(name, doc)
}

_document_problems(name, doc) := {_unknown(name)} if {
	doc == null
} else := {concat("", [iam.where(name, doc, i), " allows ", _what(s), " on all resources"]) |
	some i, s in iam.allow_statements(doc)
	_all_actions(s)
	_all_resources(s)
}

_unknown(name) := concat("", [name, " is unknown or not a JSON policy document: it cannot be checked"])

_all_actions(s) if {
	some a in iam.actions(s)
	a in {"*", "*:*"}
}

_all_actions(s) if iam.has_not_action(s)

_all_resources(s) if "*" in iam.resources(s)

_all_resources(s) if iam.has_not_resource(s)

_what(s) := "every action not in NotAction" if iam.has_not_action(s)

_what(s) := "all actions (\"*\")" if not iam.has_not_action(s)
