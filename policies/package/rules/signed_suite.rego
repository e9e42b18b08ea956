# METADATA
# title: Packages use a signed algorithm suite
# description: >-
#   The algorithm suite signs the message with ECDSA P-384 (the public key travels in the encryption
#   context), so anyone can check that a package is intact and came from a holder of the signing key
#   without holding a decryption key. Required while input.params.require_signed_suite is true (the
#   default); when it is false an unsigned committing suite passes, and the result says so.
# custom:
#   id: IMGSEC-PKG-003
#   severity: medium
#   controls:
#     - 164.312(c)(1)
#     - 164.312(c)(2)
#     - 164.312(e)(2)(i)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Re-encrypt with imgsec encrypt and its default suite ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
#     or set require_signed_suite to false in the package params if unsigned packages are acceptable.
package imgsec.package.rules.signed_suite

import data.imgsec.package.lib

# Signing is required unless the params say false in so many words.
_optional if lib.param("require_signed_suite") == false

results contains lib.pass(msg) if {
	lib.is_true(["suite", "signed"])
	msg := sprintf("%s signs the message (ECDSA)", [lib.suite_label])
}

results contains lib.pass(msg) if {
	not lib.is_true(["suite", "signed"])
	_optional
	msg := sprintf("%s is not signed (allowed: require_signed_suite is false)", [lib.suite_label])
}

results contains lib.fail(msg) if {
	not lib.is_true(["suite", "signed"])
	not _optional
	msg := sprintf("%s is not signed, and require_signed_suite is true", [lib.suite_label])
}
