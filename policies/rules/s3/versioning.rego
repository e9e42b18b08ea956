# METADATA
# title: S3 buckets have versioning enabled
# description: >-
#   Every bucket keeps prior versions of its objects, so an overwrite or a delete of PHI or of audit
#   records can be recovered. Compliant: an aws_s3_bucket_versioning referring to the bucket with
#   versioning_configuration.status "Enabled" (or, without one, the deprecated inline
#   versioning.enabled = true). A bucket with neither fails.
# custom:
#   id: IMGSEC-S3-003
#   severity: medium
#   controls:
#     - 164.312(c)(1)
#     - 164.308(a)(7)(ii)(A)
#     - 164.310(d)(2)(iv)
#   resource_types:
#     - aws_s3_bucket
#   remediation: >-
#     Add an aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" } for the
#     bucket (SecureBucket does this by default).
package imgsec.rules.s3.versioning

import data.imgsec.lib

# Versioning statuses set for the bucket. The separate resource is authoritative; the inline block
# (computed from it in a plan) counts only when there is none.
statuses(bucket) := {s |
	some v in lib.related("aws_s3_bucket_versioning", "bucket", bucket)
	some c in lib.as_array(object.get(v.values, "versioning_configuration", []))
	s := object.get(c, "status", "")
} if {
	count(lib.related("aws_s3_bucket_versioning", "bucket", bucket)) > 0
} else := {_inline_status(v) | some v in lib.as_array(object.get(bucket.values, "versioning", []))}

_inline_status(v) := "Enabled" if v.enabled == true

_inline_status(v) := "Disabled" if not v.enabled == true

results contains lib.pass(bucket, "versioning status is Enabled") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	statuses(bucket) == {"Enabled"}
}

results contains lib.fail(bucket, "no aws_s3_bucket_versioning (or inline versioning) for the bucket") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(statuses(bucket)) == 0
}

results contains lib.fail(bucket, _message(status)) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some status in statuses(bucket)
	status != "Enabled"
}

_message("") := "versioning_configuration.status is not set (versioning is off)"

_message(status) := concat("", ["versioning status is ", status, ", not Enabled"]) if {
	is_string(status)
	status != ""
}
