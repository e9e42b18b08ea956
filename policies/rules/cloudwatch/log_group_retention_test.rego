package imgsec.rules.cloudwatch.log_group_retention_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudwatch.log_group_retention

stk(values) := f.stack([f.res("aws_cloudwatch_log_group", "g", values)])

status := f.statuses(log_group_retention.results, "aws_cloudwatch_log_group.g")

test_six_years_passes if {
	status == {"PASS"} with input as stk({"retention_in_days": 2192})
}

test_exactly_minimum_passes if {
	status == {"PASS"} with input as stk({"retention_in_days": 365})
}

test_never_expire_passes if {
	status == {"PASS"} with input as stk({"retention_in_days": 0})
	status == {"PASS"} with input as stk({})
}

test_short_retention_fails if {
	status == {"FAIL"} with input as stk({"retention_in_days": 30})
}

test_numeric_string_is_read if {
	status == {"FAIL"} with input as stk({"retention_in_days": "30"})
	status == {"PASS"} with input as stk({"retention_in_days": "3653"})
}

test_unresolved_reference_fails if {
	status == {"FAIL"} with input as stk({"retention_in_days": "${var.retention}"})
}

test_threshold_comes_from_params if {
	stack := object.union(
		f.stack([f.res("aws_cloudwatch_log_group", "g", {"retention_in_days": 30})]),
		{"params": {"min_log_retention_days": 30}},
	)
	results := log_group_retention.results with input as stack
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"PASS"}
}
