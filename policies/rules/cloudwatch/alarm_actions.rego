# METADATA
# title: CloudWatch alarms notify someone
# description: >-
#   Security alarms (unauthorized API calls, root use, KMS key deletion, PHI access denied, ...) are
#   only useful if they reach the incident responders. Every aws_cloudwatch_metric_alarm must have at
#   least one alarm_actions target and must not set actions_enabled = false. A target counts when it
#   is a literal ARN or a reference to an SNS topic, Lambda function, scaling policy or incident
#   response plan in the same stack (in a plan, also when its ARN is known only after apply);
#   actions_enabled is on by default, so only a literal false turns the actions off. When there is no
#   such failure, a target or actions_enabled that is not known (a variable, a function result, a
#   reference to anything else, a plan value known only after apply) is UNKNOWN.
# custom:
#   id: IMGSEC-CW-003
#   severity: medium
#   controls:
#     - 164.308(a)(6)(ii)
#     - 164.308(a)(1)(ii)(D)
#   resource_types:
#     - aws_cloudwatch_metric_alarm
#   inputs:
#     - alarm_actions
#     - actions_enabled
#   peers:
#     - cdk-nag:HIPAA.Security-CloudWatchAlarmAction
#     - aws-config:cloudwatch-alarm-action-check
#   remediation: >-
#     Add the security alarm SNS topic's ARN to alarm_actions and remove actions_enabled = false.
package imgsec.rules.cloudwatch.alarm_actions

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(alarm, "alarm_actions is set and actions are enabled: the alarm notifies responders") if {
	some alarm in lib.resources_of("aws_cloudwatch_metric_alarm")
	_actions(alarm) == "set"
	_enabled(alarm) == true
}

results contains lib.fail(alarm, "alarm_actions is empty: the alarm notifies no one") if {
	some alarm in lib.resources_of("aws_cloudwatch_metric_alarm")
	_actions(alarm) == "unset"
}

results contains lib.fail(alarm, "actions_enabled is false: the alarm's actions never run") if {
	some alarm in lib.resources_of("aws_cloudwatch_metric_alarm")
	_enabled(alarm) == false
}

results contains lib.unknown(
	alarm,
	"alarm_actions is unknown (not a literal): cannot show that the alarm notifies responders",
) if {
	some alarm in lib.resources_of("aws_cloudwatch_metric_alarm")
	not _fails(alarm)
	_actions(alarm) == "unknown"
}

results contains lib.unknown(
	alarm,
	"actions_enabled is unknown (not a literal): cannot show that the alarm's actions run",
) if {
	some alarm in lib.resources_of("aws_cloudwatch_metric_alarm")
	not _fails(alarm)
	_enabled(alarm) == "unknown"
}

_fails(alarm) if _actions(alarm) == "unset"

_fails(alarm) if _enabled(alarm) == false

# The provider's default is true: only a literal false turns the actions off.
_enabled(alarm) := attrs.bool(alarm, "actions_enabled", true)

# Resources whose reference names an alarm action target.
_target_types := {
	"aws_sns_topic", "data.aws_sns_topic", "aws_lambda_function", "data.aws_lambda_function",
	"aws_lambda_alias", "aws_autoscaling_policy", "aws_appautoscaling_policy",
	"aws_ssmincidents_response_plan", "data.aws_ssmincidents_response_plan",
}

# "set" when some target is known, "unknown" when none is but some may be, "unset" otherwise. In a
# plan, targets known only after apply are absent (or null in the list) but referenced.
_actions(alarm) := "set" if {
	some action in _targets(alarm)
	attrs.value_state(action, _target_types) == "set"
} else := "unknown" if {
	some action in _targets(alarm)
	attrs.value_state(action, _target_types) == "unknown"
} else := attrs.after_apply(object.get(alarm.refs, "alarm_actions", []), _target_types) if {
	_pending(alarm)
} else := "unset"

_targets(alarm) := lib.as_array(alarm.values.alarm_actions) if {
	alarm.values.alarm_actions != null
} else := []

_pending(alarm) if not attrs.written(alarm.values, "alarm_actions")

_pending(alarm) if null in _targets(alarm)
