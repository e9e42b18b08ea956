# METADATA
# title: The package body is complete
# description: >-
#   The body was walked to its end without decrypting: it is complete (not truncated), its frames
#   are in sequence ending with the final frame, and no bytes follow the message. A truncated
#   package loses image data; a reordered one, or one with trailing bytes, has been tampered with or
#   damaged in transit. The parser's problem code is quoted only when it is a short machine code.
# custom:
#   id: IMGSEC-PKG-010
#   severity: high
#   controls:
#     - 164.312(c)(1)
#     - 164.312(c)(2)
#     - 164.312(e)(2)(i)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Copy the package again from its source (check its sha256 digest against the audit log), or
#     re-encrypt it from the de-identified file.
package imgsec.package.rules.body_complete

import data.imgsec.package.lib

_problem := lib.get(["body", "problem"], null)

_trailing := lib.get(["body", "trailing_bytes"], null)

_frames := lib.get(["body", "frames"], null)

# A problem code the parser writes: short, lowercase, hyphenated ("truncated", "bad-frame-sequence").
_code(p) if {
	is_string(p)
	regex.match(`^[a-z][a-z0-9-]{0,39}$`, p)
}

_problems contains "the body is not complete" if not lib.is_true(["body", "complete"])

_problems contains msg if {
	_code(_problem)
	msg := sprintf("the body has a problem: %s", [_problem])
}

_problems contains "the body has a problem" if {
	_problem != null
	not _code(_problem)
}

_problems contains msg if {
	is_number(_trailing)
	_trailing != 0
	msg := sprintf("%d bytes follow the end of the message", [_trailing])
}

_problems contains "the number of trailing bytes is missing or not a number" if not is_number(_trailing)

results contains lib.pass(msg) if {
	count(_problems) == 0
	is_number(_frames)
	msg := sprintf("the body is complete: %d frame(s), no trailing bytes", [_frames])
}

results contains lib.pass("the body is complete, with no trailing bytes") if {
	count(_problems) == 0
	not is_number(_frames)
}

results contains lib.fail(msg) if some msg in _problems
