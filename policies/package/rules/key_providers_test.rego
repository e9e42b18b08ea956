package imgsec.package.rules.key_providers_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.key_providers

test_local_and_kms_keys_pass if {
	f.statuses(key_providers.results) == {"PASS"} with input as f.valid
	want := "2 encrypted data key(s), all from allowed providers: aws-kms, imgsec-local"
	f.messages(key_providers.results) == {want} with input as f.valid
}

test_unknown_provider_fails_without_naming_it if {
	edks := array.concat(f.package_doc.encrypted_data_keys, [{"provider_id": "DOE^JOHN", "provider_info": "x"}])
	inp := f.with_package("encrypted_data_keys", edks)
	f.statuses(key_providers.results) == {"FAIL"} with input as inp
	f.messages(key_providers.results) == {"encrypted data key 3 has a key provider that is not allowed"} with input as inp
}

test_raw_keyring_provider_fails_by_default if {
	inp := f.with_package("encrypted_data_keys", [{"provider_id": "raw-aes", "provider_info": "k"}])
	f.statuses(key_providers.results) == {"FAIL"} with input as inp
}

test_no_keys_fails if {
	inp := f.with_package("encrypted_data_keys", [])
	f.statuses(key_providers.results) == {"FAIL"} with input as inp
	f.messages(key_providers.results) == {"the message has no encrypted data keys"} with input as inp
}

test_keys_not_a_list_fails if {
	inp := f.with_package("encrypted_data_keys", {"provider_id": "aws-kms"})
	f.statuses(key_providers.results) == {"FAIL"} with input as inp
}

test_malformed_local_key_id_fails if {
	edks := [{"provider_id": "imgsec-local", "provider_info": "0123456789ABCDEF"}]
	inp := f.with_package("encrypted_data_keys", edks)
	f.statuses(key_providers.results) == {"FAIL"} with input as inp
	want := "encrypted data key 1 (imgsec-local) does not name a key id of 16 hex digits"
	f.messages(key_providers.results) == {want} with input as inp
}

test_providers_come_from_params if {
	inp := f.with_param("allowed_key_providers", ["aws-kms"])
	f.statuses(key_providers.results) == {"FAIL"} with input as inp
}

test_malformed_keys_fail if {
	edks := [null, 3, {"provider_id": 5}, {"provider_info": "x"}]
	inp := f.with_package("encrypted_data_keys", edks)
	f.statuses(key_providers.results) == {"FAIL"} with input as inp
	want := {sprintf("encrypted data key %d has a key provider that is not allowed", [i]) | some i in numbers.range(1, 4)}
	f.messages(key_providers.results) == want with input as inp
}
