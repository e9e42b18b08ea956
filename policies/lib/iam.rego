# METADATA
# description: >-
#   IAM helpers for the IAM rules: the permission policy documents of a stack (managed, inline and
#   role inline_policy blocks), statement matching on actions and resources, and simple IAM-style
#   wildcard matching that errs towards matching (a gate should over-report, never under-report).
#   Values may be unknown (the normalizer's marker "${?}"): the `may_` helpers say what an unknown
#   value could turn out to be, so that rules report UNKNOWN rather than PASS.
package imgsec.lib.iam

# Resource types whose `policy` attribute is a permission policy.
policy_types := {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}

# Resource types whose `inline_policy` attribute is a permission policy (a JSON string).
inline_policy_types := {"aws_ssoadmin_permission_set_inline_policy"}

# Every resource type that holds a permission policy document.
holder_types := (policy_types | inline_policy_types) | {"aws_iam_role"}

# A document whose content is unknown, as the normalizer writes it.
unknown_document := {"unknown": true, "Statement": []}

# The permission policy documents of a resource: {name: parsed document, `unknown_document` when
# its content is unknown, or null when it is not JSON}. A role whose inline_policy blocks are
# themselves unknown has an unknown document named "inline_policy". A document written as a
# reference to an aws_iam_policy_document data source is that data source's (lib.policy_document).
documents(r) := {"policy": document(r, "policy")} if r.type in policy_types

documents(r) := {"inline_policy": document(r, "inline_policy")} if r.type in inline_policy_types

documents(r) := object.union(
	{k: document(r, k) | some k, _ in r.policies; startswith(k, "inline_policy.")},
	_unknown_inline(r),
) if {
	r.type == "aws_iam_role"
}

# One policy document of a resource (`policy`, `assume_role_policy`, `inline_policy.<i>`,
# `inline_policy`). Unknown: the normalizer found it unknown (a statement that is itself unknown
# included); its value is unknown; or, in a plan, it is absent but refers to a resource.
document(r, name) := doc if {
	doc := data.imgsec.lib.policy_document(r, name, _value(r, name))
	doc != null
} else := unknown_document if {
	object.get(r.values, name, null) == null
	count(object.get(r.refs, name, [])) > 0
} else := unknown_document if {
	v := object.get(r.values, name, null)
	not is_object(v)
	data.imgsec.lib.is_unknown(v)
} else := null

# The written value of a document: a top-level attribute, or the policy of an inline_policy block.
_value(r, name) := object.get(block, "policy", null) if {
	startswith(name, "inline_policy.")
	i := to_number(substring(name, count("inline_policy."), -1))
	block := data.imgsec.lib.as_array(object.get(r.values, "inline_policy", []))[i]
	is_object(block)
} else := object.get(r.values, name, null)

_unknown_inline(r) := {"inline_policy": unknown_document} if {
	some block in data.imgsec.lib.as_array(object.get(r.values, "inline_policy", []))
	not is_object(block)
	data.imgsec.lib.is_unknown(block)
} else := {"inline_policy": unknown_document} if {
	object.get(r.values, "inline_policy", null) == null
	count(object.get(r.refs, "inline_policy", [])) > 0
} else := {}

# Every resource holding a permission policy: the policy types, SSO permission sets' inline
# policies, and roles with inline_policy blocks. Data sources (data.aws_iam_policy looks up an
# existing policy; data.aws_iam_policy_document renders one that a holder refers to) grant nothing
# themselves.
holders := [r |
	some type in holder_types
	some r in data.imgsec.lib.resources_of(type)
	r.mode != "data"
	count(documents(r)) > 0
]

# Where a statement is, for messages: `policy statement "Sid"` or `inline_policy.0 statement #2`.
where(name, doc, i) := concat("", [name, " statement \"", doc.Statement[i].Sid, "\""]) if {
	is_string(doc.Statement[i].Sid)
	doc.Statement[i].Sid != ""
} else := concat("", [name, " statement #", format_int(i + 1, 10)])

