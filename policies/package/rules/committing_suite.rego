# METADATA
# title: Packages use a key-committing algorithm suite
# description: >-
#   The algorithm suite commits the data key (ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY, with or
#   without ECDSA): a ciphertext decrypts to one plaintext only, whichever of its encrypted data keys
#   is used, so a package cannot be crafted to decrypt to different images for different recipients.
# custom:
#   id: IMGSEC-PKG-002
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(c)(1)
#     - 164.312(c)(2)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Re-encrypt with imgsec encrypt, which uses the commitment policy REQUIRE_ENCRYPT_REQUIRE_DECRYPT
#     and a committing suite.
package imgsec.package.rules.committing_suite

import data.imgsec.package.lib

results contains lib.pass(msg) if {
	lib.is_true(["suite", "committing"])
	msg := sprintf("%s commits the data key", [lib.suite_label])
}

results contains lib.fail(msg) if {
	not lib.is_true(["suite", "committing"])
	msg := sprintf("%s does not commit the data key", [lib.suite_label])
}
