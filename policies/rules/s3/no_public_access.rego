# METADATA
# title: S3 buckets grant no public access
# description: >-
#   No bucket is readable or writable by everyone: no public canned ACL (public-read,
#   public-read-write, authenticated-read) in the bucket's acl attribute or an aws_s3_bucket_acl, no
#   ACL grant to the AllUsers or AuthenticatedUsers groups, and no Allow statement in the bucket
#   policy for principal "*" (or with NotPrincipal) unless a Condition restricts it to an account,
#   organization, source ARN, VPC endpoint or network (aws:SourceAccount, aws:SourceArn,
#   aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceVpce, kms:CallerAccount, aws:SourceIp...,
#   with StringEquals/StringLike/ArnEquals/ArnLike/IpAddress and a value other than "*").
#   A bucket policy that is not JSON fails. What is unknown (a variable, jsonencode(...), a data
#   source's json, a plan value known only after apply) is UNKNOWN where it could make the bucket
#   public: a policy document; a statement's Effect, Principal or Condition value (a principal such as
#   "arn:aws:iam::${?}:root" is named, never everyone); an acl or a grant's uri, unless ACLs are
#   disabled (ownership controls BucketOwnerEnforced) or, for the deprecated inline ones, an
#   aws_s3_bucket_acl decides (a plan shows them computed from it).
# custom:
#   id: IMGSEC-S3-010
#   severity: critical
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - acl
#     - grant.uri
#     - access_control_policy.grant.grantee.uri
#     - policy
#     - policy.Effect
#     - policy.Principal
#     - policy.Condition
#   peers:
#     - cdk-nag:HIPAA.Security-S3BucketPublicReadProhibited
#     - cdk-nag:HIPAA.Security-S3BucketPublicWriteProhibited
#     - aws-config:s3-bucket-public-read-prohibited
#     - aws-config:s3-bucket-public-write-prohibited
#     - prowler:s3_bucket_policy_public_write_access
#   remediation: >-
#     Remove the public ACL or grant (ownership controls BucketOwnerEnforced disables ACLs) and
#     restrict every Allow statement for principal "*" with a condition on aws:SourceAccount,
#     aws:SourceArn or aws:PrincipalOrgID, or name the principals explicitly.
package imgsec.rules.s3.no_public_access

import data.imgsec.lib
import data.imgsec.lib.s3

public_acls := {"public-read", "public-read-write", "authenticated-read"}

public_groups := {
	"http://acs.amazonaws.com/groups/global/AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}

acl_resources(bucket) := lib.related("aws_s3_bucket_acl", "bucket", bucket)

# Why a bucket is public: [bucket address, reason], one per finding.
findings contains [bucket.address, concat("", ["acl is ", bucket.values.acl])] if {
	some bucket in lib.resources_of("aws_s3_bucket")
	bucket.values.acl in public_acls
}

findings contains [bucket.address, concat("", [a.address, ": acl is ", a.values.acl])] if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some a in acl_resources(bucket)
	a.values.acl in public_acls
}

findings contains [bucket.address, concat("", ["grant to ", uri])] if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some [_, uri] in _inline_grant_uris(bucket)
	uri in public_groups
}

findings contains [bucket.address, concat("", [a.address, ": grant to ", uri])] if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some a in acl_resources(bucket)
	some [_, uri] in _acl_grant_uris(a)
	uri in public_groups
}

findings contains [bucket.address, "bucket policy is not JSON: cannot show that it is private"] if {
	some bucket in lib.resources_of("aws_s3_bucket")
	null in s3.bucket_policies(bucket)
}

findings contains [bucket.address, _statement_finding(st)] if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some doc in s3.bucket_policies(bucket)
	some st in s3.public_statements(doc)
}

# The grantee uris of the inline grant blocks: [grant type, uri].
_inline_grant_uris(bucket) := {[s3.field(bucket, "grant", g, "type"), s3.field(bucket, "grant", g, "uri")] |
	some g in s3.instances(s3.value(bucket, "grant"))
}

# The grantee uris of an aws_s3_bucket_acl: [grantee type, uri].
_acl_grant_uris(acl) := {[s3.field(acl, top, g, "type"), s3.field(acl, top, g, "uri")] |
	top := "access_control_policy"
	some p in s3.instances(s3.value(acl, top))
	some grant in s3.instances(s3.field(acl, top, p, "grant"))
	some g in s3.instances(s3.field(acl, top, grant, "grantee"))
}

