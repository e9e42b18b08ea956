package imgsec.rules.cloudwatch.alarm_actions_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudwatch.alarm_actions

stk(values) := f.stack([f.res("aws_cloudwatch_metric_alarm", "a", values)])

status := f.statuses(alarm_actions.results, "aws_cloudwatch_metric_alarm.a")

topic := "${aws_sns_topic.t.arn}"

alarm_refs(values, refs) := f.res_refs("aws_cloudwatch_metric_alarm", "a", values, refs)

test_actions_pass if {
	status == {"PASS"} with input as stk({"alarm_actions": [topic], "actions_enabled": true})
	status == {"PASS"} with input as stk({"alarm_actions": [topic]})
}

test_no_actions_fails if {
	status == {"FAIL"} with input as stk({"alarm_actions": []})
	status == {"FAIL"} with input as stk({})
	status == {"FAIL"} with input as stk({"alarm_actions": [""]})
}

test_actions_disabled_fails if {
	status == {"FAIL"} with input as stk({"alarm_actions": [topic], "actions_enabled": false})
}

test_plan_unknown_topic_arn_passes if {
	alarm := alarm_refs({}, {"alarm_actions": ["aws_sns_topic.t"]})
	results := alarm_actions.results with input as f.stack([alarm])
	f.statuses(results, "aws_cloudwatch_metric_alarm.a") == {"PASS"}
}

test_topic_reference_with_refs_passes if {
	alarm := alarm_refs({"alarm_actions": [topic]}, {"alarm_actions": ["aws_sns_topic.t"]})
	status == {"PASS"} with input as f.stack([alarm])
}

test_literal_arn_and_string_true_pass if {
	literal := "arn:aws:sns:us-east-1:111122223333:alarms"
	status == {"PASS"} with input as stk({"alarm_actions": [literal], "actions_enabled": "true"})
}

test_plan_unknown_element_referenced_passes if {
	alarm := alarm_refs({"alarm_actions": [null]}, {"alarm_actions": ["aws_sns_topic.t"]})
	status == {"PASS"} with input as f.stack([alarm])
}

test_plan_known_empty_list_with_references_fails if {
	# `var.notify ? [aws_sns_topic.t.arn] : []` with notify = false: the plan knows the list is empty.
	alarm := alarm_refs({"alarm_actions": []}, {"alarm_actions": ["aws_sns_topic.t"]})
	status == {"FAIL"} with input as f.stack([alarm])
}

test_one_known_target_is_enough_passes if {
	status == {"PASS"} with input as stk({"alarm_actions": [f.unknown, topic]})
}

test_unknown_alarm_actions if {
	results := alarm_actions.results with input as stk({"alarm_actions": [f.unknown]})
	f.statuses(results, "aws_cloudwatch_metric_alarm.a") == {"UNKNOWN"}
	message := "alarm_actions is unknown (not a literal): cannot show that the alarm notifies responders"
	{r.message | some r in results} == {message}
}

test_unknown_alarm_actions_whole_list if {
	status == {"UNKNOWN"} with input as stk({"alarm_actions": f.unknown})
}

test_unknown_alarm_actions_other_resource_reference if {
	refs := {"alarm_actions": ["aws_ssm_parameter.p"]}
	alarm := alarm_refs({"alarm_actions": ["${aws_ssm_parameter.p.value}"]}, refs)
	status == {"UNKNOWN"} with input as f.stack([alarm])
}

test_unknown_alarm_actions_plan_reference if {
	alarm := alarm_refs({}, {"alarm_actions": ["aws_ssm_parameter.p"]})
	status == {"UNKNOWN"} with input as f.stack([alarm])
}

test_unknown_actions_enabled if {
	results := alarm_actions.results with input as stk({"alarm_actions": [topic], "actions_enabled": "${?}"})
	f.statuses(results, "aws_cloudwatch_metric_alarm.a") == {"UNKNOWN"}
	message := "actions_enabled is unknown (not a literal): cannot show that the alarm's actions run"
	{r.message | some r in results} == {message}
}

test_unknown_actions_enabled_plan_reference if {
	refs := {"actions_enabled": ["aws_ssm_parameter.on"], "alarm_actions": ["aws_sns_topic.t"]}
	alarm := alarm_refs({"alarm_actions": [topic]}, refs)
	status == {"UNKNOWN"} with input as f.stack([alarm])
}

test_unknown_both_reports_each if {
	results := alarm_actions.results with input as stk({"alarm_actions": [f.unknown], "actions_enabled": f.unknown})
	f.statuses(results, "aws_cloudwatch_metric_alarm.a") == {"UNKNOWN"}
	count(results) == 2
}

test_disabled_fails_whatever_else_is_unknown if {
	results := alarm_actions.results with input as stk({"alarm_actions": [f.unknown], "actions_enabled": false})
	f.statuses(results, "aws_cloudwatch_metric_alarm.a") == {"FAIL"}
	count(results) == 1
}

test_no_actions_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk({"alarm_actions": [], "actions_enabled": f.unknown})
}
