# METADATA
# title: The package was de-identified under an accepted de-identification profile
# description: >-
#   The encryption context's imgsec:policy-hash (the SHA-256 of the de-identification profile and
#   options the file went through) is one of input.params.accepted_policy_hashes. imgsec fills that
#   list with the hash of its strict profile unless the user configures others; an empty list
#   accepts nothing, so a misconfiguration fails closed rather than accepting any profile. The hash is
#   quoted only when it is accepted (it then equals a configured value).
# custom:
#   id: IMGSEC-PKG-008
#   severity: critical
#   controls:
#     - 164.308(a)(1)(ii)(B)
#     - 164.312(c)(1)
#     - 164.316(a)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     De-identify the source again with the strict profile (imgsec deid) and re-encrypt, or, after a
#     documented review of the other profile, add its hash to accepted_policy_hashes.
package imgsec.package.rules.policy_hash

import data.imgsec.package.lib

_accepted := {h | some h in lib.param("accepted_policy_hashes")}

_hash := lib.get(["encryption_context", "imgsec:policy-hash"], null)

_problems contains msg if {
	count(_accepted) == 0
	msg := "no accepted policy hashes are configured (accepted_policy_hashes is empty): nothing is accepted"
}

_problems contains "the encryption context has no imgsec:policy-hash" if not is_string(_hash)

_problems contains msg if {
	count(_accepted) > 0
	is_string(_hash)
	not _hash in _accepted
	msg := sprintf("imgsec:policy-hash is not one of the %d accepted de-identification profile hashes", [count(_accepted)])
}

results contains lib.pass(msg) if {
	count(_problems) == 0
	msg := sprintf("imgsec:policy-hash %s is an accepted de-identification profile", [_hash])
}

results contains lib.fail(msg) if some msg in _problems
