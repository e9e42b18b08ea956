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
