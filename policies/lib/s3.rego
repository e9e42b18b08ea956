# METADATA
# description: >-
#   Helpers shared by the S3 and KMS rules: values a rule cannot read (unknown), a bucket's policy
#   documents, public-principal statements and the conditions that restrict them, server access log
#   targets, and the buckets that hold audit records.
package imgsec.lib.s3

# ---- values a rule cannot read --------------------------------------------------------------------

# r's top-level attribute `name` (null when not set). In a plan, an attribute that is absent or null
# but refers to a resource is known only after apply: it is the unknown marker.
value(r, name) := data.imgsec.lib.unknown_marker if {
	object.get(r.values, name, null) == null
	count(object.get(r.refs, name, [])) > 0
} else := object.get(r.values, name, null)

# The instances of a nested block value (an object or a list of objects in Terraform JSON). An
# unknown block stays the marker, which `field` reads as unknown.
instances(x) := [b | some b in data.imgsec.lib.as_array(x); b != null] if x != null

instances(null) := []

# `name` in `b`, an instance of a block in r's top-level attribute `top` (null when not set). The
# marker when the instance is unknown, or, in a plan, when the value is absent from a block that
# refers to a resource: the plan leaves out values known only after apply.
field(r, top, b, name) := data.imgsec.lib.unknown_marker if {
	not is_object(b)
	data.imgsec.lib.is_unknown(b)
} else := data.imgsec.lib.unknown_marker if {
	is_object(b)
	not _has_key(b, name)
	input.source == "plan"
	count(object.get(r.refs, top, [])) > 0
} else := object.get(b, name, null) if {
	is_object(b)
} else := null

_has_key(obj, key) if {
	some k, _ in obj
	k == key
}

# `v`, the value of r's top-level attribute `top` or of a block in it, is not known: it holds the
# unknown marker, or it is a reference the normalizer kept (listed in refs) to a value that no
# rule resolves, such as `${aws_ssm_parameter.p.value}` where a literal status is expected.
unknown_value(_, _, v) if data.imgsec.lib.is_unknown(v)

unknown_value(r, top, v) if {
	count(object.get(r.refs, top, [])) > 0
	walk(v, [_, x])
	is_string(x)
	contains(replace(x, "$${", ""), "${")
}

# A number as the provider reads it: a number, or a string of digits (Terraform converts it);
# "unknown" when the value is unknown (see unknown_value); undefined for anything else.
number(r, top, v) := v if {
	is_number(v)
} else := to_number(v) if {
	is_string(v)
	regex.match(`^[0-9]+$`, v)
} else := "unknown" if {
	unknown_value(r, top, v)
}

# ---- bucket policies ----------------------------------------------------------------------------

# The policy documents that apply to a bucket: every aws_s3_bucket_policy referring to it, and the
# deprecated inline `policy` attribute when it is set (a plan may show it as "" when there is none,
# and leaves it out when it is computed from an aws_s3_bucket_policy). A document is null when it is
# not JSON, and {"unknown": true, "Statement": []} when it is unknown (lib.document_unknown).
bucket_policies(bucket) := [doc | some [_, doc] in policy_documents(bucket)]

# The same documents with the address of the resource that holds each: [address, document].
policy_documents(bucket) := array.concat(
	[[p.address, data.imgsec.lib.policy(p, "policy")] |
		some p in data.imgsec.lib.related("aws_s3_bucket_policy", "bucket", bucket)
	],
	[[bucket.address, data.imgsec.lib.policy(bucket, "policy")] | _inline_policy_set(bucket)],
)

_inline_policy_set(bucket) if not object.get(bucket.values, "policy", null) in {null, ""}

_inline_policy_set(bucket) if {
	object.get(bucket.values, "policy", null) == null
	count(object.get(bucket.refs, "policy", [])) > 0
}

# An Allow statement (or one without an Effect: lib.allows) whose principal is everyone: Principal
# "*" / {"AWS": "*"}, or NotPrincipal.
allows_everyone(statement) if {
	data.imgsec.lib.allows(statement)
	data.imgsec.lib.principal_is_everyone(statement.Principal)
}

allows_everyone(statement) if {
	data.imgsec.lib.allows(statement)
	statement.NotPrincipal
}

# Condition keys that pin the caller (or the calling service's source) to an account, an
# organization, a resource or a network endpoint.
restricting_keys := {
	"aws:sourceaccount",
	"aws:sourcearn",
	"aws:sourceowner",
	"aws:sourceorgid",
	"aws:sourceorgpaths",
	"aws:sourcevpce",
	"aws:sourcevpc",
	"aws:principalorgid",
	"aws:principalorgpaths",
	"aws:principalaccount",
	"aws:principalarn",
	"kms:calleraccount",
}

# Operators that match only the listed values. Negated (StringNotEquals...) and ...IfExists
# operators still match callers without the key or with any other value, so they do not restrict.
restricting_operators := {
	"StringEquals",
	"StringEqualsIgnoreCase",
	"StringLike",
	"ArnEquals",
	"ArnLike",
}

