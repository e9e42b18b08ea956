package imgsec.rules.sns.kms_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.sns.kms

test_key_passes if {
	results := kms.results with input as f.stack([f.res("aws_sns_topic", "t", {"kms_master_key_id": "alias/phi"})])
	f.statuses(results, "aws_sns_topic.t") == {"PASS"}
}

test_missing_key_fails if {
	results := kms.results with input as f.stack([f.res("aws_sns_topic", "t", {"name": "alarms"})])
	f.statuses(results, "aws_sns_topic.t") == {"FAIL"}
}
