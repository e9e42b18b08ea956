# METADATA
# title: A signed package's signature is present and valid
# description: >-
#   When the algorithm suite is signed, the message ends with an ECDSA signature over the header and
#   body, and it verifies against the public key in the encryption context (aws-crypto-public-key).
#   This proves without any decryption key that the package is intact and was written by whoever
#   held the signing key when it was encrypted. Packages with an unsigned suite get no result here
#   (IMGSEC-PKG-003 decides whether that is acceptable).
# custom:
#   id: IMGSEC-PKG-011
#   severity: critical
#   controls:
#     - 164.312(c)(1)
#     - 164.312(c)(2)
#     - 164.312(e)(2)(i)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Do not decrypt or use the package: it has been altered or damaged. Copy it again from its
#     source, or re-encrypt it from the de-identified file.
package imgsec.package.rules.signature

import data.imgsec.package.lib

_problems contains msg if {
	not lib.public_key_name in lib.context_keys
	msg := sprintf("the encryption context lacks %s, which verifies the signature", [lib.public_key_name])
}

_problems contains "the suite is signed but the message has no signature" if not lib.is_true(["signature", "present"])

_problems contains "the signature was not checked" if {
	lib.is_true(["signature", "present"])
	not lib.is_true(["signature", "checked"])
}

_problems contains "the ECDSA signature does not verify" if {
	lib.is_true(["signature", "checked"])
	not lib.is_true(["signature", "valid"])
}

results contains lib.pass(msg) if {
	lib.is_true(["suite", "signed"])
	count(_problems) == 0
	msg := sprintf("the ECDSA signature verifies against %s", [lib.public_key_name])
}

results contains lib.fail(msg) if {
	lib.is_true(["suite", "signed"])
	some msg in _problems
}
