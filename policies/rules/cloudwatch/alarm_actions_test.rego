package imgsec.rules.cloudwatch.alarm_actions_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudwatch.alarm_actions

stk(values) := f.stack([f.res("aws_cloudwatch_metric_alarm", "a", values)])

status := f.statuses(alarm_actions.results, "aws_cloudwatch_metric_alarm.a")

topic := "${aws_sns_topic.t.arn}"

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
	alarm := f.res_refs("aws_cloudwatch_metric_alarm", "a", {}, {"alarm_actions": ["aws_sns_topic.t"]})
	results := alarm_actions.results with input as f.stack([alarm])
	f.statuses(results, "aws_cloudwatch_metric_alarm.a") == {"PASS"}
}
