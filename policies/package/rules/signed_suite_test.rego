package imgsec.package.rules.signed_suite_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.signed_suite

test_signed_suite_passes if {
	f.statuses(signed_suite.results) == {"PASS"} with input as f.valid
}

test_unsigned_suite_fails_by_default if {
	f.statuses(signed_suite.results) == {"FAIL"} with input as f.unsigned_input
	want := concat("", [
		"algorithm suite ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY (1144) is not signed, ",
		"and require_signed_suite is true",
	])
	f.messages(signed_suite.results) == {want} with input as f.unsigned_input
}

test_unsigned_suite_passes_when_not_required if {
	inp := object.union(f.unsigned_input, {"params": {"require_signed_suite": false}})
	f.statuses(signed_suite.results) == {"PASS"} with input as inp
}

test_missing_param_means_required if {
	inp := f.set(f.unsigned_input, "params", object.remove(f.params, ["require_signed_suite"]))
	f.statuses(signed_suite.results) == {"FAIL"} with input as inp
}
