# METADATA
# title: S3 buckets block all public access
# description: >-
#   Every bucket has an aws_s3_bucket_public_access_block with block_public_acls,
#   block_public_policy, ignore_public_acls and restrict_public_buckets all true, so neither an ACL
#   nor a bucket policy can ever expose PHI or audit records. A bucket with no such resource fails;
#   so does any one flag that is false or not set (the provider's default is false). A flag that is
#   unknown (a variable, a plan value known only after apply) is UNKNOWN: it cannot be shown to be true.
# custom:
#   id: IMGSEC-S3-004
#   severity: critical
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - block_public_acls
#     - block_public_policy
#     - ignore_public_acls
#     - restrict_public_buckets
#   remediation: >-
#     Add an aws_s3_bucket_public_access_block for the bucket with all four flags set to true
#     (SecureBucket does this by default).
package imgsec.rules.s3.public_access_block

import data.imgsec.lib
import data.imgsec.lib.attrs

flags := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

blocks(bucket) := lib.related("aws_s3_bucket_public_access_block", "bucket", bucket)

# Flags of a public access block that are not true: false, or not set (the provider's default is false).
open_flags(pab) := [f | some f in flags; attrs.bool(pab, f, false) == false]

# Flags of a public access block whose value is unknown.
unknown_flags(pab) := [f | some f in flags; attrs.bool(pab, f, false) == "unknown"]

_failures(bucket) := {"no aws_s3_bucket_public_access_block for the bucket"} if {
	count(blocks(bucket)) == 0
} else := {concat("", [pab.address, ": not true: ", concat(", ", open)]) |
	some pab in blocks(bucket)
	open := open_flags(pab)
	count(open) > 0
}

_unknowns(bucket) := {msg |
	some pab in blocks(bucket)
	some f in unknown_flags(pab)
	msg := concat("", [f, " is unknown (not a literal) on ", pab.address, ": cannot show that it is true"])
}

results contains lib.pass(bucket, "public access block sets all four flags to true") if {
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
