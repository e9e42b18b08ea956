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
