# METADATA
# title: Packages are AWS Encryption SDK messages of format version 2 with a known algorithm suite
# description: >-
#   The message header declares format version 2 (the only version with key-committing suites)
#   and an algorithm suite the AWS Encryption SDK defines. An older format or an unknown suite
#   means the package was not written by imgsec's encryption step, or by an outdated one.
# custom:
#   id: IMGSEC-PKG-001
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Re-encrypt the de-identified file with imgsec encrypt (AWS Encryption SDK message format
#     version 2, suite ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384).
package imgsec.package.rules.format_suite

import data.imgsec.package.lib

_version := lib.get(["format", "version"], null)

_problems contains msg if {
	is_number(_version)
	_version != 2
	msg := sprintf("message format version %d; imgsec packages use format version 2", [_version])
}

_problems contains "the message format version is missing or not a number" if not is_number(_version)

_problems contains msg if {
	not lib.is_true(["suite", "known"])
	msg := sprintf("%s is not a suite the AWS Encryption SDK defines", [lib.suite_label])
}

results contains lib.pass(msg) if {
	count(_problems) == 0
	msg := sprintf("message format version 2, %s", [lib.suite_label])
}

results contains lib.fail(msg) if some msg in _problems
