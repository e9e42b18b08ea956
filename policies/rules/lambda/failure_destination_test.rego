package imgsec.rules.lambda.failure_destination_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.lambda.failure_destination

fn(values) := f.res("aws_lambda_function", "fn", object.union({"function_name": "imgsec-deid"}, values))

status := f.statuses(failure_destination.results, "aws_lambda_function.fn")

invoke_config(values, refs) := f.res_refs("aws_lambda_function_event_invoke_config", "cfg", values, refs)

on_failure := {"on_failure": {"destination": "${aws_sqs_queue.failed.arn}"}}

test_dead_letter_queue_passes if {
	status == {"PASS"} with input as f.stack([fn({"dead_letter_config": {"target_arn": "${aws_sqs_queue.dlq.arn}"}})])
}

test_nothing_fails if {
	status == {"FAIL"} with input as f.stack([fn({})])
}

test_empty_dead_letter_target_fails if {
	status == {"FAIL"} with input as f.stack([fn({"dead_letter_config": [{"target_arn": ""}]})])
}

test_event_invoke_config_by_reference_passes if {
	cfg := invoke_config(
		{"function_name": "${aws_lambda_function.fn.function_name}", "destination_config": on_failure},
		{"function_name": ["aws_lambda_function.fn"], "destination_config": ["aws_sqs_queue.failed"]},
	)
	status == {"PASS"} with input as f.stack([fn({}), cfg])
}

test_event_invoke_config_by_qualified_name_passes if {
	cfg := invoke_config(
		{"function_name": "imgsec-deid:live", "qualifier": "live", "destination_config": [on_failure]},
		{},
	)
	status == {"PASS"} with input as f.stack([fn({}), cfg])
}

test_event_invoke_config_on_success_only_fails if {
	cfg := invoke_config(
		{
			"function_name": "${aws_lambda_function.fn.function_name}",
			"destination_config": {"on_success": {"destination": "${aws_sqs_queue.ok.arn}"}},
		},
		{"function_name": ["aws_lambda_function.fn"], "destination_config": ["aws_sqs_queue.ok"]},
	)
	status == {"FAIL"} with input as f.stack([fn({}), cfg])
}

test_event_invoke_config_of_other_function_fails if {
	cfg := invoke_config(
		{"function_name": "${aws_lambda_function.other.function_name}", "destination_config": on_failure},
		{"function_name": ["aws_lambda_function.other"]},
	)
	status == {"FAIL"} with input as f.stack([fn({}), cfg])
}

test_plan_unknown_destination_passes if {
	cfg := invoke_config(
		{"function_name": "imgsec-deid", "destination_config": [{"on_failure": [{}]}]},
		{"destination_config": ["aws_sqs_queue.failed"]},
	)
	status == {"PASS"} with input as f.stack([fn({}), cfg])
}
