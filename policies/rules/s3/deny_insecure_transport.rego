# METADATA
# title: S3 bucket policies deny requests that do not use TLS
# description: >-
#   Every bucket's policy has a Deny statement for principal "*" on all S3 actions ("s3:*" or "*")
#   over the bucket's objects (a Resource ending in "*") when aws:SecureTransport is false (Bool or
#   BoolIfExists, as the string "false" or the boolean false), so PHI never crosses the network in
#   clear text. The policy is an aws_s3_bucket_policy referring to the bucket (or the deprecated
#   inline policy). A bucket with no policy fails, and so does a policy that is not JSON. A policy
#   that is unknown (a variable, jsonencode(...), a data source's json, a plan value known only after
#   apply) is UNKNOWN, and so is one whose only candidate Deny has an unknown Effect, Principal,
#   Action, Resource or Condition value: it cannot be shown to deny plain HTTP.
# custom:
#   id: IMGSEC-S3-006
#   severity: high
#   controls:
#     - 164.312(e)(1)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - policy
#     - policy.Effect
#     - policy.Principal
#     - policy.Action
#     - policy.Resource
#     - policy.Condition
#   peers:
#     - cdk-nag:HIPAA.Security-S3BucketSSLRequestsOnly
#     - aws-config:s3-bucket-ssl-requests-only
#     - prowler:s3_bucket_secure_transport_policy
#   remediation: >-
#     Add to the bucket policy a statement { Effect = "Deny", Principal = "*", Action = "s3:*",
#     Resource = [bucket ARN, "bucket ARN/*"], Condition = { Bool = { "aws:SecureTransport" = "false" } } }
#     (SecureBucket does this by default).
package imgsec.rules.s3.deny_insecure_transport

import data.imgsec.lib
import data.imgsec.lib.s3

# A statement that denies every S3 action to everyone over plain HTTP.
denies_insecure_transport(statement) if {
	statement.Effect == "Deny"
	lib.principal_is_everyone(statement.Principal)
	_insecure_transport(statement.Condition)
	some action in object.get(statement, "Action", [])
	lower(action) in {"*", "s3:*"}
	some resource in object.get(statement, "Resource", [])
	endswith(resource, "*")
}

_insecure_transport(condition) if {
	some operator in ["Bool", "BoolIfExists"]
	some key, value in object.get(condition, operator, {})
	lower(key) == "aws:securetransport"
	some v in lib.as_array(value)
	v in {"false", false}
}

# A statement that may be that Deny once its unknown values are known.
_may_deny_insecure_transport(statement) if {
	lib.could_be(object.get(statement, "Effect", null), "Deny")
	_may_be_everyone(object.get(statement, "Principal", null))
	_may_be_insecure_transport(object.get(statement, "Condition", null))
	some action in object.get(statement, "Action", [])
	_may_be_any_action(action)
	some resource in object.get(statement, "Resource", [])
	_may_end_with_star(resource)
}

_may_be_everyone(p) if lib.principal_is_everyone(p)

_may_be_everyone(p) if lib.principal_may_be_everyone(p)

_may_be_any_action(action) if {
	some a in {"*", "s3:*"}
	lib.could_be(lower(action), a)
}

_may_end_with_star(resource) if endswith(resource, "*")

_may_end_with_star(resource) if endswith(resource, lib.unknown_marker)

_may_be_insecure_transport(condition) if _insecure_transport(condition)

_may_be_insecure_transport(condition) if {
	not is_object(condition)
	lib.is_unknown(condition)
}

_may_be_insecure_transport(condition) if {
	some operator, keys in condition
	_may_be_bool_operator(operator)
	not is_object(keys)
	lib.is_unknown(keys)
}

_may_be_insecure_transport(condition) if {
	some operator, keys in condition
	_may_be_bool_operator(operator)
	some key, value in keys
	_may_be_secure_transport_key(key)
	some v in lib.as_array(value)
	lib.could_be(v, "false")
}

_may_be_bool_operator(operator) if operator in {"Bool", "BoolIfExists"}

_may_be_bool_operator(operator) if _unresolved_key(operator)

_may_be_secure_transport_key(key) if lower(key) == "aws:securetransport"

_may_be_secure_transport_key(key) if _unresolved_key(key)

# An object key the normalizer cannot rewrite: a template in a key is unknown.
_unresolved_key(key) if contains(replace(key, "$${", ""), "${")

_compliant(doc) if {
	some statement in lib.statements(doc)
	denies_insecure_transport(statement)
}

_known(doc) if {
	doc != null
	not lib.document_unknown(doc)
}

_maybe_statements(doc) := [st |
	some st in lib.statements(doc)
	not denies_insecure_transport(st)
	_may_deny_insecure_transport(st)
]

# The statement fields whose unknown values leave the statement's verdict open ("Statement" if
# none can be named, so that an open statement is never taken for a PASS).
_open_fields(st) := fields if {
	fields := _unknown_fields(st)
	count(fields) > 0
} else := {"Statement"}

_unknown_fields(st) := ({f |
	some f in ["Effect", "Principal", "Action", "Resource"]
	lib.is_unknown(object.get(st, f, null))
} | {"Condition" | lib.is_unknown(object.get(st, "Condition", null))}) | {"Condition" |
	some operator, keys in object.get(st, "Condition", {})
	_unresolved_condition_key(operator, keys)
}

_unresolved_condition_key(operator, _) if _unresolved_key(operator)

_unresolved_condition_key(_, keys) if {
	some key, _ in keys
	_unresolved_key(key)
}

_failures(bucket) := {"no aws_s3_bucket_policy for the bucket (plain HTTP is not denied)"} if {
	count(s3.policy_documents(bucket)) == 0
} else := {msg |
	some [_, doc] in s3.policy_documents(bucket)
	doc == null
	msg := "bucket policy is not JSON: cannot show that plain HTTP is denied"
} | {msg |
	some [_, doc] in s3.policy_documents(bucket)
	_known(doc)
	not _compliant(doc)
	count(_maybe_statements(doc)) == 0
	msg := "bucket policy has no Deny of s3:* for principal * with Bool aws:SecureTransport false"
}

_unknowns(bucket) := {msg |
	some [where, doc] in s3.policy_documents(bucket)
	lib.document_unknown(doc)
	msg := concat("", [
		"policy is unknown (not a literal document) on ", where,
		": cannot show that plain HTTP is denied",
	])
} | {msg |
	some [where, doc] in s3.policy_documents(bucket)
	_known(doc)
	not _compliant(doc)
	some st in _maybe_statements(doc)
	some field in _open_fields(st)
	msg := concat("", [
		"policy.", field, " is unknown (not a literal) on ", where,
		": cannot show that a statement denies s3:* to principal * when aws:SecureTransport is false",
	])
}

results contains lib.pass(bucket, "bucket policy denies s3:* when aws:SecureTransport is false") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(_failures(bucket)) == 0
	count(_unknowns(bucket)) == 0
}

results contains lib.fail(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some msg in _failures(bucket)
}

results contains lib.unknown(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(_failures(bucket)) == 0
	some msg in _unknowns(bucket)
}
