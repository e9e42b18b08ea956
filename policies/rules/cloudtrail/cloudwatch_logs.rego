# METADATA
# title: CloudTrail delivers events to CloudWatch Logs
# description: >-
#   A trail must send its events to a CloudWatch Logs group (cloud_watch_logs_group_arn and
#   cloud_watch_logs_role_arn both set) so that metric filters and alarms can review activity and
#   raise security incidents in near real time.
# custom:
#   id: IMGSEC-CT-004
#   severity: medium
#   controls:
#     - 164.308(a)(1)(ii)(D)
#     - 164.308(a)(6)(ii)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudtrail
#   remediation: >-
#     Set cloud_watch_logs_group_arn (the log group ARN followed by ":*") and cloud_watch_logs_role_arn
#     (a role cloudtrail.amazonaws.com can assume, allowed logs:CreateLogStream and logs:PutLogEvents).
package imgsec.rules.cloudtrail.cloudwatch_logs

import data.imgsec.lib
import data.imgsec.lib.attrs

required := ["cloud_watch_logs_group_arn", "cloud_watch_logs_role_arn"]

results contains lib.pass(trail, "events are delivered to CloudWatch Logs (log group and role set)") if {
	some trail in lib.resources_of("aws_cloudtrail")
	every attr in required {
		attrs.has_value(trail, attr)
	}
}

results contains lib.fail(trail, concat("", [attr, " is not set: events do not reach CloudWatch Logs"])) if {
	some trail in lib.resources_of("aws_cloudtrail")
	some attr in required
	not attrs.has_value(trail, attr)
}