# Allow statements of a document, with their index (a statement without an Effect allows:
# lib.allows).
allow_statements(doc) := {i: s | some i, s in doc.Statement; data.imgsec.lib.allows(s)} if doc != null

allow_statements(null) := {}

# Statements that allow, or may once unknown values are known (an unknown Effect could be "Allow").
may_allow_statements(doc) := {i: s |
	some i, s in data.imgsec.lib.statements(doc)
	data.imgsec.lib.may_allow(s)
}

# The statement's Action (lower case), or its NotAction.
actions(s) := {lower(a) | some a in object.get(s, "Action", []); is_string(a)}

has_not_action(s) if object.get(s, "NotAction", null) != null

has_not_resource(s) if object.get(s, "NotResource", null) != null

resources(s) := {r | some r in object.get(s, "Resource", []); is_string(r)}

not_resources(s) := {r | some r in object.get(s, "NotResource", []); is_string(r)}

# The statement grants every action of `service` (e.g. "s3"): "*", "<service>:*" (or another
# pattern that covers the service), or a NotAction that cannot exclude the whole service.
grants_service(s, service) if {
	some a in actions(s)
	covers_service(a, service)
}

grants_service(s, service) if {
	has_not_action(s)
	not _may_exclude_service(s, service)
}

# The statement grants every action of `service`, or may once unknown actions are known.
may_grant_service(s, service) if {
	some a in actions(s)
	may_cover_service(a, service)
}

may_grant_service(s, service) if {
	has_not_action(s)
	not _excludes_service(s, service)
}

_excludes_service(s, service) if {
	some e in object.get(s, "NotAction", [])
	is_string(e)
	covers_service(lower(e), service)
}

