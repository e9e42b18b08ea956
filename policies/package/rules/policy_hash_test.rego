package imgsec.package.rules.policy_hash_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.policy_hash

test_accepted_hash_passes if {
	f.statuses(policy_hash.results) == {"PASS"} with input as f.valid
	want := sprintf("imgsec:policy-hash %s is an accepted de-identification profile", [f.policy_hash])
	f.messages(policy_hash.results) == {want} with input as f.valid
}

test_other_hash_fails_without_quoting_it if {
	other := "0000000000000000000000000000000000000000000000000000000000000001"
	inp := f.with_context_key("imgsec:policy-hash", other)
	f.statuses(policy_hash.results) == {"FAIL"} with input as inp
	want := "imgsec:policy-hash is not one of the 1 accepted de-identification profile hashes"
	f.messages(policy_hash.results) == {want} with input as inp
}

test_empty_accepted_list_fails_closed if {
	inp := f.with_param("accepted_policy_hashes", [])
	f.statuses(policy_hash.results) == {"FAIL"} with input as inp
	want := "no accepted policy hashes are configured (accepted_policy_hashes is empty): nothing is accepted"
	f.messages(policy_hash.results) == {want} with input as inp
}

test_missing_hash_fails if {
	inp := f.without_context_key("imgsec:policy-hash")
	f.statuses(policy_hash.results) == {"FAIL"} with input as inp
	f.messages(policy_hash.results) == {"the encryption context has no imgsec:policy-hash"} with input as inp
}

test_second_accepted_hash_passes if {
	other := "0000000000000000000000000000000000000000000000000000000000000001"
	params := f.set(f.params, "accepted_policy_hashes", [f.policy_hash, other])
	inp := f.set(f.with_context_key("imgsec:policy-hash", other), "params", params)
	f.statuses(policy_hash.results) == {"PASS"} with input as inp
}
