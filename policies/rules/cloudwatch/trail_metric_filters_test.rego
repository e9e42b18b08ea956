package imgsec.rules.cloudwatch.trail_metric_filters_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudwatch.trail_metric_filters as rule

trail := f.res_refs(
	"aws_cloudtrail", "t",
	{"name": "audit", "cloud_watch_logs_group_arn": "${aws_cloudwatch_log_group.trail.arn}:*"},
	{"cloud_watch_logs_group_arn": ["aws_cloudwatch_log_group.trail"]},
)

group := f.res("aws_cloudwatch_log_group", "trail", {"name": "/imgsec/trail"})

# A filter on the trail's log group and its alarm, for the i-th class.
filter(i, pattern) := f.res_refs(
	"aws_cloudwatch_log_metric_filter", concat("", ["f", format_int(i, 10)]),
	{
		"log_group_name": "${aws_cloudwatch_log_group.trail.name}",
		"pattern": pattern,
		"metric_transformation": {"name": concat("", ["m", format_int(i, 10)]), "namespace": "imgsec", "value": "1"},
	},
	{"log_group_name": ["aws_cloudwatch_log_group.trail"]},
)

alarm(i) := f.res_refs(
	"aws_cloudwatch_metric_alarm", concat("", ["a", format_int(i, 10)]),
	{
		"metric_name": concat("", ["m", format_int(i, 10)]),
		"namespace": "imgsec",
		"alarm_actions": ["${aws_sns_topic.alarms.arn}"],
	},
	{"alarm_actions": ["aws_sns_topic.alarms"]},
)

# A CIS-style pattern for a class: its comparisons joined by ||, written with spaces and quotes.
cis_pattern(category) := concat("", ["{ ", concat(" || ", _comparisons(category)), " }"])

_comparisons(category) := [concat("", ["(", _spaced(t), ")"]) | some t in category.terms]

_spaced(term) := replace(term, "NOTEXISTS", " NOT EXISTS") if contains(term, "NOTEXISTS")

_spaced(term) := concat("", [parts[0], " = \"", parts[1], "\""]) if {
	not contains(term, "NOTEXISTS")
	not contains(term, "!=")
	parts := split(term, "=")
}

_spaced(term) := concat("", [parts[0], " != \"", parts[1], "\""]) if {
	parts := split(term, "!=")
	count(parts) == 2
}

complete := array.flatten([
	[trail, group, f.res("aws_sns_topic", "alarms", {"name": "alarms"})],
	[filter(i, cis_pattern(c)) | some i, c in rule.categories],
	[alarm(i) | some i, _ in rule.categories],
])

# The complete stack without the i-th class's filter (or alarm).
without(address) := [r | some r in complete; r.address != address]

status := f.statuses(rule.results, "aws_cloudtrail.t")

messages contains r.message if some r in rule.results

test_every_class_with_a_notifying_alarm_passes if {
	status == {"PASS"} with input as f.stack(complete)
}

test_imgsec_monitoring_patterns_are_recognized if {
	# The patterns modules/monitoring.ts writes, as written there.
	patterns := [
		"{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }",
		concat("", [
			"{ ($.userIdentity.type = \"Root\") && ($.userIdentity.invokedBy NOT EXISTS) ",
			"&& ($.eventType != \"AwsServiceEvent\") }",
		]),
		concat("", [
			"{ ($.eventSource = \"kms.amazonaws.com\") && ",
			"(($.eventName = \"DisableKey\") || ($.eventName = \"ScheduleKeyDeletion\")) }",
		]),
		concat("", [
			"{ ($.eventName = \"CreateTrail\") || ($.eventName = \"UpdateTrail\") || ($.eventName = \"DeleteTrail\") ",
			"|| ($.eventName = \"StartLogging\") || ($.eventName = \"StopLogging\") ",
			"|| ($.eventName = \"PutEventSelectors\") }",
		]),
	]
	titles := {c.title | some p in patterns; some c in rule.categories; every t in c.terms {
		t in rule.terms(p)
	}}
	titles == {
		"unauthorized API calls", "root account use",
		"KMS keys disabled or scheduled for deletion", "CloudTrail configuration changes",
	}
}

test_missing_class_fails if {
	status == {"FAIL"} with input as f.stack(without("aws_cloudwatch_log_metric_filter.f2"))
	inp79 := f.stack(without("aws_cloudwatch_log_metric_filter.f2"))
	want := "no metric filter on the trail's log group matches the CIS pattern for console sign-in failures"
	messages == {want} with input as inp79
}

test_filter_without_alarm_fails if {
	status == {"FAIL"} with input as f.stack(without("aws_cloudwatch_metric_alarm.a7"))
	inp84 := f.stack(without("aws_cloudwatch_metric_alarm.a7"))
	messages == {"the metric filter for security group changes has no alarm whose actions run"} with input as inp84
	silent := object.union(alarm(7), {"values": {"actions_enabled": false}})
	status == {"FAIL"} with input as f.stack(array.concat(without("aws_cloudwatch_metric_alarm.a7"), [silent]))
}

