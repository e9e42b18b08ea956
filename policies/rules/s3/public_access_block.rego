# METADATA
# title: S3 buckets block all public access
# description: >-
#   Every bucket has block_public_acls, block_public_policy, ignore_public_acls and
#   restrict_public_buckets all true, so neither an ACL nor a bucket policy can ever expose PHI or
#   audit records: set by an aws_s3_bucket_public_access_block of the bucket, or by the account-level
#   aws_s3_account_public_access_block, which S3 applies to every bucket of the account (a flag is on
#   when either level sets it; aws_s3_bucket has no inline form of either). A bucket with neither
#   fails; so does any one flag that neither sets true (false or not set: the provider's default is
#   false). A flag that is unknown (a variable, a plan value known only after apply) and not set true
#   at the other level is UNKNOWN: it cannot be shown to be true.
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
#   peers:
#     - cdk-nag:HIPAA.Security-S3BucketLevelPublicAccessProhibited
#     - aws-config:s3-bucket-level-public-access-prohibited
#     - prowler:s3_bucket_public_access
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

# The account-level block (aws_s3_account_public_access_block) applies to every bucket of the
# account: S3 enforces a flag when either level sets it.
_account_blocks := lib.resources_of("aws_s3_account_public_access_block")

_account_true contains f if {
	some f in flags
	some a in _account_blocks
	attrs.bool(a, f, false) == true
}

# Flags of the bucket's own blocks that are true.
_bucket_true(bucket) := {f | some f in flags; some pab in blocks(bucket); attrs.bool(pab, f, false) == true}

_covered(bucket) := _account_true | _bucket_true(bucket)

_failures(bucket) := {"no aws_s3_bucket_public_access_block for the bucket"} if {
	count(blocks(bucket)) == 0
	count(_account_blocks) == 0
} else := {concat("", [block.address, ": not true: ", concat(", ", open)]) |
	some block in array.concat(blocks(bucket), _account_blocks)
	open := [f | some f in open_flags(block); not f in _covered(bucket); not _unknown_anywhere(bucket, f)]
	count(open) > 0
}

_unknown_anywhere(bucket, f) if {
	some block in array.concat(blocks(bucket), _account_blocks)
	f in unknown_flags(block)
}

_unknowns(bucket) := {msg |
	some block in array.concat(blocks(bucket), _account_blocks)
	some f in unknown_flags(block)
	not f in _covered(bucket)
	msg := concat("", [f, " is unknown (not a literal) on ", block.address, ": cannot show that it is true"])
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
