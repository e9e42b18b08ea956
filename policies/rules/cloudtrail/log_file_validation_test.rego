package imgsec.rules.cloudtrail.log_file_validation_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudtrail.log_file_validation

trail(values) := f.res("aws_cloudtrail", "t", values)

test_validation_passes if {
	results := log_file_validation.results with input as f.stack([trail({"enable_log_file_validation": true})])
	f.statuses(results, "aws_cloudtrail.t") == {"PASS"}
}

test_disabled_fails if {
	results := log_file_validation.results with input as f.stack([trail({"enable_log_file_validation": false})])
	f.statuses(results, "aws_cloudtrail.t") == {"FAIL"}
}

test_absent_fails if {
	results := log_file_validation.results with input as f.stack([trail({})])
	f.statuses(results, "aws_cloudtrail.t") == {"FAIL"}
}

test_unknown_enable_log_file_validation if {
	results := log_file_validation.results with input as f.stack([trail({"enable_log_file_validation": f.unknown})])
	f.statuses(results, "aws_cloudtrail.t") == {"UNKNOWN"}
}

test_unknown_enable_log_file_validation_plan_reference if {
	t := f.res_refs("aws_cloudtrail", "t", {}, {"enable_log_file_validation": ["aws_ssm_parameter.p"]})
	results := log_file_validation.results with input as f.stack([t])
	f.statuses(results, "aws_cloudtrail.t") == {"UNKNOWN"}
}

test_string_true_passes if {
	results := log_file_validation.results with input as f.stack([trail({"enable_log_file_validation": "true"})])
	f.statuses(results, "aws_cloudtrail.t") == {"PASS"}
}
