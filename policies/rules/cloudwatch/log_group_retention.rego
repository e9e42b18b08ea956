# METADATA
# title: CloudWatch log groups keep logs for at least the minimum retention
# description: >-
#   Audit logs must be kept as long as HIPAA documentation (six years in the shipped parameters
#   min_log_retention_days). A log group passes when retention_in_days is at least
#   input.params.min_log_retention_days, or when it is 0 or absent, which means the logs never
#   expire. A value that is not a literal number (an unresolved reference) fails, since it cannot be
#   verified.
# custom:
#   id: IMGSEC-CW-002
#   severity: medium
#   controls:
#     - 164.316(b)(2)(i)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudwatch_log_group
#   remediation: >-
#     Set retention_in_days to a value CloudWatch accepts that is at least min_log_retention_days
#     (e.g. 2192 for six years), or leave it unset to keep logs forever.
package imgsec.rules.cloudwatch.log_group_retention

import data.imgsec.lib

results contains lib.pass(group, "retention_in_days is unset or 0: log data never expires") if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	_retention(group) == 0
}

results contains lib.pass(group, msg) if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	days := _retention(group)
	days >= lib.param("min_log_retention_days")
	msg := sprintf("retention_in_days is %d (minimum %d)", [days, lib.param("min_log_retention_days")])
}

results contains lib.fail(group, msg) if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	days := _retention(group)
	days != 0
	days < lib.param("min_log_retention_days")
	msg := sprintf(
		"retention_in_days is %d: log data is deleted before the minimum of %d days",
		[days, lib.param("min_log_retention_days")],
	)
}

results contains lib.fail(group, "retention_in_days is not a literal number: the retention cannot be verified") if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	not _retention(group)
}

# Retention in days as a number; 0 when absent. Undefined when it is not a number.
_retention(group) := object.get(group.values, "retention_in_days", 0) if {
	is_number(object.get(group.values, "retention_in_days", 0))
} else := to_number(group.values.retention_in_days) if {
	is_string(group.values.retention_in_days)
	regex.match(`^[0-9]+$`, group.values.retention_in_days)
}
