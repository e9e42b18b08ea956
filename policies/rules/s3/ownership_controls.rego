# METADATA
# title: S3 buckets disable ACLs (object ownership BucketOwnerEnforced)
# description: >-
#   Every bucket has an aws_s3_bucket_ownership_controls with rule.object_ownership
#   "BucketOwnerEnforced": ACLs are disabled, the bucket owner owns every object, and access is
#   governed by policies alone. A bucket with no such resource fails (S3 keeps ACLs of buckets
#   created before April 2023, and of buckets whose ownership controls are later removed). An
#   object_ownership that is unknown (a variable, a plan value known only after apply) is UNKNOWN.
# custom:
#   id: IMGSEC-S3-005
#   severity: high
#   controls:
#     - 164.312(a)(1)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - rule.object_ownership
#   peers:
#     - aws-config:s3-bucket-acl-prohibited
#   remediation: >-
#     Add an aws_s3_bucket_ownership_controls for the bucket with
#     rule { object_ownership = "BucketOwnerEnforced" } (SecureBucket does this by default).
package imgsec.rules.s3.ownership_controls

import data.imgsec.lib
import data.imgsec.lib.s3

# The object_ownership settings of the bucket: [where, setting], the setting "" when a rule does not
# set it and the unknown marker when it is unknown.
ownerships(bucket) := {[oc.address, _ownership(oc, rule)] |
	some oc in lib.related("aws_s3_bucket_ownership_controls", "bucket", bucket)
	some rule in s3.instances(s3.value(oc, "rule"))
}

_ownership(oc, rule) := lib.unknown_marker if {
	s3.unknown_value(oc, "rule", s3.field(oc, "rule", rule, "object_ownership"))
} else := o if {
	o := s3.field(oc, "rule", rule, "object_ownership")
	is_string(o)
} else := ""

_failures(bucket) := {"no aws_s3_bucket_ownership_controls for the bucket (ACLs stay enabled)"} if {
	count(ownerships(bucket)) == 0
} else := {_message(o) |
	some [_, o] in ownerships(bucket)
	not o in {"BucketOwnerEnforced", lib.unknown_marker}
}

_unknowns(bucket) := {msg |
	some [where, o] in ownerships(bucket)
	o == lib.unknown_marker
	msg := concat("", [
		"rule.object_ownership is unknown (not a literal) on ", where,
		": cannot show that it is BucketOwnerEnforced (ACLs disabled)",
	])
}

results contains lib.pass(bucket, "object_ownership is BucketOwnerEnforced (ACLs disabled)") if {
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

_message("") := "object_ownership is not set (ACLs stay enabled)"

_message(o) := concat("", ["object_ownership is ", o, ", not BucketOwnerEnforced (ACLs stay enabled)"]) if {
	is_string(o)
	o != ""
}
