# METADATA
# title: The encryption context holds no keys other than the allowed ones
# description: >-
#   The encryption context is stored in plaintext in the package header, readable without any key:
#   a key outside input.params.allowed_context_keys may carry anything, including PHI (a patient
#   name, an accession number). The AWS Encryption SDK's aws-crypto-public-key is allowed only with
#   a signed suite. A disallowed key is named in the message only when its name is a short imgsec: or
#   aws-crypto- name (which software writes); any other name may itself be free text and is not shown.
#   Values are never shown.
# custom:
#   id: IMGSEC-PKG-005
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Treat the package as a possible PHI disclosure: do not share it, find what wrote the extra
#     context keys, and re-encrypt with imgsec encrypt, which writes only the imgsec:* keys.
package imgsec.package.rules.context_allowed

import data.imgsec.package.lib

_allowed := {k | some k in lib.param("allowed_context_keys")}

_unexpected contains k if {
	some k, _ in lib.context
	not k in _allowed
}

_hidden contains k if {
	some k in _unexpected
	not lib.quotable_context_key(k)
}

_problems contains "the encryption context is missing or not a map" if not lib.context

_problems contains msg if {
	some k in _unexpected
	lib.quotable_context_key(k)
	msg := sprintf("context key %s is not allowed", [k])
}

_problems contains "a context key that is not allowed is present (its name is not shown)" if count(_hidden) == 1

_problems contains msg if {
	count(_hidden) > 1
	msg := sprintf(
		"%d context keys that are not allowed are present (their names are not shown)",
		[count(_hidden)],
	)
}

_problems contains msg if {
	lib.public_key_name in _allowed
	lib.public_key_name in lib.context_keys
	not lib.is_true(["suite", "signed"])
	msg := sprintf("context key %s is present but the suite is not signed", [lib.public_key_name])
}

results contains lib.pass(msg) if {
	count(_problems) == 0
	msg := sprintf("the encryption context has only allowed keys (%d)", [count(lib.context)])
}

results contains lib.fail(msg) if some msg in _problems
