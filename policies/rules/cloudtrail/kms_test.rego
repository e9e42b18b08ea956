package imgsec.rules.cloudtrail.kms_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudtrail.kms

test_key_passes if {
	t := f.res("aws_cloudtrail", "t", {"kms_key_id": "${aws_kms_key.k.arn}"})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t])
}

test_plan_unknown_key_reference_passes if {
	# In a plan, a key created in the same apply has no known ARN: the reference is the evidence.
	t := f.res_refs("aws_cloudtrail", "t", {}, {"kms_key_id": ["aws_kms_key.k"]})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t])
}

test_missing_key_fails if {
	f.statuses(kms.results, "aws_cloudtrail.t") == {"FAIL"} with input as f.stack([f.res("aws_cloudtrail", "t", {})])
}

test_empty_key_fails if {
	t := f.res("aws_cloudtrail", "t", {"kms_key_id": ""})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"FAIL"} with input as f.stack([t])
}
