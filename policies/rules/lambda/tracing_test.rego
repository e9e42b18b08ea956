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