_open_cidrs := {"0.0.0.0/0", "::/0"}

# True when the statement's Condition limits who can use it (not "*" or an open network), with
# values that are known: a restriction to "${?}" could be a restriction to "*".
restricted_by_condition(statement) if _restricted(statement, true)

# True when the Condition limits who can use it, or may once unknown values are known.
may_be_restricted(statement) if _restricted(statement, false)

may_be_restricted(statement) if data.imgsec.lib.is_unknown(object.get(statement, "Condition", {}))

_restricted(statement, known) if {
	some operator, keys in object.get(statement, "Condition", {})
	operator in restricting_operators
	some key, values in keys
	lower(key) in restricting_keys
	_all_specific(values, {"*", ""}, known)
}

_restricted(statement, known) if {
	some key, values in object.get(object.get(statement, "Condition", {}), "IpAddress", {})
	lower(key) == "aws:sourceip"
	_all_specific(values, _open_cidrs | {"", "*"}, known)
}

_all_specific(values, open, known) if {
	vs := data.imgsec.lib.as_array(values)
	count(vs) > 0
	every v in vs {
		is_string(v)
		not v in open
		_known_enough(v, open, known)
	}
}

_known_enough(_, _, false)

_known_enough(v, open, true) if {
	not _could_be_open(v, open)
}

_could_be_open(v, open) if {
	some o in open
	data.imgsec.lib.could_be(v, o)
}

# Statements of a document that open it to everyone without a restricting condition.
public_statements(doc) := [s |
	some s in data.imgsec.lib.statements(doc)
	allows_everyone(s)
	not may_be_restricted(s)
]

# Statements that open the document to everyone once unknown values are known (an unknown
# Effect, principal or condition value), and are not already public: their verdict is UNKNOWN.
maybe_public_statements(doc) := [s |
	some s in data.imgsec.lib.statements(doc)
	not _definitely_public(s)
	_may_allow_everyone(s)
	not restricted_by_condition(s)
]

_definitely_public(s) if {
	allows_everyone(s)
	not may_be_restricted(s)
}

_may_allow_everyone(s) if {
	data.imgsec.lib.may_allow(s)
	data.imgsec.lib.principal_may_be_everyone(object.get(s, "Principal", null))
}

_may_allow_everyone(s) if {
	data.imgsec.lib.may_allow(s)
	object.get(s, "NotPrincipal", null) != null
}

# ---- server access log targets -------------------------------------------------------------------

# r's `attr`, which names a bucket, is unknown: it holds the unknown marker, or it refers only to
# resources that are not buckets. A reference to a bucket (`${aws_s3_bucket.logs.id}`, absent from
# a plan until apply) is known: lib.related resolves it.
bucket_ref_unknown(r, attr) if data.imgsec.lib.is_unknown(object.get(r.values, attr, null))

bucket_ref_unknown(r, attr) if {
	refs := object.get(r.refs, attr, [])
	count(refs) > 0
	every ref in refs {
		not _is_bucket_address(ref)
	}
}

# The aws_s3_bucket_logging resources whose target_bucket is unknown: any bucket may be their target.
unknown_log_targets := [l.address |
	some l in data.imgsec.lib.resources_of("aws_s3_bucket_logging")
	bucket_ref_unknown(l, "target_bucket")
]

_is_bucket_address(address) if regex.match(`(^|\.)aws_s3_bucket\.[^.]+$`, address)

# Tags of a resource (configuration `tags`, or a plan's `tags_all`).
_tags(r) := t if {
	t := r.values.tags
	is_object(t)
} else := t if {
	t := r.values.tags_all
	is_object(t)
} else := {}

# Buckets that hold audit records: a CloudTrail trail delivers to them, or their tags say so.
_direct_audit_buckets contains bucket.address if {
	some bucket in data.imgsec.lib.resources_of("aws_s3_bucket")
	some trail in data.imgsec.lib.resources_of("aws_cloudtrail")
	data.imgsec.lib.refers_to(trail, "s3_bucket_name", bucket)
}

_direct_audit_buckets contains bucket.address if {
	some bucket in data.imgsec.lib.resources_of("aws_s3_bucket")
	_tags(bucket)["imgsec:purpose"] == "audit"
}

# ... and the replication destinations of those buckets (replicated audit records).
audit_buckets contains address if some address in _direct_audit_buckets

audit_buckets contains replica.address if {
	some source in data.imgsec.lib.resources_of("aws_s3_bucket")
	source.address in _direct_audit_buckets
	some replication in data.imgsec.lib.related("aws_s3_bucket_replication_configuration", "bucket", source)
	some rule in data.imgsec.lib.as_array(object.get(replication.values, "rule", []))
	some destination in data.imgsec.lib.as_array(object.get(rule, "destination", []))
	some replica in data.imgsec.lib.resources_of("aws_s3_bucket")
	_is_bucket_arn(destination.bucket, replica)
}

