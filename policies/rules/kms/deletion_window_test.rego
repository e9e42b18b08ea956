package imgsec.rules.kms.deletion_window_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.kms.deletion_window

test_thirty_days_passes if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": 30})])
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_minimum_passes if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": 7})])
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_absent_means_aws_default_passes if {
	inp := f.stack([f.res("aws_kms_key", "phi", {})])
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_below_minimum_fails if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": 5})])
	want := ["deletion_window_in_days is 5, below the minimum 7"]
	[r.message | some r in deletion_window.results] == want with input as inp
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_reference_fails if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": "${var.window}"})])
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_threshold_comes_from_params if {
	stricter := {"params": {"kms_min_deletion_window_days": 14}}
	inp := object.union(f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": 10})]), stricter)
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_unknown_deletion_window_in_days if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": f.unknown})])
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as inp
	want := ["deletion_window_in_days is unknown (not a literal): cannot show that it is at least the minimum 7"]
	[r.message | some r in deletion_window.results] == want with input as inp
}

test_unknown_deletion_window_in_days_plan_reference if {
	# Known only after apply: absent from the plan, but the attribute refers to a resource.
	k := f.res_refs("aws_kms_key", "phi", {}, {"deletion_window_in_days": ["aws_ssm_parameter.window"]})
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as f.stack([k])
}

test_unknown_deletion_window_in_days_resource_reference if {
	# A kept reference to another resource's attribute: the rule cannot resolve its number.
	k := f.res_refs(
		"aws_kms_key", "phi",
		{"deletion_window_in_days": "${aws_ssm_parameter.window.value}"},
		{"deletion_window_in_days": ["aws_ssm_parameter.window"]},
	)
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as f.stack([k])
}

test_string_number_passes if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": "30"})])
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_non_number_literal_fails if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"deletion_window_in_days": "thirty"})])
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_below_minimum_fails_whatever_else_is_unknown if {
	values := {"deletion_window_in_days": 5, "enable_key_rotation": f.unknown, "policy": f.unknown}
	inp := f.stack([f.res("aws_kms_key", "phi", values)])
	f.statuses(deletion_window.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}
