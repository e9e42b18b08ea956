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

by_reference := {"function_name": ["aws_lambda_function.fn"], "destination_config": ["aws_sqs_queue.failed"]}

test_unknown_dead_letter_config_target_arn if {
	status == {"UNKNOWN"} with input as f.stack([fn({"dead_letter_config": {"target_arn": f.unknown}})])
	status == {"UNKNOWN"} with input as f.stack([fn({"dead_letter_config": f.unknown})])
	want := {concat("", [
		"dead_letter_config.target_arn is unknown (not a literal): ",
		"cannot show that failed events go to a dead-letter queue",
	])}
	inp := f.stack([fn({"dead_letter_config": {"target_arn": f.unknown}})])
	{r.message | some r in failure_destination.results} == want with input as inp
}

cfg(destination_config) := invoke_config(
	{"function_name": "${aws_lambda_function.fn.function_name}", "destination_config": destination_config},
	{"function_name": ["aws_lambda_function.fn"]},
)

test_unknown_destination_config_on_failure_destination if {
	status == {"UNKNOWN"} with input as f.stack([fn({}), cfg({"on_failure": {"destination": f.unknown}})])
	status == {"UNKNOWN"} with input as f.stack([fn({}), cfg({"on_failure": f.unknown})])
	status == {"UNKNOWN"} with input as f.stack([fn({}), cfg(f.unknown)])
}

test_unknown_function_name if {
	# The event invoke config's function_name is a variable: it could be this function.
	cfg := invoke_config({"function_name": f.unknown, "destination_config": on_failure}, {})
	status == {"UNKNOWN"} with input as f.stack([fn({}), cfg])
	partly := invoke_config({"function_name": "imgsec-${?}", "destination_config": on_failure}, {})
	status == {"UNKNOWN"} with input as f.stack([fn({}), partly])
	other := invoke_config({"function_name": "other-${?}", "destination_config": on_failure}, {})
	status == {"FAIL"} with input as f.stack([fn({}), other])
}

test_unknown_function_name_of_the_function if {
	# The function's own name is unknown: a config naming a literal function could be for it.
	unknown_fn := f.res("aws_lambda_function", "fn", {"function_name": "imgsec-${?}"})
	cfg := invoke_config({"function_name": "imgsec-deid", "destination_config": on_failure}, {})
	status == {"UNKNOWN"} with input as f.stack([unknown_fn, cfg])
}

test_partly_unknown_target_arn_passes if {
	dlq := {"dead_letter_config": {"target_arn": "arn:aws:sqs:${?}:${?}:imgsec-dlq"}}
	status == {"PASS"} with input as f.stack([fn(dlq)])
	cfg := invoke_config(
		{"function_name": "${aws_lambda_function.fn.function_name}", "destination_config": on_failure},
		by_reference,
	)
	unknown_dlq := {"dead_letter_config": {"target_arn": f.unknown}}
	status == {"PASS"} with input as f.stack([fn(unknown_dlq), cfg])
}

test_alias_config_passes if {
	alias := f.res_refs(
		"aws_lambda_alias", "live",
		{"function_name": "${aws_lambda_function.fn.function_name}", "name": "live"},
		{"function_name": ["aws_lambda_function.fn"]},
	)
	cfg := invoke_config(
		{"function_name": "${aws_lambda_alias.live.arn}", "destination_config": on_failure},
		{"function_name": ["aws_lambda_alias.live"]},
	)
	status == {"PASS"} with input as f.stack([fn({}), alias, cfg])
}

test_missing_destination_fails_whatever_else_is_unknown if {
	on_success := invoke_config(
		{
			"function_name": "${aws_lambda_function.fn.function_name}",
			"destination_config": {"on_success": {"destination": f.unknown}},
			"qualifier": f.unknown,
		},
		{"function_name": ["aws_lambda_function.fn"]},
	)
	status == {"FAIL"} with input as f.stack([fn({"description": f.unknown}), on_success])
	other := invoke_config(
		{"function_name": "${aws_lambda_function.other.function_name}", "destination_config": {"on_failure": f.unknown}},
		{"function_name": ["aws_lambda_function.other"]},
	)
	status == {"FAIL"} with input as f.stack([fn({}), other])
}