# In a plan, a destination bucket created in the same apply is known only after apply: the rule
# block refers to it.
audit_buckets contains replica.address if {
	some source in data.imgsec.lib.resources_of("aws_s3_bucket")
	source.address in _direct_audit_buckets
	some replication in data.imgsec.lib.related("aws_s3_bucket_replication_configuration", "bucket", source)
	some ref in object.get(replication.refs, "rule", [])
	some replica in data.imgsec.lib.resources_of("aws_s3_bucket")
	replica.config_address == ref
	replica.config_address != source.config_address
}

_is_bucket_arn(arn, bucket) if arn == concat("", ["${", bucket.config_address, ".arn}"])

_is_bucket_arn(arn, bucket) if {
	is_string(arn)
	name := data.imgsec.lib.bucket_name(bucket)
	name != ""
	endswith(arn, concat("", [":::", name]))
}

holds_audit_records(bucket) if bucket.address in audit_buckets

# Why a bucket that is not known to hold audit records may hold them once unknown values are known:
# a trail's s3_bucket_name, its imgsec:purpose tag, or the destination of a replication from a bucket
# that (maybe) holds them is unknown and could name it. One message per reason, naming the attribute.
audit_unknowns(bucket) := set() if {
	holds_audit_records(bucket)
} else := _direct_audit_unknowns(bucket) | _replica_audit_unknowns(bucket)

_direct_audit_unknowns(bucket) := {concat("", ["s3_bucket_name is unknown (not a literal) on ", trail.address]) |
	some trail in data.imgsec.lib.resources_of("aws_cloudtrail")
	bucket_ref_unknown(trail, "s3_bucket_name")
	_could_name(object.get(trail.values, "s3_bucket_name", null), bucket)
} | {"tags.imgsec:purpose is unknown (not a literal)" | _tag_may_be_audit(bucket)}

_replica_audit_unknowns(bucket) := {msg |
	some source in data.imgsec.lib.resources_of("aws_s3_bucket")
	source.address != bucket.address
	_holds_or_may_hold_directly(source)
	some replication in data.imgsec.lib.related("aws_s3_bucket_replication_configuration", "bucket", source)
	some rule in instances(value(replication, "rule"))
	some destination in instances(field(replication, "rule", rule, "destination"))
	_destination_unknown(replication, destination)
	_could_name(field(replication, "rule", destination, "bucket"), bucket)
	msg := concat("", ["rule.destination.bucket is unknown (not a literal) on ", replication.address])
}

# A replication destination's bucket is unknown, and (plan) the rule block refers to no bucket that
# it could be known to be.
_destination_unknown(replication, destination) if {
	data.imgsec.lib.is_unknown(field(replication, "rule", destination, "bucket"))
	not _refers_to_a_bucket(replication, "rule")
}

_destination_unknown(_, destination) if data.imgsec.lib.is_unknown(object.get(destination, "bucket", null))

_refers_to_a_bucket(r, attr) if {
	some ref in object.get(r.refs, attr, [])
	_is_bucket_address(ref)
}

_holds_or_may_hold_directly(bucket) if holds_audit_records(bucket)

_holds_or_may_hold_directly(bucket) if count(_direct_audit_unknowns(bucket)) > 0

# An unknown name or ARN could name the bucket: its literal parts fit the bucket's literal name (a
# name built with references, or none, fits any).
_could_name(v, _) if not is_string(v)

_could_name(v, _) if {
	is_string(v)
	not contains(v, data.imgsec.lib.unknown_marker)
	contains(v, "${")
}

_could_name(v, bucket) if {
	is_string(v)
	_name_unreadable(data.imgsec.lib.bucket_name(bucket))
}

_could_name(v, bucket) if {
	is_string(v)
	name := data.imgsec.lib.bucket_name(bucket)
	not _name_unreadable(name)
	parts := split(v, ":::")
	data.imgsec.lib.could_be(parts[count(parts) - 1], name)
}

_name_unreadable(name) if not is_string(name)

_name_unreadable("")

_name_unreadable(name) if contains(name, "${")

_tag_may_be_audit(bucket) if {
	t := _tag_source(bucket)
	not is_object(t)
	data.imgsec.lib.is_unknown(t)
}

_tag_may_be_audit(bucket) if {
	t := _tag_source(bucket)
	is_object(t)
	v := object.get(t, "imgsec:purpose", null)
	v != "audit"
	data.imgsec.lib.could_be(v, "audit")
}

# The tags `_tags` reads: configuration `tags` (an object, or unknown), else a plan's `tags_all`.
_tag_source(r) := t if {
	t := object.get(r.values, "tags", null)
	is_object(t)
} else := t if {
	t := object.get(r.values, "tags", null)
	data.imgsec.lib.is_unknown(t)
} else := object.get(r.values, "tags_all", {})
