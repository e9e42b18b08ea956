package imgsec.rules.cloudtrail.cloudwatch_logs_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudtrail.cloudwatch_logs

both := {
	"cloud_watch_logs_group_arn": "${aws_cloudwatch_log_group.g.arn}:*",
	"cloud_watch_logs_role_arn": "${aws_iam_role.r.arn}",
}

test_both_set_passes if {
	t := f.res("aws_cloudtrail", "t", both)
	f.statuses(cloudwatch_logs.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t])
}

test_missing_role_fails if {
	t := f.res("aws_cloudtrail", "t", object.remove(both, ["cloud_watch_logs_role_arn"]))
	results := cloudwatch_logs.results with input as f.stack([t])
	f.statuses(results, "aws_cloudtrail.t") == {"FAIL"}
	count(results) == 1
}

test_missing_both_fails_twice if {
	results := cloudwatch_logs.results with input as f.stack([f.res("aws_cloudtrail", "t", {})])
	f.statuses(results, "aws_cloudtrail.t") == {"FAIL"}
	count(results) == 2
}

test_literal_arns_pass if {
	t := f.res("aws_cloudtrail", "t", {
		"cloud_watch_logs_group_arn": "arn:aws:logs:us-east-1:111122223333:log-group:/trail:*",
		"cloud_watch_logs_role_arn": "arn:aws:iam::111122223333:role/trail-logs",
	})
	f.statuses(cloudwatch_logs.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t])
}

refs := {"cloud_watch_logs_group_arn": ["aws_cloudwatch_log_group.g"], "cloud_watch_logs_role_arn": ["aws_iam_role.r"]}

test_references_with_refs_pass if {
	t := f.res_refs("aws_cloudtrail", "t", both, refs)
	f.statuses(cloudwatch_logs.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t])
}

test_plan_references_pass if {
	t := f.res_refs("aws_cloudtrail", "t", {}, refs)
	f.statuses(cloudwatch_logs.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t])
}

test_unknown_cloud_watch_logs_group_arn if {
	group := concat("", [f.unknown, ":*"])
	t := f.res("aws_cloudtrail", "t", object.union(both, {"cloud_watch_logs_group_arn": group}))
	results := cloudwatch_logs.results with input as f.stack([t])
	f.statuses(results, "aws_cloudtrail.t") == {"UNKNOWN"}
	message := "cloud_watch_logs_group_arn is unknown (not a literal): cannot show that events reach CloudWatch Logs"
	{r.message | some r in results} == {message}
}

test_unknown_cloud_watch_logs_group_arn_plan_reference if {
	t := f.res_refs("aws_cloudtrail", "t", {}, object.union(refs, {"cloud_watch_logs_group_arn": ["aws_ssm_parameter.g"]}))
	f.statuses(cloudwatch_logs.results, "aws_cloudtrail.t") == {"UNKNOWN"} with input as f.stack([t])
}

test_unknown_cloud_watch_logs_role_arn if {
	t := f.res("aws_cloudtrail", "t", object.union(both, {"cloud_watch_logs_role_arn": f.unknown}))
	results := cloudwatch_logs.results with input as f.stack([t])
	f.statuses(results, "aws_cloudtrail.t") == {"UNKNOWN"}
	count(results) == 1
}

test_unknown_cloud_watch_logs_role_arn_other_resource_reference if {
	t := f.res_refs(
		"aws_cloudtrail", "t",
		object.union(both, {"cloud_watch_logs_role_arn": "${aws_ssm_parameter.role.value}"}),
		{"cloud_watch_logs_role_arn": ["aws_ssm_parameter.role"]},
	)
	f.statuses(cloudwatch_logs.results, "aws_cloudtrail.t") == {"UNKNOWN"} with input as f.stack([t])
}

test_missing_role_fails_whatever_else_is_unknown if {
	t := f.res("aws_cloudtrail", "t", {"cloud_watch_logs_group_arn": f.unknown})
	results := cloudwatch_logs.results with input as f.stack([t])
	f.statuses(results, "aws_cloudtrail.t") == {"FAIL"}
	count(results) == 1
}
