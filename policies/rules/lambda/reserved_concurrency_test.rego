package imgsec.rules.lambda.reserved_concurrency_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.lambda.reserved_concurrency

stk(values) := f.stack([f.res("aws_lambda_function", "fn", values)])

status := f.statuses(reserved_concurrency.results, "aws_lambda_function.fn")

test_reserved_passes if {
	status == {"PASS"} with input as stk({"reserved_concurrent_executions": 5})
	status == {"PASS"} with input as stk({"reserved_concurrent_executions": 1})
}

test_unreserved_fails if {
	status == {"FAIL"} with input as stk({})
	status == {"FAIL"} with input as stk({"reserved_concurrent_executions": -1})
}

test_zero_disables_and_fails if {
	status == {"FAIL"} with input as stk({"reserved_concurrent_executions": 0})
}

test_unresolved_reference_fails if {
	status == {"FAIL"} with input as stk({"reserved_concurrent_executions": "${var.concurrency}"})
}
