# METADATA
# title: IAM policies do not allow decrypting with every KMS key
# description: >-
#   kms:Decrypt and kms:ReEncrypt* on every key let a principal read anything encrypted under any key
#   of the account, PHI under the PHI key included, as soon as it can fetch the ciphertext; a key
#   policy that defers to IAM (the account root statement) does not stop it. No Allow statement (a
#   statement without an Effect counts as one) of a permission policy the stack declares
#   (aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_role
#   inline_policy blocks, aws_ssoadmin_permission_set_inline_policy; documents written as
#   aws_iam_policy_document data sources included) may allow kms:Decrypt, kms:ReEncryptFrom or
#   kms:ReEncryptTo (as such, or through "kms:*", "kms:ReEncrypt*", "*", or a NotAction that does not
#   exclude them) on every key: Resource "*", a NotResource, or a key ARN whose key part is a wildcard
#   ("arn:aws:kms:*:*:key/*"). Name the keys instead; conditions do not count (kms:ViaService narrows
#   the path, not the keys). A document that is not JSON fails. UNKNOWN, never PASS: a document that
#   is unknown, or a statement whose Effect, Action or Resource is unknown and could make it such a
#   grant.
# custom:
#   id: IMGSEC-IAM-006
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
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
#   peers:
#     - aws-config:iam-customer-policy-blocked-kms-actions
#     - aws-config:iam-inline-policy-blocked-kms-actions
#   remediation: >-
#     Allow kms:Decrypt (and kms:ReEncrypt*, if needed at all) only on the ARNs of the keys the
#     principal uses, e.g. "${aws_kms_key.phi.arn}", with a kms:ViaService or encryption context
#     condition where the caller is a service.
package imgsec.rules.iam.kms_decrypt_all_keys

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.iam

_blocked := ["kms:decrypt", "kms:reencryptfrom", "kms:reencryptto"]

results contains lib.pass(r, "allows no KMS decryption on every key") if {
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
} else := {concat("", [iam.where(name, doc, i), " allows ", concat(", ", granted), " on every KMS key"]) |
	some i, s in iam.allow_statements(doc)
	_all_keys(s)
	granted := [a | some a in _blocked_names; iam.grants(s, lower(a)) == true]
	count(granted) > 0
}

_blocked_names := ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"]

_safe := "it allows no KMS decryption on every key"

_document_unknowns(name, doc) := {iam.unknown_document_message(name, _safe)} if {
	lib.document_unknown(doc)
} else := {iam.unknown_statement_message(name, doc, i, parts, _safe) |
	doc != null
	some i, s in iam.may_allow_statements(doc)
	_may_all_keys(s)
	not _definite(s)
	_may_grant(s)
	parts := [part |
		some [part, open] in [
			["Effect", lib.effect_unknown(s)],
			[_action_key(s), _grant_open(s)],
			["Resource", _keys_open(s)],
		]
		open
	]
	count(parts) > 0
}

_definite(s) if {
	lib.allows(s)
	_grant(s) == true
	_all_keys(s)
}

# Whether the statement grants a blocked action: true, "unknown" or false.
_grant(s) if {
	some a in _blocked
	iam.grants(s, a) == true
} else := "unknown" if {
	some a in _blocked
	iam.grants(s, a) == "unknown"
} else := false

_may_grant(s) if _grant(s) != false

_grant_open(s) := false if {
	_grant(s) == true
} else := true

_keys_open(s) if {
	not _all_keys(s)
} else := false

_action_key(s) := "NotAction" if iam.has_not_action(s)

_action_key(s) := "Action" if not iam.has_not_action(s)

# The statement's resources cover every KMS key.
_all_keys(s) if iam.has_not_resource(s)

_all_keys(s) if {
	some p in iam.resources(s)
	_every_key(attrs.canonical_arn(p))
}

_every_key("*")

# arn:aws:kms:<region>:<account>:key/* (or :*): every key of an account, in a region or all.
_every_key(p) if regex.match(`^arn:aws:kms:[^:]*:[^:]*:(key/)?\*+$`, p)

# Shorter wildcards that cover key ARNs whatever their id (arn:aws:kms:*, arn:*).
_every_key(p) if {
	not contains(p, "${")
	iam.may_match(p, "arn:aws:kms:us-east-1:111122223333:key/1111aaaa")
	iam.may_match(p, "arn:aws:kms:us-east-1:111122223333:key/2222bbbb")
}

_may_all_keys(s) if _all_keys(s)

# A resource with unknown parts, or references no rule resolves, that could be "*".
_may_all_keys(s) if {
	some p in iam.resources(s)
	contains(p, "${")
	lib.could_be(iam.opaque(p, "identifiers"), "*")
}
