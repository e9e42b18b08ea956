package imgsec.rules.eventbridge.target_dlq_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.eventbridge.target_dlq

base := {"rule": "${aws_cloudwatch_event_rule.created.name}", "arn": "${aws_sfn_state_machine.sm.arn}"}

stk(values) := f.stack([f.res("aws_cloudwatch_event_target", "t", object.union(base, values))])

target_refs(values, refs) := f.res_refs("aws_cloudwatch_event_target", "t", object.union(base, values), refs)

status := f.statuses(target_dlq.results, "aws_cloudwatch_event_target.t")

messages contains r.message if some r in target_dlq.results

test_queue_dlq_passes if {
	status == {"PASS"} with input as stk({"dead_letter_config": {"arn": "${aws_sqs_queue.dlq.arn}"}})
	status == {"PASS"} with input as stk({"dead_letter_config": [{"arn": "arn:aws:sqs:us-east-1:111122223333:dlq"}]})
}

test_plan_queue_known_after_apply_passes if {
	t := target_refs({"dead_letter_config": [{}]}, {"dead_letter_config": ["aws_sqs_queue.dlq"]})
	status == {"PASS"} with input as f.stack([t])
}

test_no_dlq_fails if {
	status == {"FAIL"} with input as stk({})
	want := "no dead_letter_config: events the target cannot receive are dropped after retries"
	messages == {want} with input as stk({})
}

test_empty_dlq_fails if {
	status == {"FAIL"} with input as stk({"dead_letter_config": {"arn": ""}})
	status == {"FAIL"} with input as stk({"dead_letter_config": [{}]})
}

test_unknown_dead_letter_config if {
	status == {"UNKNOWN"} with input as stk({"dead_letter_config": f.unknown})
	plan := target_refs({}, {"dead_letter_config": ["aws_sqs_queue.dlq"]})
	status == {"UNKNOWN"} with input as f.stack([object.union(plan, {"values": base})])
}

test_unknown_dead_letter_config_arn if {
	status == {"UNKNOWN"} with input as stk({"dead_letter_config": {"arn": f.unknown}})
	want := concat("", [
		"dead_letter_config.arn is unknown (not a literal): ",
		"cannot show that undeliverable events reach a dead-letter queue",
	])
	messages == {want} with input as stk({"dead_letter_config": {"arn": f.unknown}})
	t := target_refs(
		{"dead_letter_config": {"arn": "${aws_ssm_parameter.dlq.value}"}},
		{"dead_letter_config": ["aws_ssm_parameter.dlq"]},
	)
	status == {"UNKNOWN"} with input as f.stack([t])
}
