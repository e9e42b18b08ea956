package imgsec.package.rules.context_allowed_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.context_allowed

test_allowed_keys_pass if {
	f.statuses(context_allowed.results) == {"PASS"} with input as f.valid
	f.messages(context_allowed.results) == {"the encryption context has only allowed keys (7)"} with input as f.valid
}

test_unsigned_without_public_key_passes if {
	f.statuses(context_allowed.results) == {"PASS"} with input as f.unsigned_input
}

test_imgsec_key_not_allowed_is_named if {
	inp := f.with_context_key("imgsec:patient-name", "DOE^JOHN")
	f.statuses(context_allowed.results) == {"FAIL"} with input as inp
	f.messages(context_allowed.results) == {"context key imgsec:patient-name is not allowed"} with input as inp
}

test_free_text_key_is_not_named if {
	inp := f.with_context_key("PatientName", "DOE^JOHN")
	f.statuses(context_allowed.results) == {"FAIL"} with input as inp
	want := "a context key that is not allowed is present (its name is not shown)"
	f.messages(context_allowed.results) == {want} with input as inp
}

test_phi_in_key_name_is_not_named if {
	inp := f.with_context_key("imgsec:DOE^JOHN", "x")
	f.statuses(context_allowed.results) == {"FAIL"} with input as inp
	want := "a context key that is not allowed is present (its name is not shown)"
	f.messages(context_allowed.results) == {want} with input as inp
}

test_several_hidden_keys_are_counted if {
	ctx := object.union(f.package_doc.encryption_context, {"Patient Name": "DOE^JOHN", "MRN": "12345678"})
	inp := f.with_context(ctx)
	f.statuses(context_allowed.results) == {"FAIL"} with input as inp
	want := "2 context keys that are not allowed are present (their names are not shown)"
	f.messages(context_allowed.results) == {want} with input as inp
}

test_public_key_with_unsigned_suite_fails if {
	inp := f.with_package("suite", f.unsigned.suite)
	f.statuses(context_allowed.results) == {"FAIL"} with input as inp
	want := "context key aws-crypto-public-key is present but the suite is not signed"
	f.messages(context_allowed.results) == {want} with input as inp
}

test_allowed_keys_come_from_params if {
	inp := f.with_context_key("imgsec:site", "s1")
	f.statuses(context_allowed.results) == {"FAIL"} with input as inp
	more := array.concat(f.params.allowed_context_keys, ["imgsec:site"])
	wider := f.set(inp, "params", f.set(f.params, "allowed_context_keys", more))
	f.statuses(context_allowed.results) == {"PASS"} with input as wider
}

test_context_not_a_map_fails if {
	inp := f.with_context("imgsec:schema=1")
	f.statuses(context_allowed.results) == {"FAIL"} with input as inp
}
