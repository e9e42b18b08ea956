package imgsec.rules.sfn.tracing_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.sfn.tracing

stk(values) := f.stack([f.res("aws_sfn_state_machine", "sm", values)])

status := f.statuses(tracing.results, "aws_sfn_state_machine.sm")

test_enabled_passes if {
	status == {"PASS"} with input as stk({"tracing_configuration": {"enabled": true}})
}

test_disabled_fails if {
	status == {"FAIL"} with input as stk({"tracing_configuration": [{"enabled": false}]})
	status == {"FAIL"} with input as stk({})
}

test_string_true_passes if {
	status == {"PASS"} with input as stk({"tracing_configuration": [{"enabled": "true"}]})
}

test_empty_block_fails if {
	status == {"FAIL"} with input as stk({"tracing_configuration": [{}]})
}

test_unknown_tracing_configuration if {
	results := tracing.results with input as stk({"tracing_configuration": f.unknown})
	f.statuses(results, "aws_sfn_state_machine.sm") == {"UNKNOWN"}
	{r.message | some r in results} == {concat("", ["tracing_configuration", tracing._cannot_show])}
}

test_unknown_tracing_configuration_plan_reference if {
	sm := f.res_refs("aws_sfn_state_machine", "sm", {}, {"tracing_configuration": ["aws_ssm_parameter.on"]})
	status == {"UNKNOWN"} with input as f.stack([sm])
}

test_unknown_tracing_configuration_enabled if {
	results := tracing.results with input as stk({"tracing_configuration": {"enabled": f.unknown}})
	f.statuses(results, "aws_sfn_state_machine.sm") == {"UNKNOWN"}
	{r.message | some r in results} == {concat("", ["tracing_configuration.enabled", tracing._cannot_show])}
}

test_unknown_tracing_configuration_enabled_plan_reference if {
	sm := f.res_refs(
		"aws_sfn_state_machine", "sm",
		{"tracing_configuration": [{}]},
		{"tracing_configuration": ["aws_ssm_parameter.on"]},
	)
	status == {"UNKNOWN"} with input as f.stack([sm])
}

test_unknown_tracing_configuration_enabled_resource_reference if {
	sm := f.res_refs(
		"aws_sfn_state_machine", "sm",
		{"tracing_configuration": [{"enabled": "${aws_ssm_parameter.on.value}"}]},
		{"tracing_configuration": ["aws_ssm_parameter.on"]},
	)
	status == {"UNKNOWN"} with input as f.stack([sm])
}

test_disabled_fails_whatever_else_is_unknown if {
	values := {"tracing_configuration": {"enabled": false}, "logging_configuration": f.unknown, "role_arn": f.unknown}
	status == {"FAIL"} with input as stk(values)
}
