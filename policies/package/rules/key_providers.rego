# METADATA
# title: Every encrypted data key comes from an allowed key provider
# description: >-
#   The package has at least one encrypted data key, and each one's provider is in
#   input.params.allowed_key_providers (imgsec-local, the local key file's AES-256 wrapping key, and
#   aws-kms by default). An unknown provider means someone outside the project's key management can
#   decrypt the package. An imgsec-local key must name its key by a 16-hex-digit key id. Providers
#   that are not allowed are not named (their ids are free text from the package): keys are numbered
#   from 1 in header order.
# custom:
#   id: IMGSEC-PKG-006
#   severity: high
#   controls:
#     - 164.312(a)(1)
#     - 164.312(a)(2)(iv)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Re-encrypt with imgsec encrypt using only the project's keyrings (the local key file or the
#     project's AWS KMS key), or add the provider to allowed_key_providers in the package params.
package imgsec.package.rules.key_providers

import data.imgsec.package.lib

_allowed := {p | some p in lib.param("allowed_key_providers")}

_provider(edk) := p if {
	is_object(edk)
	p := object.get(edk, "provider_id", null)
	is_string(p)
}

# (A helper rule: `not _provider(edk) in _allowed` would be false, not true, for an undefined provider.)
_allowed_provider(edk) if _provider(edk) in _allowed

_key_id(info) if {
	is_string(info)
	regex.match(`^[0-9a-f]{16}$`, info)
}

_problems contains "the encrypted data keys are missing or not a list" if not lib.edks

_problems contains "the message has no encrypted data keys" if count(lib.edks) == 0

_problems contains msg if {
	some i, edk in lib.edks
	not _allowed_provider(edk)
	msg := sprintf("encrypted data key %d has a key provider that is not allowed", [i + 1])
}

_problems contains msg if {
	some i, edk in lib.edks
	_provider(edk) == "imgsec-local"
	not _key_id(object.get(edk, "provider_info", null))
	msg := sprintf("encrypted data key %d (imgsec-local) does not name a key id of 16 hex digits", [i + 1])
}

results contains lib.pass(msg) if {
	count(_problems) == 0
	names := concat(", ", sort({p | some edk in lib.edks; p := _provider(edk)}))
	msg := sprintf("%d encrypted data key(s), all from allowed providers: %s", [count(lib.edks), names])
}

results contains lib.fail(msg) if some msg in _problems
