# METADATA
# title: KMS keys have the recommended deletion window
# description: >-
#   Every key's deletion_window_in_days is at least input.params.kms_recommended_deletion_window_days
#   (30, the AWS maximum, by default), leaving the most time to notice and cancel a scheduled
#   deletion. Absent means the AWS default of 30 days. A warning: the hard minimum is IMGSEC-KMS-002,
#   which alone reports keys below it or with a literal window that is not a number; those keys get
#   no result here, so one short window is not reported twice. A window that is unknown (a variable,
#   a reference to another resource's attribute, a plan value known only after apply) is UNKNOWN
#   here too: it cannot be shown to be the recommended one.
# custom:
#   id: IMGSEC-KMS-003
#   severity: low
#   level: warning
#   controls:
#     - 164.308(a)(7)(ii)(A)
#     - 164.310(d)(2)(iv)
#   resource_types:
#     - aws_kms_key
#   inputs:
#     - deletion_window_in_days
#   remediation: >-
#     Set deletion_window_in_days to the recommended value in policies/params.json
#     (kms_recommended_deletion_window_days), or leave it unset for the AWS default of 30 days.
package imgsec.rules.kms.deletion_window_recommended

import data.imgsec.lib
import data.imgsec.lib.s3

# The deletion window in days (AWS defaults to 30), "unknown", or undefined when the value is
# neither a number nor unknown.
_window(key) := 30 if {
	s3.value(key, "deletion_window_in_days") == null
} else := s3.number(key, "deletion_window_in_days", s3.value(key, "deletion_window_in_days"))

# The deletion window in days of a key that meets the hard minimum; undefined for the others, which
# are IMGSEC-KMS-002's.
_checked(key) := w if {
	w := _window(key)
	is_number(w)
	w >= lib.param("kms_min_deletion_window_days")
}

results contains lib.pass(key, msg) if {
	some key in lib.resources_of("aws_kms_key")
	_checked(key) >= lib.param("kms_recommended_deletion_window_days")
	msg := sprintf(
		"deletion_window_in_days is %d (recommended %d)",
		[_checked(key), lib.param("kms_recommended_deletion_window_days")],
	)
}

results contains lib.fail(key, msg) if {
	some key in lib.resources_of("aws_kms_key")
	_checked(key) < lib.param("kms_recommended_deletion_window_days")
	msg := sprintf(
		"deletion_window_in_days is %d, below the recommended %d",
		[_checked(key), lib.param("kms_recommended_deletion_window_days")],
	)
}

results contains lib.unknown(key, msg) if {
	some key in lib.resources_of("aws_kms_key")
	_window(key) == "unknown"
	msg := sprintf(
		"deletion_window_in_days is unknown (not a literal): cannot show that it is the recommended %d",
		[lib.param("kms_recommended_deletion_window_days")],
	)
}
