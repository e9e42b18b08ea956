package imgsec.package.rules.committing_suite_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.committing_suite

test_committing_signed_suite_passes if {
	f.statuses(committing_suite.results) == {"PASS"} with input as f.valid
}

test_committing_unsigned_suite_passes if {
	f.statuses(committing_suite.results) == {"PASS"} with input as f.unsigned_input
}

test_non_committing_suite_fails if {
	suite := {
		"id": 888,
		"name": "ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
		"committing": false,
		"signed": true,
		"known": true,
	}
	inp := f.with_package("suite", suite)
	f.statuses(committing_suite.results) == {"FAIL"} with input as inp
	want := "algorithm suite ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384 (888) does not commit the data key"
	f.messages(committing_suite.results) == {want} with input as inp
}

test_missing_flag_fails if {
	inp := f.with_package("suite", {"id": 1400, "known": true})
	f.statuses(committing_suite.results) == {"FAIL"} with input as inp
}
