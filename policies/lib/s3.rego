# METADATA
# description: >-
#   Helpers shared by the S3 and KMS rules: a bucket's policy documents, public-principal
#   statements and the conditions that restrict them, and the buckets that hold audit records.
package imgsec.lib.s3

# The policy documents that apply to a bucket: every aws_s3_bucket_policy referring to it, and the
# deprecated inline `policy` attribute (a plan may show it as "" when there is none). A document is
# null when it is unknown (plan) or not JSON.
bucket_policies(bucket) := array.concat(
	[object.get(p.policies, "policy", null) | some p in data.imgsec.lib.related("aws_s3_bucket_policy", "bucket", bucket)],
	[object.get(bucket.policies, "policy", null) | not object.get(bucket.values, "policy", null) in {null, ""}],
)

# An Allow statement whose principal is everyone: Principal "*" / {"AWS": "*"}, or NotPrincipal.
allows_everyone(statement) if {
	statement.Effect == "Allow"
	data.imgsec.lib.principal_is_everyone(statement.Principal)
}

allows_everyone(statement) if {
	statement.Effect == "Allow"
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
	data.imgsec.lib.could_be(object.get(s, "Effect", "Allow"), "Allow")
	data.imgsec.lib.principal_may_be_everyone(object.get(s, "Principal", null))
}

_may_allow_everyone(s) if {
	data.imgsec.lib.could_be(object.get(s, "Effect", "Allow"), "Allow")
	object.get(s, "NotPrincipal", null) != null
}

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

_is_bucket_arn(arn, bucket) if arn == concat("", ["${", bucket.config_address, ".arn}"])

_is_bucket_arn(arn, bucket) if {
	is_string(arn)
	name := data.imgsec.lib.bucket_name(bucket)
	name != ""
	endswith(arn, concat("", [":::", name]))
}

holds_audit_records(bucket) if bucket.address in audit_buckets
