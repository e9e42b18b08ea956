# METADATA
# title: S3 buckets have versioning enabled
# description: >-
#   Every bucket keeps prior versions of its objects, so an overwrite or a delete of PHI or of audit
#   records can be recovered. Compliant: an aws_s3_bucket_versioning referring to the bucket with
#   versioning_configuration.status "Enabled" (or, without one, the deprecated inline
#   versioning.enabled = true). A bucket with neither fails. A status (or inline enabled) that is
#   unknown (a variable, a function result, a plan value known only after apply) is UNKNOWN: it
#   cannot be shown to be Enabled.
# custom:
#   id: IMGSEC-S3-003
#   severity: medium
#   controls:
#     - 164.312(c)(1)
#     - 164.308(a)(7)(ii)(A)
#     - 164.310(d)(2)(iv)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - versioning_configuration.status
#     - versioning.enabled
#   peers:
#     - cdk-nag:HIPAA.Security-S3BucketVersioningEnabled
#     - aws-config:s3-bucket-versioning-enabled
#     - prowler:s3_bucket_object_versioning
#   remediation: >-
#     Add an aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" } for the
#     bucket (SecureBucket does this by default).
package imgsec.rules.s3.versioning

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.s3

# Versioning statuses set for the bucket: [where, attribute, status], the status being the unknown
# marker when it is unknown. The separate resource is authoritative; the inline block (computed from
# it in a plan, and unknown there for a new bucket) counts only when there is none.
statuses(bucket) := {[v.address, "versioning_configuration.status", _status(v, c)] |
	some v in _resources(bucket)
	some c in s3.instances(s3.value(v, "versioning_configuration"))
} if {
	count(_resources(bucket)) > 0
} else := {[bucket.address, "versioning.enabled", _inline_status(bucket, v)] |
	some v in s3.instances(s3.value(bucket, "versioning"))
}

_resources(bucket) := lib.related("aws_s3_bucket_versioning", "bucket", bucket)

_status(v, c) := lib.unknown_marker if {
	s := s3.field(v, "versioning_configuration", c, "status")
	s3.unknown_value(v, "versioning_configuration", s)
} else := object.get(c, "status", "") if {
	is_string(object.get(c, "status", ""))
} else := ""

# The provider's default for the inline enabled flag is false.
_inline_status(bucket, v) := "Enabled" if {
	attrs.bool_value(s3.field(bucket, "versioning", v, "enabled"), false) == true
} else := "Disabled" if {
	attrs.bool_value(s3.field(bucket, "versioning", v, "enabled"), false) == false
} else := lib.unknown_marker

_failures(bucket) := {"no aws_s3_bucket_versioning (or inline versioning) for the bucket"} if {
	count(statuses(bucket)) == 0
} else := {_message(status) |
	some [_, _, status] in statuses(bucket)
	status != "Enabled"
	status != lib.unknown_marker
}

_unknowns(bucket) := {msg |
	some [where, attr, status] in statuses(bucket)
	status == lib.unknown_marker
	msg := concat("", [attr, " is unknown (not a literal) on ", where, ": cannot show that versioning is Enabled"])
}

results contains lib.pass(bucket, "versioning status is Enabled") if {
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

_message("") := "versioning_configuration.status is not set (versioning is off)"

_message(status) := concat("", ["versioning status is ", status, ", not Enabled"]) if {
	is_string(status)
	status != ""
}
