# METADATA
# title: CloudWatch log groups keep logs for at least the minimum retention
# description: >-
#   Audit logs must be kept as long as HIPAA documentation (six years in the shipped parameters
#   min_log_retention_days). A log group passes when retention_in_days is at least
#   input.params.min_log_retention_days, or when it is 0 or absent, which means the logs never
#   expire. A value that is not known (a variable, a function result, a reference to another
#   resource's attribute, a plan value known only after apply) is UNKNOWN; a literal that is not a
#   number fails, since it cannot be verified.
# custom:
#   id: IMGSEC-CW-002
#   severity: medium
#   controls:
#     - 164.316(b)(2)(i)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudwatch_log_group
#   inputs:
#     - retention_in_days
#   peers:
#     - cdk-nag:HIPAA.Security-CloudWatchLogGroupRetentionPeriod
#     - prowler:cloudwatch_log_group_retention_policy_specific_days_enabled
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
	is_number(days)
	days >= lib.param("min_log_retention_days")
	msg := sprintf("retention_in_days is %d (minimum %d)", [days, lib.param("min_log_retention_days")])
}

results contains lib.fail(group, msg) if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	days := _retention(group)
	is_number(days)
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

results contains lib.unknown(
	group,
	"retention_in_days is unknown (not a literal): cannot show that log data is kept for the minimum retention",
) if {
	some group in lib.resources_of("aws_cloudwatch_log_group")
	_retention(group) == "unknown"
}

# Retention in days as a number (0 when absent or null: never expire), or "unknown" when the value
# is unknown, refers to another resource, or (plan) is absent but referenced: known only after
# apply. Undefined when it is a literal that is not a number.
_retention(group) := "unknown" if {
	lib.is_unknown(object.get(group.values, "retention_in_days", null))
} else := "unknown" if {
	not _written(group.values, "retention_in_days")
	count(object.get(group.refs, "retention_in_days", [])) > 0
} else := 0 if {
	object.get(group.values, "retention_in_days", null) == null
} else := group.values.retention_in_days if {
	is_number(group.values.retention_in_days)
} else := to_number(group.values.retention_in_days) if {
	is_string(group.values.retention_in_days)
	regex.match(`^[0-9]+$`, group.values.retention_in_days)
} else := "unknown" if {
	contains(group.values.retention_in_days, "${")
	count(object.get(group.refs, "retention_in_days", [])) > 0
}

_written(obj, key) if {
	some k, _ in obj
	k == key
}
