# METADATA
# title: KMS key policies do not open the key to everyone
# description: >-
#   No Allow statement in a key's policy has principal "*" (or {"AWS": "*"}, or NotPrincipal)
#   without a Condition that restricts it to an account, organization, source ARN or VPC endpoint
#   (kms:CallerAccount, aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID... with
#   StringEquals/StringLike/ArnEquals/ArnLike and a value other than "*"): otherwise any AWS account
#   could use or manage the key protecting PHI. A key without a policy attribute gets the AWS default
#   key policy, which trusts only the account root, and passes with a message saying so. A policy that
#   is not JSON fails; one that is unknown (a variable, jsonencode(...), a plan value known only after
#   apply), or a statement whose Effect, principal or condition value is unknown and could open the
#   key, is UNKNOWN: it cannot be shown to be private.
# custom:
#   id: IMGSEC-KMS-004
#   severity: high
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_kms_key
#   inputs:
#     - policy
#     - policy.Effect
#     - policy.Principal
#     - policy.Condition
#   remediation: >-
#     Name the principals in the key policy, or restrict each statement for principal "*" with a
#     condition on kms:CallerAccount (with kms:ViaService) or aws:SourceArn / aws:SourceAccount.
package imgsec.rules.kms.key_policy_principals

import data.imgsec.lib
import data.imgsec.lib.s3

# The policy is set: a value in the configuration, or (plan) an expression whose value is unknown.
_policy_set(key) if object.get(key.values, "policy", null) != null

_policy_set(key) if count(object.get(key.refs, "policy", [])) > 0

_document(key) := lib.policy(key, "policy")

_findings(key) := {_finding(st) | some st in s3.public_statements(_document(key))}

_finding(st) := concat("", ["key policy statement ", sid, _everyone]) if {
	sid := object.get(st, "Sid", null)
	is_string(sid)
} else := concat("", ["a key policy statement", _everyone])

_everyone := " allows principal * without a restricting Condition"

results contains lib.pass(key, "no policy: the AWS default key policy trusts only the account root") if {
	some key in lib.resources_of("aws_kms_key")
	not _policy_set(key)
}

results contains lib.fail(key, "key policy is not JSON: cannot show that it is private") if {
	some key in lib.resources_of("aws_kms_key")
	_policy_set(key)
	_document(key) == null
}

results contains lib.unknown(key, _policy_unknown) if {
	some key in lib.resources_of("aws_kms_key")
	lib.document_unknown(_document(key))
}

results contains lib.pass(key, "no key policy statement allows principal * without a restricting Condition") if {
	some key in lib.resources_of("aws_kms_key")
	_known_document(key)
	count(_findings(key)) == 0
	count(s3.maybe_public_statements(_document(key))) == 0
}

results contains lib.fail(key, finding) if {
	some key in lib.resources_of("aws_kms_key")
	_known_document(key)
	some finding in _findings(key)
}

results contains lib.unknown(key, concat("", [_where(st), _maybe_everyone])) if {
	some key in lib.resources_of("aws_kms_key")
	_known_document(key)
	count(_findings(key)) == 0
	some st in s3.maybe_public_statements(_document(key))
}

_known_document(key) if {
	_document(key) != null
	not lib.document_unknown(_document(key))
}

_where(st) := concat("", ["key policy statement ", sid]) if {
	sid := object.get(st, "Sid", null)
	is_string(sid)
} else := "a key policy statement"

_policy_unknown := "policy is unknown (not a literal document): cannot show that the key is private"

_maybe_everyone := concat("", [
	" has an unknown Effect, Principal or Condition value",
	" that could allow principal * without a restriction",
])
