# METADATA
# description: >-
#   IAM helpers for the IAM rules: the permission policy documents of a stack (managed, inline and
#   role inline_policy blocks), statement matching on actions and resources, and simple IAM-style
#   wildcard matching that errs towards matching (a gate should over-report, never under-report).
package imgsec.lib.iam

# Resource types whose `policy` attribute is a permission policy.
policy_types := {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}

# The permission policy documents of a resource: {name: parsed document or null when unknown}.
documents(r) := {"policy": object.get(r.policies, "policy", null)} if r.type in policy_types

documents(r) := {k: doc | some k, doc in r.policies; startswith(k, "inline_policy.")} if r.type == "aws_iam_role"

# Every resource holding a permission policy: the policy types, and roles with inline_policy blocks.
holders := [r |
	some type in (policy_types | {"aws_iam_role"})
	some r in data.imgsec.lib.resources_of(type)
	count(documents(r)) > 0
]

# Where a statement is, for messages: `policy statement "Sid"` or `inline_policy.0 statement #2`.
where(name, doc, i) := concat("", [name, " statement \"", doc.Statement[i].Sid, "\""]) if {
	is_string(doc.Statement[i].Sid)
	doc.Statement[i].Sid != ""
} else := concat("", [name, " statement #", format_int(i + 1, 10)])

# Allow statements of a document, with their index.
allow_statements(doc) := {i: s | some i, s in doc.Statement; s.Effect == "Allow"} if doc != null

allow_statements(null) := {}

# The statement's Action (lower case), or its NotAction.
actions(s) := {lower(a) | some a in object.get(s, "Action", []); is_string(a)}

has_not_action(s) if object.get(s, "NotAction", null) != null

has_not_resource(s) if object.get(s, "NotResource", null) != null

resources(s) := {r | some r in object.get(s, "Resource", []); is_string(r)}

not_resources(s) := {r | some r in object.get(s, "NotResource", []); is_string(r)}

# The statement grants every action of `service` (e.g. "s3"): "*", "<service>:*", or a NotAction
# that does not exclude the whole service.
grants_service(s, service) if {
	some a in actions(s)
	a in {"*", "*:*", concat("", [service, ":*"])}
}

grants_service(s, service) if {
	has_not_action(s)
	not _excludes_service(s, service)
}

_excludes_service(s, service) if {
	some e in object.get(s, "NotAction", [])
	is_string(e)
	covers_service(lower(e), service)
}

# An action pattern (lower case) that matches every action of the service.
covers_service(pattern, service) if pattern in {"*", "*:*", concat("", [service, ":*"])}

covers_service(pattern, service) if {
	endswith(pattern, "*")
	prefix := trim_suffix(pattern, "*")
	not contains(prefix, "*")
	not contains(prefix, "?")
	startswith(concat("", [service, ":"]), prefix)
}

# IAM wildcard match of `pattern` against `s`, over-approximated: the text before the first
# wildcard is a prefix of s, the text after the last one a suffix, and the pieces between appear in
# s. Exact (no wildcard) patterns must equal s.
may_match(pattern, s) if {
	not contains(pattern, "*")
	not contains(pattern, "?")
	pattern == s
}

may_match(pattern, s) if {
	parts := split(replace(pattern, "?", "*"), "*")
	count(parts) > 1
	startswith(s, parts[0])
	endswith(s, parts[count(parts) - 1])
	every piece in array.slice(parts, 1, count(parts) - 1) {
		contains(s, piece)
	}
}

has_wildcard(pattern) if contains(pattern, "*")

has_wildcard(pattern) if contains(pattern, "?")
