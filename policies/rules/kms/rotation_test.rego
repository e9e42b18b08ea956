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

test_unknown_enable_key_rotation if {
	inp := f.stack([key({"enable_key_rotation": f.unknown})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as inp
	want := {"enable_key_rotation is unknown (not a literal): cannot show that the key material rotates"}
	{r.message | some r in rotation.results} == want with input as inp
}

test_unknown_enable_key_rotation_plan_reference if {
	k := f.res_refs("aws_kms_key", "phi", {}, {"enable_key_rotation": ["aws_ssm_parameter.rotate"]})
	f.statuses(rotation.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as f.stack([k])
}

test_string_true_passes if {
	inp := f.stack([key({"enable_key_rotation": "true"})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_unknown_customer_master_key_spec if {
	inp := f.stack([key({"customer_master_key_spec": f.unknown, "enable_key_rotation": false})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as inp
}

test_unknown_key_spec if {
	inp := f.stack([key({"key_spec": f.unknown})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as inp
}

test_unknown_key_usage if {
	inp := f.stack([key({"key_usage": f.unknown})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as inp
}

test_unknown_key_spec_with_rotation_on_passes if {
	# Symmetric: it rotates; not symmetric: rotation does not apply. Either way nothing is missing.
	inp := f.stack([key({"customer_master_key_spec": f.unknown, "enable_key_rotation": true})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_unknown_rotation_on_asymmetric_key_has_no_result if {
	values := {"customer_master_key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY", "enable_key_rotation": f.unknown}
	inp := f.stack([key(values)])
	count(f.statuses(rotation.results, "aws_kms_key.phi")) == 0 with input as inp
}

test_rotation_off_fails_whatever_else_is_unknown if {
	inp := f.stack([key({"enable_key_rotation": false, "description": f.unknown, "policy": f.unknown})])
	f.statuses(rotation.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}