test_partial_pattern_fails if {
	partial := filter(3, "{ ($.eventName = PutRolePolicy) || ($.eventName = AttachRolePolicy) }")
	status == {"FAIL"} with input as f.stack(array.concat(without("aws_cloudwatch_log_metric_filter.f3"), [partial]))
}

test_filter_on_another_log_group_fails if {
	other := object.union(object.remove(filter(0, cis_pattern(rule.categories[0])), ["refs"]), {
		"values": {"log_group_name": "/other"},
		"refs": {},
	})
	status == {"FAIL"} with input as f.stack(array.concat(without("aws_cloudwatch_log_metric_filter.f0"), [other]))
}

test_literal_log_group_arn_relates if {
	arn := "arn:aws:logs:us-east-1:111122223333:log-group:/imgsec/trail:*"
	literal := f.res("aws_cloudtrail", "t", {"cloud_watch_logs_group_arn": arn})
	status == {"PASS"} with input as f.stack(array.concat([literal], array.slice(complete, 1, count(complete))))
}

test_trail_without_log_group_has_no_result if {
	plain := f.res("aws_cloudtrail", "t", {"name": "audit"})
	status == set() with input as f.stack([plain])
}

# ---- unknown values ---------------------------------------------------------------------------------

test_unknown_cloud_watch_logs_group_arn if {
	unknown := f.res("aws_cloudtrail", "t", {"cloud_watch_logs_group_arn": f.unknown})
	status == {"UNKNOWN"} with input as f.stack(array.concat([unknown], array.slice(complete, 1, count(complete))))
}

test_unknown_log_group_name if {
	loose := object.union(
		object.remove(filter(2, cis_pattern(rule.categories[2])), ["refs"]),
		{"values": {"log_group_name": f.unknown}, "refs": {}},
	)
	status == {"UNKNOWN"} with input as f.stack(array.concat(without("aws_cloudwatch_log_metric_filter.f2"), [loose]))
}

test_unknown_pattern if {
	inp125 := f.stack(array.concat(without("aws_cloudwatch_log_metric_filter.f2"), [filter(2, f.unknown)]))
	status == {"UNKNOWN"} with input as inp125
}

test_unknown_metric_transformation_name if {
	unnamed := object.union(
		filter(2, cis_pattern(rule.categories[2])),
		{"values": {"metric_transformation": {"name": f.unknown}}},
	)
	status == {"UNKNOWN"} with input as f.stack(array.concat(without("aws_cloudwatch_log_metric_filter.f2"), [unnamed]))
}

test_unknown_metric_transformation_namespace if {
	unnamed := object.union(
		filter(2, cis_pattern(rule.categories[2])),
		{"values": {"metric_transformation": {"namespace": f.unknown}}},
	)
	status == {"UNKNOWN"} with input as f.stack(array.concat(without("aws_cloudwatch_log_metric_filter.f2"), [unnamed]))
}

test_unknown_metric_name if {
	unnamed := object.union(alarm(2), {"values": {"metric_name": f.unknown}})
	status == {"UNKNOWN"} with input as f.stack(array.concat(without("aws_cloudwatch_metric_alarm.a2"), [unnamed]))
}

test_unknown_namespace if {
	unnamed := object.union(alarm(2), {"values": {"namespace": f.unknown}})
	status == {"UNKNOWN"} with input as f.stack(array.concat(without("aws_cloudwatch_metric_alarm.a2"), [unnamed]))
}

test_unknown_alarm_actions if {
	silent := object.union(object.remove(alarm(2), ["refs"]), {"values": {"alarm_actions": [f.unknown]}, "refs": {}})
	status == {"UNKNOWN"} with input as f.stack(array.concat(without("aws_cloudwatch_metric_alarm.a2"), [silent]))
}

test_unknown_actions_enabled if {
	maybe := object.union(alarm(2), {"values": {"actions_enabled": f.unknown}})
	status == {"UNKNOWN"} with input as f.stack(array.concat(without("aws_cloudwatch_metric_alarm.a2"), [maybe]))
}

test_reference_in_an_unrelated_value_is_no_unknown if {
	# Monitoring's PhiBucketAccessDenied filter names buckets by reference: it cannot be another class.
	buckets := filter(20, concat("", [
		"{ ($.eventSource = \"s3.amazonaws.com\") && ($.errorCode = \"AccessDenied\") && ",
		"($.requestParameters.bucketName = \"raw-${data.aws_caller_identity.caller.account_id}\") }",
	]))
	status == {"FAIL"} with input as f.stack(array.concat(without("aws_cloudwatch_log_metric_filter.f2"), [buckets]))
}

test_unknown_pattern_part if {
	partial := filter(2, "{ ($.eventName = ConsoleLogin) && ($.errorMessage = ${?}) }")
	status == {"UNKNOWN"} with input as f.stack(array.concat(without("aws_cloudwatch_log_metric_filter.f2"), [partial]))
}
