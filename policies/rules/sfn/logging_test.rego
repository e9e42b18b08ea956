package imgsec.rules.sfn.logging_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.sfn.logging

stk(config) := f.stack([f.res("aws_sfn_state_machine", "sm", {"logging_configuration": config})])

status := f.statuses(logging.results, "aws_sfn_state_machine.sm")

good := {"level": "ALL", "include_execution_data": false, "log_destination": "${aws_cloudwatch_log_group.g.arn}:*"}

test_all_without_execution_data_passes if {
	status == {"PASS"} with input as stk(good)
	status == {"PASS"} with input as stk([good])
}

test_error_level_fails if {
	status == {"FAIL"} with input as stk(object.union(good, {"level": "ERROR"}))
}

test_execution_data_fails if {
	status == {"FAIL"} with input as stk(object.union(good, {"include_execution_data": true}))
}

test_execution_data_must_be_explicit if {
	status == {"FAIL"} with input as stk(object.remove(good, ["include_execution_data"]))
}

test_no_destination_fails if {
	status == {"FAIL"} with input as stk(object.remove(good, ["log_destination"]))
}

test_no_logging_configuration_fails if {
	status == {"FAIL"} with input as f.stack([f.res("aws_sfn_state_machine", "sm", {})])
}

test_each_problem_reported if {
	results := logging.results with input as stk({"level": "OFF"})
	count(results) == 3
}

test_plan_unknown_destination_passes if {
	sm := f.res_refs(
		"aws_sfn_state_machine", "sm",
		{"logging_configuration": [object.remove(good, ["log_destination"])]},
		{"logging_configuration": ["aws_cloudwatch_log_group.g"]},
	)
	status == {"PASS"} with input as f.stack([sm])
}

machine_refs(values, refs) := f.res_refs("aws_sfn_state_machine", "sm", values, refs)

log_group_refs := {"logging_configuration": ["aws_cloudwatch_log_group.g"]}

test_destination_reference_with_refs_passes if {
	status == {"PASS"} with input as f.stack([machine_refs({"logging_configuration": [good]}, log_group_refs)])
}

test_literal_destination_and_string_false_pass if {
	config := object.union(good, {
		"include_execution_data": "false",
		"log_destination": "arn:aws:logs:us-east-1:111122223333:log-group:/sfn:*",
	})
	status == {"PASS"} with input as stk(config)
}

test_plan_include_execution_data_absent_with_mentioned_refs_fails if {
	# The block's one reference is written (cdktf): include_execution_data is absent, not pending.
	config := object.remove(good, ["include_execution_data"])
	status == {"FAIL"} with input as f.stack([machine_refs({"logging_configuration": [config]}, log_group_refs)])
}

test_unknown_logging_configuration if {
	results := logging.results with input as stk(f.unknown)
	f.statuses(results, "aws_sfn_state_machine.sm") == {"UNKNOWN"}
	message := "logging_configuration is unknown (not a literal): cannot show that executions are logged"
	{r.message | some r in results} == {message}
}

test_unknown_logging_configuration_plan_reference if {
	status == {"UNKNOWN"} with input as f.stack([machine_refs({}, {"logging_configuration": ["aws_ssm_parameter.p"]})])
}

test_unknown_logging_configuration_level if {
	results := logging.results with input as stk(object.union(good, {"level": f.unknown}))
	f.statuses(results, "aws_sfn_state_machine.sm") == {"UNKNOWN"}
	message := "logging_configuration.level is unknown (not a literal): cannot show that ALL events are logged"
	{r.message | some r in results} == {message}
}

test_unknown_logging_configuration_level_resource_reference if {
	config := object.union(good, {"level": "${aws_ssm_parameter.level.value}"})
	refs := {"logging_configuration": ["aws_cloudwatch_log_group.g", "aws_ssm_parameter.level"]}
	status == {"UNKNOWN"} with input as f.stack([machine_refs({"logging_configuration": [config]}, refs)])
}

test_unknown_logging_configuration_level_plan if {
	config := object.remove(good, ["level", "log_destination"])
	status == {"UNKNOWN"} with input as f.stack([machine_refs({"logging_configuration": [config]}, log_group_refs)])
}

test_partly_unknown_level_that_cannot_be_all_fails if {
	status == {"FAIL"} with input as stk(object.union(good, {"level": "ERROR${?}"}))
}

test_unknown_logging_configuration_include_execution_data if {
	results := logging.results with input as stk(object.union(good, {"include_execution_data": f.unknown}))
	f.statuses(results, "aws_sfn_state_machine.sm") == {"UNKNOWN"}
	count(results) == 1
}

test_unknown_logging_configuration_include_execution_data_plan if {
	config := object.remove(good, ["include_execution_data", "log_destination"])
	status == {"UNKNOWN"} with input as f.stack([machine_refs({"logging_configuration": [config]}, log_group_refs)])
}

test_unknown_logging_configuration_log_destination if {
	results := logging.results with input as stk(object.union(good, {"log_destination": concat("", [f.unknown, ":*"])}))
	f.statuses(results, "aws_sfn_state_machine.sm") == {"UNKNOWN"}
	count(results) == 1
}

test_unknown_logging_configuration_log_destination_plan_reference if {
	config := object.remove(good, ["log_destination"])
	refs := {"logging_configuration": ["aws_ssm_parameter.destination"]}
	status == {"UNKNOWN"} with input as f.stack([machine_refs({"logging_configuration": [config]}, refs)])
}

test_unknown_logging_configuration_log_destination_other_resource_reference if {
	config := object.union(good, {"log_destination": "${aws_ssm_parameter.destination.value}"})
	refs := {"logging_configuration": ["aws_ssm_parameter.destination"]}
	status == {"UNKNOWN"} with input as f.stack([machine_refs({"logging_configuration": [config]}, refs)])
}

test_error_level_fails_whatever_else_is_unknown if {
	config := {"level": "ERROR", "include_execution_data": f.unknown, "log_destination": f.unknown}
	results := logging.results with input as stk(config)
	f.statuses(results, "aws_sfn_state_machine.sm") == {"FAIL"}
	{r.message | some r in results} == {"logging_configuration.level is not ALL"}
}
