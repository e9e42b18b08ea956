package imgsec.rules.lambda.tracing_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.lambda.tracing

stk(values) := f.stack([f.res("aws_lambda_function", "fn", values)])

status := f.statuses(tracing.results, "aws_lambda_function.fn")

test_active_passes if {
	status == {"PASS"} with input as stk({"tracing_config": {"mode": "Active"}})
	status == {"PASS"} with input as stk({"tracing_config": [{"mode": "Active"}]})
}

test_pass_through_fails if {
	status == {"FAIL"} with input as stk({"tracing_config": {"mode": "PassThrough"}})
}

test_absent_fails if {
	status == {"FAIL"} with input as stk({})
}

test_unknown_tracing_config_mode if {
	status == {"UNKNOWN"} with input as stk({"tracing_config": {"mode": f.unknown}})
	status == {"UNKNOWN"} with input as stk({"tracing_config": [{"mode": "Act${?}"}]})
	status == {"UNKNOWN"} with input as stk({"tracing_config": f.unknown})
	want := {"tracing_config.mode is unknown (not a literal): cannot show that it is Active"}
	{r.message | some r in tracing.results} == want with input as stk({"tracing_config": {"mode": f.unknown}})
}

test_unknown_tracing_config_mode_plan_reference if {
	fn := f.res_refs("aws_lambda_function", "fn", {"tracing_config": [{}]}, {"tracing_config": ["aws_ssm_parameter.m"]})
	status == {"UNKNOWN"} with input as f.stack([fn])
}

test_partly_unknown_mode_that_cannot_be_active_fails if {
	status == {"FAIL"} with input as stk({"tracing_config": {"mode": "Pass${?}"}})
}

test_pass_through_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk({"tracing_config": {"mode": "PassThrough"}, "handler": f.unknown})
}