_may_exclude_service(s, service) if {
	some e in object.get(s, "NotAction", [])
	is_string(e)
	may_cover_service(lower(e), service)
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

# The same, or an action with unknown parts that could become such a pattern ("${?}", "s3:${?}").
may_cover_service(pattern, service) if covers_service(pattern, service)

may_cover_service(pattern, service) if {
	p := opaque(pattern, "none")
	data.imgsec.lib.is_unknown(p)
	some literal in _covering_patterns(service)
	data.imgsec.lib.could_be(p, literal)
}

# The shortest patterns that cover a service: "*", "*:*", "s*", "s3*", "s3:*".
_covering_patterns(service) := {"*", "*:*"} | {concat("", [substring(prefix, 0, n), "*"]) |
	prefix := concat("", [service, ":"])
	some n in numbers.range(1, count(prefix))
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

# `v` with every unknown part written as the IAM wildcard "*".
unknown_as_wildcard(v) := replace(v, data.imgsec.lib.unknown_marker, "*")

# Two IAM wildcard patterns could match a common string: the text before their first wildcards
# agrees, and so does the text after their last ones. Over-approximates.
may_overlap(a, b) if {
	_compatible_prefixes(_literal_prefix(a), _literal_prefix(b))
	_compatible_suffixes(_literal_suffix(a), _literal_suffix(b))
}

_literal_prefix(p) := split(replace(p, "?", "*"), "*")[0]

_literal_suffix(p) := parts[count(parts) - 1] if {
	parts := split(replace(p, "?", "*"), "*")
}

_compatible_prefixes(x, y) if startswith(x, y)

_compatible_prefixes(x, y) if startswith(y, x)

_compatible_suffixes(x, y) if endswith(x, y)

_compatible_suffixes(x, y) if endswith(y, x)

# Messages for UNKNOWN verdicts. `parts` names the unknown parts of a statement in order
# (["Effect", "Action"]); `what` says what cannot be shown ("it does not allow ...").
unknown_statement_message(name, doc, i, parts, what) := concat(" ", [where(name, doc, i), _phrase(parts, what)])

_phrase(parts, what) := concat("", [_parts_phrase(parts), ": cannot show that ", what])

_parts_phrase(parts) := concat("", [parts[0], " is unknown (not a literal)"]) if count(parts) == 1

_parts_phrase(parts) := concat("", [concat(", ", parts), " are unknown (not literals)"]) if count(parts) > 1

unknown_document_message(name, what) := concat("", [
	name,
	" is unknown (not a literal document): cannot show that ",
	what,
])

# `v` with every reference "${...}" written as the unknown marker, except the ones `keep` names:
# "identifiers" keeps references to identifying attributes (an ARN, id or name is one specific
# value), "principals" keeps references that are named principals (a role's or user's ARN, an
# account id), "none" keeps none. What a rule cannot resolve is unknown.
opaque(v, keep) := concat("", array.concat([parts[0]], rest)) if {
	parts := split(v, "${")
	rest := [_opaque_part(p, keep) | some p in array.slice(parts, 1, count(parts))]
}

_opaque_part(p, keep) := concat("", ["${", p]) if {
	end := indexof(p, "}")
	end >= 0
	_keep(keep, substring(p, 0, end))
} else := concat("", [data.imgsec.lib.unknown_marker, substring(p, indexof(p, "}") + 1, -1)]) if {
	indexof(p, "}") >= 0
} else := data.imgsec.lib.unknown_marker

_keep(_, "?")

_keep("identifiers", ref) if _last_attribute(ref) in _identifier_attributes

_keep("principals", ref) if _last_attribute(ref) in {"arn", "account_id", "unique_id"}

_keep("principals", ref) if _reference_type(ref) in _principal_types

_identifier_attributes := {
	"arn", "id", "name", "bucket", "key_id", "account_id", "partition", "region",
	"function_name", "qualified_arn", "unique_id", "dns_suffix",
}

_principal_types := {"aws_iam_role", "aws_iam_user", "aws_caller_identity", "aws_organizations_account"}

_last_attribute(ref) := parts[count(parts) - 1] if {
	parts := split(ref, ".")
}

_reference_type(ref) := parts[1] if {
	parts := split(ref, ".")
	parts[0] == "data"
} else := split(ref, ".")[0]

# ---- managed policy attachments ------------------------------------------------------------------

# Resources that attach a managed policy, and the attribute that names it.
attachment_attribute := {
	"aws_iam_role_policy_attachment": "policy_arn",
	"aws_iam_user_policy_attachment": "policy_arn",
	"aws_iam_group_policy_attachment": "policy_arn",
	"aws_iam_policy_attachment": "policy_arn",
	"aws_ssoadmin_managed_policy_attachment": "managed_policy_arn",
}

attachment_types := {
	"aws_iam_role_policy_attachment",
	"aws_iam_user_policy_attachment",
	"aws_iam_group_policy_attachment",
	"aws_iam_policy_attachment",
	"aws_ssoadmin_managed_policy_attachment",
}

# The managed policies a resource attaches, as [{"attr", "arn"}]: the attachment resources, and an
# aws_iam_role's managed_policy_arns. The ARN is what the rules read (effective_arn). In a plan, an
# attribute absent but referring to resources stands for those resources' ARNs (policy_arn), or
# for an unknown list (managed_policy_arns).
attached(r) := [{"attr": attr, "arn": effective_arn(arn)} |
	attr := attachment_attribute[r.type]
	some arn in _policy_arns(r, attr)
] if {
	r.type in attachment_types
} else := [{"attr": "managed_policy_arns", "arn": effective_arn(arn)} | some arn in _managed_arns(r)] if {
	r.type == "aws_iam_role"
} else := []

# Every resource that attaches at least one managed policy.
attachers := [r |
	some type in (attachment_types | {"aws_iam_role"})
	some r in data.imgsec.lib.resources_of(type)
	count(attached(r)) > 0
]

_policy_arns(r, attr) := [r.values[attr]] if {
	is_string(r.values[attr])
} else := [concat("", ["${", target, ".arn}"]) | some target in r.refs[attr]] if {
	object.get(r.values, attr, null) == null
} else := []

_managed_arns(r) := [_arn_string(arn) | some arn in data.imgsec.lib.as_array(r.values.managed_policy_arns)] if {
	r.values.managed_policy_arns != null
} else := [data.imgsec.lib.unknown_marker] if {
	count(object.get(r.refs, "managed_policy_arns", [])) > 0
} else := []

_arn_string(arn) := arn if is_string(arn)

_arn_string(arn) := data.imgsec.lib.unknown_marker if not is_string(arn)

# What an attached ARN is: a reference to a data.aws_iam_policy is the ARN (or the AWS managed
# policy name) that the data source names; anything else stays as written (a reference to an
# aws_iam_policy of the stack is that customer managed policy, checked on its own).
effective_arn(arn) := resolved if {
	source := _referenced(arn)
	source.mode == "data"
	source.type == "aws_iam_policy"
	resolved := _data_policy_arn(source)
} else := arn

_data_policy_arn(source) := arn if {
	arn := source.values.arn
	data.imgsec.lib.attrs.present(arn)
} else := concat("", ["arn:aws:iam::aws:policy/", name]) if {
	name := source.values.name
	data.imgsec.lib.attrs.present(name)
} else := data.imgsec.lib.unknown_marker

# The resource a whole-value reference "${<address>.<attribute>}" names.
_referenced(v) := source if {
	startswith(v, "${")
	endswith(v, "}")
	inner := substring(v, 2, count(v) - 3)
	not contains(inner, "{")
	some source in input.resources
	startswith(inner, concat("", [source.config_address, "."]))
}

# An AWS managed policy's name, when the ARN names one (arn:<partition>:iam::aws:policy/<path><name>).
aws_managed_name(arn) := name if {
	is_string(arn)
	canonical := data.imgsec.lib.attrs.canonical_arn(arn)
	not contains(canonical, "${")
	m := regex.find_all_string_submatch_n(`^arn:aws:iam::aws:policy/(?:.*/)?([^/]+)$`, canonical, 1)
	count(m) == 1
	name := m[0][1]
}

# ---- service-wide and specific grants ------------------------------------------------------------

# An action pattern (lower case) that grants every action of at least one service: "*", "s3:*",
# or a pattern whose wildcard cuts into the service name ("s3*", "*:*", "s?:*").
service_wide(pattern) if {
	not contains(pattern, ":")
	has_wildcard(replace(pattern, data.imgsec.lib.unknown_marker, ""))
}

service_wide(pattern) if {
	i := indexof(pattern, ":")
	i >= 0
	action := substring(pattern, i + 1, -1)
	action != ""
	replace(action, "*", "") == ""
}

# The same, or a pattern with unknown parts (or references no rule reads) that could become one
# ("${?}", "s3:${?}").
may_be_service_wide(pattern) if service_wide(pattern)

may_be_service_wide(pattern) if {
	contains(pattern, "${")
	p := opaque(pattern, "none")
	data.imgsec.lib.is_unknown(p)
	service_wide(unknown_as_wildcard(p))
}

# Whether a statement's actions include `action` (lower case, e.g. "kms:decrypt"): true, false, or
# "unknown" (an Action, or a NotAction entry, with unknown parts that could match it). A NotAction
# grants every action it does not match.
grants(s, action) if {
	not has_not_action(s)
	some a in actions(s)
	may_match(a, action)
} else := "unknown" if {
	not has_not_action(s)
	some a in actions(s)
	_may_match_unknown(a, action)
} else := false if {
	not has_not_action(s)
} else := false if {
	some e in _not_actions(s)
	may_match(e, action)
	not contains(e, "${")
} else := "unknown" if {
	some e in _not_actions(s)
	_may_match_unknown(e, action)
} else := true

_not_actions(s) := {lower(e) | some e in object.get(s, "NotAction", []); is_string(e)}

_may_match_unknown(pattern, action) if {
	contains(pattern, "${")
	p := opaque(pattern, "none")
	data.imgsec.lib.is_unknown(p)
	may_match(unknown_as_wildcard(p), action)
}
