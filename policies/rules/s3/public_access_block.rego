# METADATA
# title: S3 buckets block all public access
# description: >-
#   Every bucket has an aws_s3_bucket_public_access_block with block_public_acls,
#   block_public_policy, ignore_public_acls and restrict_public_buckets all true, so neither an ACL
#   nor a bucket policy can ever expose PHI or audit records. A bucket with no such resource fails;
#   so does any one flag that is false or not set.
# custom:
#   id: IMGSEC-S3-004
#   severity: critical
#   controls:
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_s3_bucket
#   remediation: >-
#     Add an aws_s3_bucket_public_access_block for the bucket with all four flags set to true
#     (SecureBucket does this by default).
package imgsec.rules.s3.public_access_block

import data.imgsec.lib

flags := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

blocks(bucket) := lib.related("aws_s3_bucket_public_access_block", "bucket", bucket)

# Flags of a public access block that are not true.
open_flags(pab) := [f | some f in flags; object.get(pab.values, f, false) != true]

results contains lib.pass(bucket, "public access block sets all four flags to true") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(blocks(bucket)) > 0
	every pab in blocks(bucket) {
		count(open_flags(pab)) == 0
	}
}

results contains lib.fail(bucket, "no aws_s3_bucket_public_access_block for the bucket") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(blocks(bucket)) == 0
}

results contains lib.fail(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some pab in blocks(bucket)
	open := open_flags(pab)
	count(open) > 0
	msg := concat("", [pab.address, ": not true: ", concat(", ", open)])
}
