package imgsec.package.rules.signature_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.signature

test_valid_signature_passes if {
	f.statuses(signature.results) == {"PASS"} with input as f.valid
	f.messages(signature.results) == {"the ECDSA signature verifies against aws-crypto-public-key"} with input as f.valid
}

test_unsigned_suite_gets_no_result if {
	count(signature.results) == 0 with input as f.unsigned_input
}

test_invalid_signature_fails if {
	inp := f.with_patch("signature", {"valid": false})
	f.statuses(signature.results) == {"FAIL"} with input as inp
	f.messages(signature.results) == {"the ECDSA signature does not verify"} with input as inp
}

test_missing_signature_fails if {
	inp := f.with_package("signature", {"present": false, "checked": false, "valid": false})
	f.statuses(signature.results) == {"FAIL"} with input as inp
	f.messages(signature.results) == {"the suite is signed but the message has no signature"} with input as inp
}

test_unchecked_signature_fails if {
	inp := f.with_patch("signature", {"checked": false, "valid": false})
	f.statuses(signature.results) == {"FAIL"} with input as inp
	f.messages(signature.results) == {"the signature was not checked"} with input as inp
}

test_missing_public_key_fails if {
	inp := f.without_context_key("aws-crypto-public-key")
	f.statuses(signature.results) == {"FAIL"} with input as inp
	want := "the encryption context lacks aws-crypto-public-key, which verifies the signature"
	f.messages(signature.results) == {want} with input as inp
}

test_missing_signature_section_fails if {
	inp := f.set(f.valid, "package", object.remove(f.package_doc, ["signature"]))
	f.statuses(signature.results) == {"FAIL"} with input as inp
}
