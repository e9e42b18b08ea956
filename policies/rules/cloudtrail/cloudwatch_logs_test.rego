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