_statement_finding(st) := concat("", ["bucket policy statement ", sid, _everyone]) if {
	sid := object.get(st, "Sid", null)
	is_string(sid)
} else := concat("", ["a bucket policy statement", _everyone])

_everyone := " allows principal * without a restricting Condition"

_public(bucket) if {
	some [address, _] in findings
	address == bucket.address
}

# ---- unknowns ---------------------------------------------------------------------------------

# ACLs are disabled: the bucket's ownership controls are known to be BucketOwnerEnforced, so no ACL
# (known or not) can grant access; a public one would fail to apply.
_acls_disabled(bucket) if {
	controls := lib.related("aws_s3_bucket_ownership_controls", "bucket", bucket)
	count(controls) > 0
	every oc in controls {
		rules := s3.instances(s3.value(oc, "rule"))
		count(rules) > 0
		every rule in rules {
			s3.field(oc, "rule", rule, "object_ownership") == "BucketOwnerEnforced"
		}
	}
}

# The deprecated inline acl and grant count when unknown only without an aws_s3_bucket_acl (a plan
# shows them computed from it).
_inline_acl_counts(bucket) if count(acl_resources(bucket)) == 0

_unknown_acl(r) if s3.unknown_value(r, "acl", s3.value(r, "acl"))

# A canned acl is known to be set: grants are then computed from it (acl and grants exclude each other).
_known_canned_acl(r) if {
	v := s3.value(r, "acl")
	is_string(v)
	v != ""
	not _unknown_acl(r)
}

_unknown_grant(r, top, type, uri) if {
	s3.unknown_value(r, top, uri)
	_may_be_group(r, top, type)
}

_may_be_group(_, _, "Group")

_may_be_group(r, top, type) if s3.unknown_value(r, top, type)

_may_be_group(_, _, null)

_acl_unknowns(bucket) := (({concat("", ["acl is unknown (not a literal) on ", bucket.address, _not_public_acl]) |
	_inline_acl_counts(bucket)
	_unknown_acl(bucket)
} | {concat("", ["grant.uri is unknown (not a literal) on ", bucket.address, _not_public_grant]) |
	_inline_acl_counts(bucket)
	not _known_canned_acl(bucket)
	some [type, uri] in _inline_grant_uris(bucket)
	_unknown_grant(bucket, "grant", type, uri)
}) | {concat("", ["acl is unknown (not a literal) on ", a.address, _not_public_acl]) |
	some a in acl_resources(bucket)
	_unknown_acl(a)
}) | {msg |
	some a in acl_resources(bucket)
	not _known_canned_acl(a)
	some [type, uri] in _acl_grant_uris(a)
	_unknown_grant(a, "access_control_policy", type, uri)
	msg := concat("", [
		"access_control_policy.grant.grantee.uri is unknown (not a literal) on ", a.address,
		_not_public_grant,
	])
}

_not_public_acl := ": cannot show that it is not a public canned ACL"

_not_public_grant := ": cannot show that the grant is not to AllUsers or AuthenticatedUsers"

_policy_unknowns(bucket) := {msg |
	some [where, doc] in s3.policy_documents(bucket)
	lib.document_unknown(doc)
	msg := concat("", ["policy is unknown (not a literal document) on ", where, ": cannot show that it is private"])
} | {msg |
	some [where, doc] in s3.policy_documents(bucket)
	doc != null
	not lib.document_unknown(doc)
	some st in s3.maybe_public_statements(doc)
	some field in _open_fields(st)
	msg := concat("", [
		"policy.", field, " is unknown (not a literal) on ", where,
		": cannot show that no statement allows principal * without a restricting Condition",
	])
}

# The statement fields whose unknown values could open it to everyone ("Statement" if none can be
# named, so that an open statement is never taken for a PASS).
_open_fields(st) := fields if {
	fields := {f | some f in ["Effect", "Principal", "NotPrincipal", "Condition"]; lib.is_unknown(object.get(st, f, null))}
	count(fields) > 0
} else := {"Statement"}

_unknowns(bucket) := _policy_unknowns(bucket) | _counted_acl_unknowns(bucket)

_counted_acl_unknowns(bucket) := set() if _acls_disabled(bucket)

else := _acl_unknowns(bucket)

results contains lib.pass(bucket, "no public ACL, grant or bucket policy statement") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	not _public(bucket)
	count(_unknowns(bucket)) == 0
}

results contains lib.fail(bucket, message) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some [address, message] in findings
	address == bucket.address
}

results contains lib.unknown(bucket, message) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	not _public(bucket)
	some message in _unknowns(bucket)
}
