# METADATA
# title: IAM policies grant no service-wide action and attach no AWS managed full-access policy
# description: >-
#   Least privilege for every identity and every resource, not only PHI buckets and keys
#   (IMGSEC-IAM-002). No Allow statement (a statement without an Effect counts as one) of a permission
#   policy the stack declares may grant every action of a service, on any resource and under any
#   condition: "s3:*", "kms:*", "*", a pattern whose wildcard cuts into the service name ("s3*",
#   "*:*"), or a NotAction (every action of every service it does not list). Checks aws_iam_policy,
#   aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_role inline_policy blocks
#   and aws_ssoadmin_permission_set_inline_policy, documents written as aws_iam_policy_document data
#   sources included. No attachment (aws_iam_role_policy_attachment, aws_iam_user_policy_attachment,
#   aws_iam_group_policy_attachment, aws_iam_policy_attachment, aws_ssoadmin_managed_policy_attachment,
#   aws_iam_role managed_policy_arns) may attach the AWS managed AdministratorAccess, PowerUserAccess
#   or any *FullAccess policy, also through a data.aws_iam_policy that names it; customer managed
#   policies of the stack are checked as documents. A document that is not JSON fails. UNKNOWN, never
#   PASS: a document that is unknown; a statement whose Effect or Action is unknown and could make it
#   such a grant ("s3:${var.x}" could be "s3:*"); an attached ARN that is unknown and could name such
#   a managed policy.
# custom:
#   id: IMGSEC-IAM-005
#   severity: high
#   controls:
#     - 164.308(a)(4)(ii)(B)
#     - 164.312(a)(1)
#     - 164.308(a)(3)(ii)(A)
#     - 164.308(a)(4)(ii)(C)
#   resource_types:
#     - aws_iam_policy
#     - aws_iam_role_policy
#     - aws_iam_user_policy
#     - aws_iam_group_policy
#     - aws_iam_role
#     - aws_ssoadmin_permission_set_inline_policy
#     - aws_iam_role_policy_attachment
#     - aws_iam_user_policy_attachment
#     - aws_iam_group_policy_attachment
#     - aws_iam_policy_attachment
#     - aws_ssoadmin_managed_policy_attachment
#   inputs:
#     - policy
#     - inline_policy
#     - inline_policy.policy
#     - policy.Effect
#     - policy.Action
#     - policy_arn
#     - managed_policy_arn
#     - managed_policy_arns
#   peers:
#     - cdk-nag:HIPAA.Security-IAMPolicyNoStatementsWithFullAccess
#     - aws-config:iam-policy-no-statements-with-full-access
#     - prowler:iam_aws_attached_policy_no_administrative_privileges
#   remediation: >-
#     List the actions each principal needs ("s3:GetObject", "kms:Decrypt"), never a whole service;
#     replace AWS managed AdministratorAccess, PowerUserAccess and *FullAccess attachments with
#     customer managed policies scoped to the actions and resources used.
package imgsec.rules.iam.no_service_wildcard

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.iam

# Resources the rule checks: permission policy holders and resources that attach managed policies.
_subjects[r.address] := r if some r in iam.holders

_subjects[r.address] := r if some r in iam.attachers

results contains lib.pass(r, "grants no service-wide action and attaches no AWS managed full-access policy") if {
	some r in _subjects
	count(_problems(r)) == 0
	count(_unknowns(r)) == 0
}

results contains lib.fail(r, problem) if {
	some r in _subjects
	some problem in _problems(r)
}

results contains lib.unknown(r, message) if {
	some r in _subjects
	count(_problems(r)) == 0
	some message in _unknowns(r)
}

_problems(r) := {p | some name, doc in _documents(r); some p in _document_problems(name, doc)} | {p |
	some a in iam.attached(r)
	some p in _attachment_problems(a.arn)
}

_unknowns(r) := {u | some name, doc in _documents(r); some u in _document_unknowns(name, doc)} | {u |
	some a in iam.attached(r)
	count(_attachment_problems(a.arn)) == 0
	_may_be_broad_managed(a.arn)
	u := concat("", [a.attr, " is unknown (not a literal): cannot show that ", a.arn, _not_broad])
}

_documents(r) := iam.documents(r) if r.type in iam.holder_types

_documents(r) := {} if not r.type in iam.holder_types

# ---- policy documents ---------------------------------------------------------------------------

_document_problems(name, doc) := {concat("", [name, " is not a JSON policy document: it cannot be checked"])} if {
	doc == null
} else := {concat("", [iam.where(name, doc, i), " allows ", _what(s)]) |
	some i, s in iam.allow_statements(doc)
	_grants_service(s)
}

_safe := "it grants no service-wide action"

_document_unknowns(name, doc) := {iam.unknown_document_message(name, _safe)} if {
	lib.document_unknown(doc)
} else := {iam.unknown_statement_message(name, doc, i, parts, _safe) |
	doc != null
	some i, s in iam.may_allow_statements(doc)
	not _definite_grant(s)
	_may_grant_service(s)
	parts := [part | some [part, open] in [["Effect", lib.effect_unknown(s)], ["Action", _action_open(s)]]; open]
	count(parts) > 0
}

_grants_service(s) if iam.has_not_action(s)

_grants_service(s) if {
	some a in iam.actions(s)
	iam.service_wide(a)
}

_may_grant_service(s) if _grants_service(s)

_may_grant_service(s) if {
	some a in iam.actions(s)
	iam.may_be_service_wide(a)
}

# A statement that allows (not only may) and grants a whole service: a FAIL, reported above.
_definite_grant(s) if {
	lib.allows(s)
	_grants_service(s)
}

_action_open(s) if {
	not _grants_service(s)
} else := false

_what(s) := "every action not in NotAction (every other service, whole)" if iam.has_not_action(s)

_what(s) := concat("", ["every action of every service (\"", a, "\")"]) if {
	not iam.has_not_action(s)
	a := _first_service_wide(s)
	not contains(a, ":")
} else := concat("", ["every action of the service (\"", a, "\")"]) if {
	not iam.has_not_action(s)
	a := _first_service_wide(s)
}

_first_service_wide(s) := sort([a | some a in iam.actions(s); iam.service_wide(a)])[0]

# ---- attached managed policies --------------------------------------------------------------------

_attachment_problems(arn) := {msg |
	name := iam.aws_managed_name(arn)
	_broad(name)
	msg := concat("", ["attaches the AWS managed policy ", name, ", which grants ", _grant_of(name)])
}

_broad(name) if name in {"AdministratorAccess", "PowerUserAccess"}

_broad(name) if endswith(name, "FullAccess")

_grant_of("AdministratorAccess") := "every action on every resource"

_grant_of("PowerUserAccess") := "every action but IAM and Organizations on every resource"

_grant_of(name) := "every action of a service" if endswith(name, "FullAccess")

_not_broad := " is none of the AWS managed policies AdministratorAccess, PowerUserAccess or *FullAccess"

# An ARN with unknown parts (or references the rule cannot resolve; a customer managed policy of the
# stack is checked on its own) that could name such a managed policy.
_may_be_broad_managed(arn) if {
	p := _opaque_arn(attrs.canonical_arn(arn))
	lib.is_unknown(p)
	pattern := iam.unknown_as_wildcard(p)
	some broad in [
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/PowerUserAccess",
		"arn:aws:iam::aws:policy/*FullAccess",
	]
	iam.may_overlap(pattern, broad)
}

_opaque_arn(arn) := arn if {
	regex.match(`^\$\{aws_iam_policy\.[^{}]*\}$`, arn)
} else := iam.opaque(arn, "none")
