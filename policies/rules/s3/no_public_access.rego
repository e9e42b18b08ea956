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
#   A bucket policy that is unknown at plan time or not JSON fails: it cannot be shown to be private.
# custom:
#   id: IMGSEC-S3-010
#   severity: critical
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_s3_bucket
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
	some uri in _inline_grant_uris(bucket)
	uri in public_groups
}

findings contains [bucket.address, concat("", [a.address, ": grant to ", uri])] if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some a in acl_resources(bucket)
	some uri in _acl_grant_uris(a)
	uri in public_groups
}

findings contains [bucket.address, "bucket policy is unknown or not JSON: cannot show that it is private"] if {
	some bucket in lib.resources_of("aws_s3_bucket")
	null in s3.bucket_policies(bucket)
}

findings contains [bucket.address, _statement_finding(st)] if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some doc in s3.bucket_policies(bucket)
	some st in s3.public_statements(doc)
}

_inline_grant_uris(bucket) := {g.uri |
	some g in lib.as_array(object.get(bucket.values, "grant", []))
	is_string(g.uri)
}

_acl_grant_uris(acl) := {g.uri |
	some p in lib.as_array(object.get(acl.values, "access_control_policy", []))
	some grant in lib.as_array(object.get(p, "grant", []))
	some g in lib.as_array(object.get(grant, "grantee", []))
	is_string(g.uri)
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

results contains lib.pass(bucket, "no public ACL, grant or bucket policy statement") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	not _public(bucket)
}

results contains lib.fail(bucket, message) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some [address, message] in findings
	address == bucket.address
}
