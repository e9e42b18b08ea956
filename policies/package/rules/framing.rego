# METADATA
# title: The package body is framed, with a frame length within bounds
# description: >-
#   The message body is framed content with a frame length between input.params.min_frame_length
#   and input.params.max_frame_length bytes. Framed content is decrypted and authenticated one frame
#   at a time, so decryption streams in bounded memory and releases no plaintext before its frame's
#   tag verifies; non-framed content, or a huge frame, must be held whole in memory, and tiny frames
#   make the package needlessly large and slow.
# custom:
#   id: IMGSEC-PKG-009
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(c)(1)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Re-encrypt with imgsec encrypt, which writes framed content with its default frame length
#     (1 MiB), or adjust min_frame_length / max_frame_length in the package params.
package imgsec.package.rules.framing

import data.imgsec.package.lib

_type := lib.get(["format", "content_type"], null)

_length := lib.get(["format", "frame_length"], null)

_min := lib.param("min_frame_length")

_max := lib.param("max_frame_length")

_problems contains "the body is not framed: non-framed content must be decrypted whole in memory" if {
	_type == "non-framed"
}

_problems contains "the content type is missing or unknown" if not _type in {"framed", "non-framed"}

_problems contains "the frame length is missing or not a number" if {
	_type == "framed"
	not is_number(_length)
}

_problems contains msg if {
	_type == "framed"
	is_number(_length)
	_length < _min
	msg := sprintf("frame length %d is below the minimum %d", [_length, _min])
}

_problems contains msg if {
	_type == "framed"
	is_number(_length)
	_length > _max
	msg := sprintf("frame length %d is above the maximum %d", [_length, _max])
}

results contains lib.pass(msg) if {
	count(_problems) == 0
	msg := sprintf("framed content, frame length %d (between %d and %d)", [_length, _min, _max])
}

results contains lib.fail(msg) if some msg in _problems
