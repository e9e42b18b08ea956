# METADATA
# title: KMS keys have a deletion window of at least the minimum
# description: >-
#   Every key's deletion_window_in_days is at least input.params.kms_min_deletion_window_days, so a
#   key scheduled for deletion by mistake or by an attacker can be recovered before the PHI and audit
#   records encrypted under it become unreadable. Absent means the AWS default of 30 days. A value
#   that is unknown (a variable, a function result, a reference to another resource's attribute, a
#   plan value known only after apply) is UNKNOWN; a literal that is not a number fails.
# custom:
#   id: IMGSEC-KMS-002
#   severity: high
#   controls:
#     - 164.308(a)(7)(ii)(A)
#     - 164.310(d)(2)(iv)
#     - 164.312(c)(1)
#   resource_types:
#     - aws_kms_key
#   inputs:
#     - deletion_window_in_days
#   remediation: >-
#     Set deletion_window_in_days to at least the minimum in policies/params.json
#     (kms_min_deletion_window_days), up to 30.
package imgsec.rules.kms.deletion_window

import data.imgsec.lib
import data.imgsec.lib.s3

# The deletion window in days (AWS defaults to 30), "unknown", or undefined when the value is
# neither a number nor unknown.
_window(key) := 30 if {
	s3.value(key, "deletion_window_in_days") == null
} else := s3.number(key, "deletion_window_in_days", s3.value(key, "deletion_window_in_days"))

# The deletion window in days when it is a known number.
window(key) := _window(key) if is_number(_window(key))

_minimum := lib.param("kms_min_deletion_window_days")

results contains lib.pass(key, msg) if {
	some key in lib.resources_of("aws_kms_key")
	window(key) >= _minimum
	msg := sprintf("deletion_window_in_days is %d (minimum %d)", [window(key), _minimum])
}

results contains lib.fail(key, msg) if {
	some key in lib.resources_of("aws_kms_key")
	window(key) < _minimum
	msg := sprintf("deletion_window_in_days is %d, below the minimum %d", [window(key), _minimum])
}

results contains lib.fail(key, "deletion_window_in_days is not a literal number") if {
	some key in lib.resources_of("aws_kms_key")
	not _window(key)
}

results contains lib.unknown(key, msg) if {
	some key in lib.resources_of("aws_kms_key")
	_window(key) == "unknown"
	msg := sprintf(
		"deletion_window_in_days is unknown (not a literal): cannot show that it is at least the minimum %d",
		[_minimum],
	)
}
