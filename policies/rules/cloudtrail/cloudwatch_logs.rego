# METADATA
# title: CloudTrail delivers events to CloudWatch Logs
# description: >-
#   A trail must send its events to a CloudWatch Logs group (cloud_watch_logs_group_arn and
#   cloud_watch_logs_role_arn both set) so that metric filters and alarms can review activity and
#   raise security incidents in near real time. A literal ARN counts, and so does a reference to a log
#   group (for the group) or an IAM role (for the role) in the same stack, also when a plan knows it
#   only after apply. A value that is not a literal (a variable, a function result) or that refers to
#   anything else is UNKNOWN, unless the other attribute is missing, which fails.
# custom:
#   id: IMGSEC-CT-004
#   severity: medium
#   controls:
#     - 164.308(a)(1)(ii)(D)
#     - 164.308(a)(6)(ii)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudtrail
#   inputs:
#     - cloud_watch_logs_group_arn
#     - cloud_watch_logs_role_arn
#   peers:
#     - cdk-nag:HIPAA.Security-CloudTrailCloudWatchLogsEnabled
#     - aws-config:cloud-trail-cloud-watch-logs-enabled
#     - prowler:cloudtrail_cloudwatch_logging_enabled
#   remediation: >-
#     Set cloud_watch_logs_group_arn (the log group ARN followed by ":*") and cloud_watch_logs_role_arn
#     (a role cloudtrail.amazonaws.com can assume, allowed logs:CreateLogStream and logs:PutLogEvents).
package imgsec.rules.cloudtrail.cloudwatch_logs

import data.imgsec.lib
import data.imgsec.lib.attrs

# Each attribute, with the resource types a reference to which gives it a meaning.
required := {
	"cloud_watch_logs_group_arn": {"aws_cloudwatch_log_group", "data.aws_cloudwatch_log_group"},
	"cloud_watch_logs_role_arn": {"aws_iam_role", "data.aws_iam_role"},
}

_states(trail) := {attr: attrs.reference_state(trail, attr, types) | some attr, types in required}

results contains lib.pass(trail, "events are delivered to CloudWatch Logs (log group and role set)") if {
	some trail in lib.resources_of("aws_cloudtrail")
	every state in _states(trail) {
		state == "set"
	}
}

results contains lib.fail(trail, concat("", [attr, " is not set: events do not reach CloudWatch Logs"])) if {
	some trail in lib.resources_of("aws_cloudtrail")
	some attr, state in _states(trail)
	state == "unset"
}

results contains lib.unknown(
	trail,
	concat("", [attr, " is unknown (not a literal): cannot show that events reach CloudWatch Logs"]),
) if {
	some trail in lib.resources_of("aws_cloudtrail")
	states := _states(trail)
	every state in states {
		state != "unset"
	}
	some attr, state in states
	state == "unknown"
}
