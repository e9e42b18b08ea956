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

# True when the statement's Condition limits who can use it (not "*" or an open network).
restricted_by_condition(statement) if {
	some operator, keys in object.get(statement, "Condition", {})
	operator in restricting_operators
	some key, values in keys
	lower(key) in restricting_keys
	_all_specific(values, {"*", ""})
}

restricted_by_condition(statement) if {
	some key, values in object.get(object.get(statement, "Condition", {}), "IpAddress", {})
	lower(key) == "aws:sourceip"
	_all_specific(values, _open_cidrs | {"", "*"})
}

_all_specific(values, open) if {
	vs := data.imgsec.lib.as_array(values)
	count(vs) > 0
	every v in vs {
		is_string(v)
		not v in open
	}
}

# Statements of a document that open it to everyone without a restricting condition.
public_statements(doc) := [s |
	some s in data.imgsec.lib.statements(doc)
	allows_everyone(s)
	not restricted_by_condition(s)
]

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
