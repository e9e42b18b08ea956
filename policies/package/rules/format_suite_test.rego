package imgsec.package.rules.format_suite_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.format_suite

test_version_2_known_suite_passes if {
	f.statuses(format_suite.results) == {"PASS"} with input as f.valid
	f.messages(format_suite.results) == {concat("", [
		"message format version 2, algorithm suite ",
		"ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 (1400)",
	])} with input as f.valid
}

test_version_1_fails if {
	inp := f.with_patch("format", {"version": 1})
	f.statuses(format_suite.results) == {"FAIL"} with input as inp
	want := "message format version 1; imgsec packages use format version 2"
	f.messages(format_suite.results) == {want} with input as inp
}

test_missing_version_fails if {
	inp := f.with_package("format", {"content_type": "framed", "frame_length": 4096})
	f.statuses(format_suite.results) == {"FAIL"} with input as inp
}

test_unknown_suite_fails_without_quoting_its_name if {
	suite := {"id": 4660, "name": "DOE^JOHN", "committing": true, "signed": true, "known": false}
	inp := f.with_package("suite", suite)
	f.statuses(format_suite.results) == {"FAIL"} with input as inp
	want := "algorithm suite 4660 is not a suite the AWS Encryption SDK defines"
	f.messages(format_suite.results) == {want} with input as inp
}

test_suite_without_known_flag_fails if {
	inp := f.with_package("suite", {"id": 1400})
	f.statuses(format_suite.results) == {"FAIL"} with input as inp
}
