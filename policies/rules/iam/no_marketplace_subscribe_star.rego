# METADATA
# title: IAM policies do not allow subscribing to any AWS Marketplace product
# description: >-
#   aws-marketplace:Subscribe on every resource lets a principal subscribe the account to any
#   Marketplace product, software that then runs with access to the account's data and bills it;
#   subscriptions should be granted for named products only. No Allow statement (a statement without
#   an Effect counts as one) of a permission policy the stack declares (aws_iam_policy,
#   aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_role inline_policy
#   blocks, aws_ssoadmin_permission_set_inline_policy; aws_iam_policy_document data sources they
#   refer to included) may allow aws-marketplace:Subscribe (as such, or through
#   "aws-marketplace:*", "*", or a NotAction that does not exclude it) on Resource "*" or with a
#   NotResource. A document that is not JSON fails. UNKNOWN, never PASS: a document that is unknown,
#   or a statement whose Effect, Action or Resource is unknown and could make it such a grant.
# custom:
#   id: IMGSEC-IAM-008
#   severity: medium
#   controls:
#     - 164.308(a)(4)(ii)(B)
#     - 164.312(a)(1)
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
#     - prowler:iam_policy_no_wildcard_marketplace_subscribe
#     - prowler:iam_inline_policy_no_wildcard_marketplace_subscribe
#   remediation: >-
#     Allow aws-marketplace:Subscribe only on the product ARNs the principal may subscribe to, or leave
#     Marketplace subscriptions to an account administrator outside the workload's roles.
package imgsec.rules.iam.no_marketplace_subscribe_star

import data.imgsec.lib
import data.imgsec.lib.iam

_action := "aws-marketplace:subscribe"

results contains lib.pass(r, "allows aws-marketplace:Subscribe on no wildcard resource") if {
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

_problems(r) := {p | some name, doc in iam.documents(r); some p in _document_problems(name, doc)}

_unknowns(r) := {u | some name, doc in iam.documents(r); some u in _document_unknowns(name, doc)}

_document_problems(name, doc) := {concat("", [name, " is not a JSON policy document: it cannot be checked"])} if {
	doc == null
} else := {concat("", [iam.where(name, doc, i), " allows aws-marketplace:Subscribe on all resources"]) |
	some i, s in iam.allow_statements(doc)
	_all_resources(s)
	iam.grants(s, _action) == true
}

_safe := "it allows aws-marketplace:Subscribe on no wildcard resource"

_document_unknowns(name, doc) := {iam.unknown_document_message(name, _safe)} if {
	lib.document_unknown(doc)
} else := {iam.unknown_statement_message(name, doc, i, parts, _safe) |
	doc != null
	some i, s in iam.may_allow_statements(doc)
	_may_all_resources(s)
	iam.grants(s, _action) != false
	not _definite(s)
	parts := [part |
		some [part, open] in [
			["Effect", lib.effect_unknown(s)],
			["Action", iam.grants(s, _action) != true],
			["Resource", _resource_open(s)],
		]
		open
	]
	count(parts) > 0
}

_definite(s) if {
	lib.allows(s)
	_all_resources(s)
	iam.grants(s, _action) == true
}

_all_resources(s) if "*" in iam.resources(s)

_all_resources(s) if iam.has_not_resource(s)

_resource_open(s) := false if {
	_all_resources(s)
} else := true

_may_all_resources(s) if _all_resources(s)

_may_all_resources(s) if {
	some p in iam.resources(s)
	contains(p, "${")
	lib.could_be(iam.opaque(p, "identifiers"), "*")
}
