# METADATA
# title: S3 buckets have server access logging
# description: >-
#   Every bucket records requests made against it with S3 server access logging: an
#   aws_s3_bucket_logging referring to the bucket (or the deprecated inline logging block with a
#   target_bucket). A bucket with neither fails, and so does a bucket that logs into itself, in either
#   form (each log delivery would log again). A bucket that is itself a server access log target passes without
#   logging of its own, with a message saying so: logging it would only log log deliveries, and its
#   reads and writes are still recorded by CloudTrail data events. A target_bucket that is unknown (a
#   variable, a plan value known only after apply; a reference to a bucket is known) is UNKNOWN: the
#   bucket's own (it could be the bucket itself), the inline block's, or, for a bucket with no logging
#   that is no known log target, another logging's (the bucket could be its target, and exempt).
# custom:
#   id: IMGSEC-S3-007
#   severity: medium
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - target_bucket
#     - logging.target_bucket
#   peers:
#     - cdk-nag:HIPAA.Security-S3BucketLoggingEnabled
#     - aws-config:s3-bucket-logging-enabled
#     - prowler:s3_bucket_server_access_logging_enabled
#   remediation: >-
#     Add an aws_s3_bucket_logging for the bucket with target_bucket set to the access log bucket
#     (SecureBucket does this when given a log bucket).
package imgsec.rules.s3.access_logging

import data.imgsec.lib
import data.imgsec.lib.s3

loggings(bucket) := lib.related("aws_s3_bucket_logging", "bucket", bucket)

# The target_bucket of each deprecated inline logging block (the unknown marker when unknown); a plan
# shows the block computed from the separate resource, so it counts only when there is none.
_inline_targets(bucket) := [s3.field(bucket, "logging", l, "target_bucket") |
	count(loggings(bucket)) == 0
	some l in s3.instances(s3.value(bucket, "logging"))
]

_inline_logging(bucket) if {
	some t in _inline_targets(bucket)
	is_string(t)
	t != ""
	not lib.is_unknown(t)
}

logged(bucket) if count(loggings(bucket)) > 0

logged(bucket) if _inline_logging(bucket)

_logs_into_itself(bucket) if {
	some l in loggings(bucket)
	lib.refers_to(l, "target_bucket", bucket)
}

# The deprecated inline block names the bucket itself: by reference or by its literal name.
_inline_into_itself(bucket) if {
	some t in _inline_targets(bucket)
	t in _own_names(bucket)
}

_own_names(bucket) := {n |
	some n in [
		lib.bucket_name(bucket),
		concat("", ["${", bucket.config_address, ".id}"]),
		concat("", ["${", bucket.config_address, ".bucket}"]),
	]
	n != ""
}

_failures(bucket) := {"aws_s3_bucket_logging target_bucket is the bucket itself"} if {
	_logs_into_itself(bucket)
} else := {"logging.target_bucket is the bucket itself"} if {
	_inline_into_itself(bucket)
} else := {"no aws_s3_bucket_logging (or inline logging) for the bucket"} if {
	not logged(bucket)
	not lib.is_log_target(bucket)
	count(_unknowns(bucket)) == 0
} else := set()

_unknowns(bucket) := ({msg |
	some l in loggings(bucket)
	s3.bucket_ref_unknown(l, "target_bucket")
	msg := concat("", [
		"target_bucket is unknown (not a literal) on ", l.address,
		": cannot show that the logs go to another bucket",
	])
} | {msg |
	not logged(bucket)
	not lib.is_log_target(bucket)
	some t in _inline_targets(bucket)
	lib.is_unknown(t)
	msg := "logging.target_bucket is unknown (not a literal): cannot show that server access logging is configured"
}) | {msg |
	not logged(bucket)
	not lib.is_log_target(bucket)
	some l in s3.unknown_log_targets
	msg := concat("", [
		"target_bucket is unknown (not a literal) on ", l,
		": cannot show whether the bucket is a server access log target (exempt from logging of its own)",
	])
}

results contains lib.pass(bucket, "server access logging is configured") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	logged(bucket)
	count(_failures(bucket)) == 0
	count(_unknowns(bucket)) == 0
}

results contains lib.pass(bucket, "server access log target: exempt from logging of its own") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	not logged(bucket)
	lib.is_log_target(bucket)
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
