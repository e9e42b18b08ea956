package imgsec.rules.kms.rotation_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.kms.rotation

key(values) := f.res("aws_kms_key", "phi", values)

test_rotation_enabled_passes if {
	inp := f.stack([key({"enable_key_rotation": true, "customer_master_key_spec": "SYMMETRIC_DEFAULT"})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_rotation_disabled_fails if {
	inp := f.stack([key({"enable_key_rotation": false})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_rotation_absent_fails if {
	inp := f.stack([key({"description": "phi"})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_asymmetric_key_has_no_result if {
	inp := f.stack([key({"customer_master_key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY"})])
	count(f.statuses(rotation.results, "aws_kms_key.phi")) == 0 with input as inp
}

test_hmac_key_spec_has_no_result if {
	inp := f.stack([key({"key_spec": "HMAC_256", "key_usage": "GENERATE_VERIFY_MAC"})])
	count(f.statuses(rotation.results, "aws_kms_key.phi")) == 0 with input as inp
}
