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

test_plan_known_null_passes if {
	# A plan writes a known null (e.g. `var.keep ? null : aws_ssm_parameter.p.value` with keep = true).
	refs := {"retention_in_days": ["aws_ssm_parameter.p"]}
	g := f.res_refs("aws_cloudwatch_log_group", "g", {"retention_in_days": null}, refs)
	status == {"PASS"} with input as f.stack([g])
}

test_unknown_retention_in_days if {
	results := log_group_retention.results with input as stk({"retention_in_days": f.unknown})
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"UNKNOWN"}
	some r in results
	startswith(r.message, "retention_in_days is unknown")
}

test_unknown_retention_in_days_resource_reference if {
	g := f.res_refs(
		"aws_cloudwatch_log_group", "g",
		{"retention_in_days": "${aws_ssm_parameter.p.value}"},
		{"retention_in_days": ["aws_ssm_parameter.p"]},
	)
	status == {"UNKNOWN"} with input as f.stack([g])
}

test_unknown_retention_in_days_plan_reference if {
	g := f.res_refs("aws_cloudwatch_log_group", "g", {"name": "/x"}, {"retention_in_days": ["aws_ssm_parameter.p"]})
	status == {"UNKNOWN"} with input as f.stack([g])
}

test_short_retention_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk({"retention_in_days": 30, "kms_key_id": f.unknown, "name": f.unknown})
}
