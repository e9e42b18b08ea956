package imgsec.rules.cloudwatch.log_group_kms_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudwatch.log_group_kms

group(values) := f.res("aws_cloudwatch_log_group", "g", values)

test_key_passes if {
	results := log_group_kms.results with input as f.stack([group({"kms_key_id": "${aws_kms_key.k.arn}"})])
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"PASS"}
}

test_missing_key_fails if {
	results := log_group_kms.results with input as f.stack([group({"name": "/x"})])
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"FAIL"}
}
