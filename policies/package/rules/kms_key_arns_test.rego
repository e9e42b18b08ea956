package imgsec.package.rules.kms_key_arns_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.kms_key_arns

_local := {"provider_id": "imgsec-local", "provider_info": "0123456789abcdef"}

_kms(arn) := {"provider_id": "aws-kms", "provider_info": arn}

test_well_formed_arn_passes_with_empty_allow_list if {
	f.statuses(kms_key_arns.results) == {"PASS"} with input as f.valid
	want := "1 AWS KMS key(s), each a well-formed KMS key ARN (allowed_kms_key_arns is empty: any key)"
	f.messages(kms_key_arns.results) == {want} with input as f.valid
}

test_alias_arn_passes if {
	inp := f.with_package("encrypted_data_keys", [_kms("arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/imgsec/phi")])
	f.statuses(kms_key_arns.results) == {"PASS"} with input as inp
}

test_listed_arn_passes if {
	inp := f.with_param("allowed_kms_key_arns", [f.kms_arn])
	f.statuses(kms_key_arns.results) == {"PASS"} with input as inp
	f.messages(kms_key_arns.results) == {"1 AWS KMS key(s), each in allowed_kms_key_arns"} with input as inp
}

test_unlisted_arn_fails if {
	other := "arn:aws:kms:us-east-1:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab"
	inp := f.with_param("allowed_kms_key_arns", [other])
	f.statuses(kms_key_arns.results) == {"FAIL"} with input as inp
	want := "encrypted data key 2 (aws-kms) names a KMS key that is not in allowed_kms_key_arns"
	f.messages(kms_key_arns.results) == {want} with input as inp
}

test_malformed_arn_fails_without_quoting_it if {
	inp := f.with_package("encrypted_data_keys", [_local, _kms("arn:aws:kms:us-east-1:1111:key/DOE JOHN")])
	f.statuses(kms_key_arns.results) == {"FAIL"} with input as inp
	want := "encrypted data key 2 (aws-kms) does not name a well-formed KMS key ARN"
	f.messages(kms_key_arns.results) == {want} with input as inp
}

test_non_kms_arn_fails if {
	inp := f.with_package("encrypted_data_keys", [_kms("arn:aws:s3:::bucket")])
	f.statuses(kms_key_arns.results) == {"FAIL"} with input as inp
}

test_no_kms_keys_gets_no_result if {
	inp := f.with_package("encrypted_data_keys", [_local])
	count(kms_key_arns.results) == 0 with input as inp
}
