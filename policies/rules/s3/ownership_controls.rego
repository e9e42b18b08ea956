# METADATA
# title: S3 buckets disable ACLs (object ownership BucketOwnerEnforced)
# description: >-
#   Every bucket has an aws_s3_bucket_ownership_controls with rule.object_ownership
#   "BucketOwnerEnforced": ACLs are disabled, the bucket owner owns every object, and access is
#   governed by policies alone. A bucket with no such resource fails (S3 keeps ACLs of buckets
#   created before April 2023, and of buckets whose ownership controls are later removed).
# custom:
#   id: IMGSEC-S3-005
#   severity: high
#   controls:
#     - 164.312(a)(1)
#   resource_types:
#     - aws_s3_bucket
#   remediation: >-
#     Add an aws_s3_bucket_ownership_controls for the bucket with
#     rule { object_ownership = "BucketOwnerEnforced" } (SecureBucket does this by default).
package imgsec.rules.s3.ownership_controls

import data.imgsec.lib

# The object_ownership settings of the bucket ("" when a rule does not set it).
ownerships(bucket) := {o |
	some oc in lib.related("aws_s3_bucket_ownership_controls", "bucket", bucket)
	some rule in lib.as_array(object.get(oc.values, "rule", []))
	o := object.get(rule, "object_ownership", "")
}

results contains lib.pass(bucket, "object_ownership is BucketOwnerEnforced (ACLs disabled)") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	ownerships(bucket) == {"BucketOwnerEnforced"}
}

results contains lib.fail(bucket, "no aws_s3_bucket_ownership_controls for the bucket (ACLs stay enabled)") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(ownerships(bucket)) == 0
}

results contains lib.fail(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some o in ownerships(bucket)
	o != "BucketOwnerEnforced"
	msg := _message(o)
}

_message("") := "object_ownership is not set (ACLs stay enabled)"

_message(o) := concat("", ["object_ownership is ", o, ", not BucketOwnerEnforced (ACLs stay enabled)"]) if {
	is_string(o)
	o != ""
}
