# METADATA
# title: S3 buckets have server access logging
# description: >-
#   Every bucket records requests made against it with S3 server access logging: an
#   aws_s3_bucket_logging referring to the bucket (or the deprecated inline logging block with a
#   target_bucket). A bucket with neither fails, and so does a bucket that logs into itself (each log
#   delivery would log again). A bucket that is itself a server access log target passes without
#   logging of its own, with a message saying so: logging it would only log log deliveries, and its
#   reads and writes are still recorded by CloudTrail data events.
# custom:
#   id: IMGSEC-S3-007
#   severity: medium
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#   resource_types:
#     - aws_s3_bucket
#   remediation: >-
#     Add an aws_s3_bucket_logging for the bucket with target_bucket set to the access log bucket
#     (SecureBucket does this when given a log bucket).
package imgsec.rules.s3.access_logging

import data.imgsec.lib

loggings(bucket) := lib.related("aws_s3_bucket_logging", "bucket", bucket)

_inline_logging(bucket) if {
	some l in lib.as_array(object.get(bucket.values, "logging", []))
	is_string(l.target_bucket)
	l.target_bucket != ""
}

logged(bucket) if count(loggings(bucket)) > 0

logged(bucket) if _inline_logging(bucket)

_logs_into_itself(bucket) if {
	some l in loggings(bucket)
	lib.refers_to(l, "target_bucket", bucket)
}

results contains lib.pass(bucket, "server access logging is configured") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	logged(bucket)
	not _logs_into_itself(bucket)
}

results contains lib.pass(bucket, "server access log target: exempt from logging of its own") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	not logged(bucket)
	lib.is_log_target(bucket)
}

results contains lib.fail(bucket, "no aws_s3_bucket_logging (or inline logging) for the bucket") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	not logged(bucket)
	not lib.is_log_target(bucket)
}

results contains lib.fail(bucket, "aws_s3_bucket_logging target_bucket is the bucket itself") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	_logs_into_itself(bucket)
}
