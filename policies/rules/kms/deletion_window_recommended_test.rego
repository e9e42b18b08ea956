package imgsec.rules.kms.deletion_window_recommended_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.kms.deletion_window_recommended as recommended

test_thirty_days_passes if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": 30})])
	f.statuses(recommended.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_absent_means_aws_default_passes if {
	inp := f.stack([f.res("aws_kms_key", "phi", {})])
	f.statuses(recommended.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_ten_days_fails if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": 10})])
	want := ["deletion_window_in_days is 10, below the recommended 30"]
	[r.message | some r in recommended.results] == want with input as inp
	f.statuses(recommended.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_below_hard_minimum_is_left_to_kms_002 if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": 5})])
	count(f.statuses(recommended.results, "aws_kms_key.phi")) == 0 with input as inp
}

test_reference_is_left_to_kms_002 if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": "${var.window}"})])
	count(f.statuses(recommended.results, "aws_kms_key.phi")) == 0 with input as inp
}

test_unknown_deletion_window_in_days if {
	# A warning rule, but an unknown window is still UNKNOWN, never a PASS.
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": f.unknown})])
	f.statuses(recommended.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as inp
	want := ["deletion_window_in_days is unknown (not a literal): cannot show that it is the recommended 30"]
	[r.message | some r in recommended.results] == want with input as inp
}

test_unknown_deletion_window_in_days_plan_reference if {
	k := f.res_refs("aws_kms_key", "phi", {}, {"deletion_window_in_days": ["aws_ssm_parameter.window"]})
	f.statuses(recommended.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as f.stack([k])
}

test_string_number_below_recommended_fails if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": "10"})])
	f.statuses(recommended.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_ten_days_fails_whatever_else_is_unknown if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": 10, "enable_key_rotation": f.unknown})])
	f.statuses(recommended.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}
