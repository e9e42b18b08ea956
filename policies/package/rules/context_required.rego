# METADATA
# title: The encryption context holds every required imgsec key, well-formed
# description: >-
#   The encryption context (authenticated, but stored in plaintext in the header) carries the
#   package's provenance: imgsec:schema, imgsec:dataset, imgsec:modality, imgsec:policy-hash (the
#   de-identification profile), imgsec:pixel-digest and imgsec:producer (input.params.required_context_keys).
#   Each value is a string matching its pattern in input.params.context_value_patterns, which keeps
#   free text (and so PHI) out of the plaintext header. A required key with no pattern, or an invalid
#   one, fails: nothing is accepted unchecked. Messages name keys, never values.
# custom:
#   id: IMGSEC-PKG-004
#   severity: high
#   controls:
#     - 164.312(c)(1)
#     - 164.312(c)(2)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Re-encrypt with imgsec encrypt, which writes the imgsec:* context from the de-identification
#     run; check that the dataset id and modality match their patterns in the package params.
package imgsec.package.rules.context_required

import data.imgsec.package.lib

_required := lib.param("required_context_keys")

_patterns := lib.param("context_value_patterns")

# The value pattern configured for a key, when it is a string.
_pattern(k) := p if {
	p := _patterns[k]
	is_string(p)
}

_problems contains "the encryption context is missing or not a map" if not lib.context

_problems contains msg if {
	lib.context
	some k in _required
	not k in lib.context_keys
	msg := sprintf("the encryption context lacks %s", [lib.config_key_label(k)])
}

_problems contains msg if {
	some k in _required
	k in lib.context_keys
	not is_string(lib.context[k])
	msg := sprintf("%s is not a string", [lib.config_key_label(k)])
}

_problems contains msg if {
	some k in _required
	not _pattern(k)
	label := lib.config_key_label(k)
	msg := sprintf("no value pattern is configured for %s (context_value_patterns)", [label])
}

_problems contains msg if {
	some k in _required
	pattern := _pattern(k)
	not regex.is_valid(pattern)
	msg := sprintf("the value pattern for %s is not a valid regular expression", [lib.config_key_label(k)])
}

_problems contains msg if {
	some k in _required
	value := lib.context[k]
	is_string(value)
	pattern := _pattern(k)
	regex.is_valid(pattern)
	not regex.match(pattern, value)
	msg := sprintf("%s is not well-formed (expected %s)", [lib.config_key_label(k), pattern])
}

results contains lib.pass(msg) if {
	count(_problems) == 0
	msg := sprintf("the %d required context keys are present and well-formed", [count(_required)])
}

results contains lib.fail(msg) if some msg in _problems
