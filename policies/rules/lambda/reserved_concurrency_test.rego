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

test_unknown_reserved_concurrent_executions if {
	status == {"UNKNOWN"} with input as stk({"reserved_concurrent_executions": f.unknown})
	want := {concat("", [
		"reserved_concurrent_executions is unknown (not a literal): ",
		"cannot show that the function has reserved concurrency",
	])}
	inp := stk({"reserved_concurrent_executions": f.unknown})
	{r.message | some r in reserved_concurrency.results} == want with input as inp
}

test_unknown_reserved_concurrent_executions_reference if {
	# A resource's attribute (cdktf) or, in a plan, a value absent until apply.
	ref := {"reserved_concurrent_executions": "${aws_ssm_parameter.c.value}"}
	fn := f.res_refs("aws_lambda_function", "fn", ref, {"reserved_concurrent_executions": ["aws_ssm_parameter.c"]})
	f.statuses(reserved_concurrency.results, "aws_lambda_function.fn") == {"UNKNOWN"} with input as f.stack([fn])
	plan := f.res_refs("aws_lambda_function", "fn", {}, {"reserved_concurrent_executions": ["aws_ssm_parameter.c"]})
	f.statuses(reserved_concurrency.results, "aws_lambda_function.fn") == {"UNKNOWN"} with input as f.stack([plan])
}

test_string_number_passes if {
	status == {"PASS"} with input as stk({"reserved_concurrent_executions": "10"})
	status == {"FAIL"} with input as stk({"reserved_concurrent_executions": "0"})
}

test_unreserved_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk({"reserved_concurrent_executions": -1, "memory_size": f.unknown})
}
