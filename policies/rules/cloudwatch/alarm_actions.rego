# METADATA
# title: CloudWatch alarms notify someone
# description: >-
#   Security alarms (unauthorized API calls, root use, KMS key deletion, PHI access denied, ...) are
#   only useful if they reach the incident responders. Every aws_cloudwatch_metric_alarm must have at
#   least one alarm_actions target and must not set actions_enabled = false.
# custom:
#   id: IMGSEC-CW-003
#   severity: medium
#   controls:
#     - 164.308(a)(6)(ii)
#     - 164.308(a)(1)(ii)(D)
#   resource_types:
#     - aws_cloudwatch_metric_alarm
#   remediation: >-
#     Add the security alarm SNS topic's ARN to alarm_actions and remove actions_enabled = false.
package imgsec.rules.cloudwatch.alarm_actions

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(alarm, "alarm_actions is set and actions are enabled: the alarm notifies responders") if {
	some alarm in lib.resources_of("aws_cloudwatch_metric_alarm")
	_has_actions(alarm)
	not _disabled(alarm)
}

results contains lib.fail(alarm, "alarm_actions is empty: the alarm notifies no one") if {
	some alarm in lib.resources_of("aws_cloudwatch_metric_alarm")
	not _has_actions(alarm)
}

results contains lib.fail(alarm, "actions_enabled is false: the alarm's actions never run") if {
	some alarm in lib.resources_of("aws_cloudwatch_metric_alarm")
	_disabled(alarm)
}

_has_actions(alarm) if {
	some action in lib.as_array(object.get(alarm.values, "alarm_actions", []))
	attrs.present(action)
}

_has_actions(alarm) if count(object.get(alarm.refs, "alarm_actions", [])) > 0

_disabled(alarm) if alarm.values.actions_enabled == false
