# METADATA
# title: CloudTrail trails record every region
# description: >-
#   A trail must be multi-region (is_multi_region_trail = true) so that API activity against PHI
#   resources, IAM and KMS in any region, including regions the project does not use, reaches the
#   audit log. A single-region trail leaves blind spots an attacker can use.
# custom:
#   id: IMGSEC-CT-001
#   severity: high
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#   resource_types:
#     - aws_cloudtrail
#   remediation: >-
#     Set is_multi_region_trail = true on the trail (the AuditTrail construct does this by default).
package imgsec.rules.cloudtrail.multi_region

import data.imgsec.lib

results contains lib.pass(trail, "is_multi_region_trail is true: activity in every region is recorded") if {
	some trail in lib.resources_of("aws_cloudtrail")
	trail.values.is_multi_region_trail == true
}

results contains lib.fail(trail, "is_multi_region_trail is not true: activity in other regions is not recorded") if {
	some trail in lib.resources_of("aws_cloudtrail")
	object.get(trail.values, "is_multi_region_trail", false) != true
}
