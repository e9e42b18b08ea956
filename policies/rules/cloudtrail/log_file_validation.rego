# METADATA
# title: CloudTrail log file integrity validation is enabled
# description: >-
#   With enable_log_file_validation = true CloudTrail writes signed digest files, so that any
#   modification or deletion of delivered audit logs can be detected.
# custom:
#   id: IMGSEC-CT-002
#   severity: high
#   controls:
#     - 164.312(c)(1)
#     - 164.312(c)(2)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudtrail
#   inputs:
#     - enable_log_file_validation
#   peers:
#     - cdk-nag:HIPAA.Security-CloudTrailLogFileValidationEnabled
#     - aws-config:cloud-trail-log-file-validation-enabled
#     - prowler:cloudtrail_log_file_validation_enabled
#   remediation: >-
#     Set enable_log_file_validation = true on the trail.
package imgsec.rules.cloudtrail.log_file_validation

import data.imgsec.lib
import data.imgsec.lib.attrs

# The provider's default is false: only a literal true turns validation on.
_validation(trail) := attrs.bool(trail, "enable_log_file_validation", false)

results contains lib.pass(trail, "enable_log_file_validation is true: delivered logs are digitally signed") if {
	some trail in lib.resources_of("aws_cloudtrail")
	_validation(trail) == true
}

results contains lib.fail(
	trail,
	"enable_log_file_validation is not true: tampering with delivered audit logs would go unnoticed",
) if {
	some trail in lib.resources_of("aws_cloudtrail")
	_validation(trail) == false
}

results contains lib.unknown(
	trail,
	"enable_log_file_validation is unknown (not a literal): cannot show that delivered logs are signed",
) if {
	some trail in lib.resources_of("aws_cloudtrail")
	_validation(trail) == "unknown"
}
