# METADATA
# title: CloudTrail trails record every region
# description: >-
#   A trail must be multi-region (is_multi_region_trail = true) so that API activity against PHI
#   resources, IAM and KMS in any region, including regions the project does not use, reaches the
#   audit log. A single-region trail leaves blind spots an attacker can use. The provider's default is
#   a single-region trail: an absent value fails, and a value that is not a literal (a variable, a
#   plan value known only after apply) is UNKNOWN.
# custom:
#   id: IMGSEC-CT-001
#   severity: high
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#   resource_types:
#     - aws_cloudtrail
#   inputs:
#     - is_multi_region_trail
#   peers:
#     - aws-config:multi-region-cloudtrail-enabled
#     - prowler:cloudtrail_multi_region_enabled
#   remediation: >-
#     Set is_multi_region_trail = true on the trail (the AuditTrail construct does this by default).
package imgsec.rules.cloudtrail.multi_region

import data.imgsec.lib
import data.imgsec.lib.attrs

# The provider's default is false: only a literal true makes the trail multi-region.
_multi_region(trail) := attrs.bool(trail, "is_multi_region_trail", false)

results contains lib.pass(trail, "is_multi_region_trail is true: activity in every region is recorded") if {
	some trail in lib.resources_of("aws_cloudtrail")
	_multi_region(trail) == true
}

results contains lib.fail(trail, "is_multi_region_trail is not true: activity in other regions is not recorded") if {
	some trail in lib.resources_of("aws_cloudtrail")
	_multi_region(trail) == false
}

results contains lib.unknown(
	trail,
	"is_multi_region_trail is unknown (not a literal): cannot show that activity in every region is recorded",
) if {
	some trail in lib.resources_of("aws_cloudtrail")
	_multi_region(trail) == "unknown"
}
