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

topic(values) := f.res("aws_sns_topic", "t", values)

test_key_reference_passes if {
	refs := {"kms_master_key_id": ["aws_kms_key.k"]}
	t := f.res_refs("aws_sns_topic", "t", {"kms_master_key_id": "${aws_kms_key.k.arn}"}, refs)
	results := kms.results with input as f.stack([t])
	f.statuses(results, "aws_sns_topic.t") == {"PASS"}
}

test_plan_key_reference_passes if {
	t := f.res_refs("aws_sns_topic", "t", {"name": "alarms"}, {"kms_master_key_id": ["aws_kms_key.k"]})
	results := kms.results with input as f.stack([t])
	f.statuses(results, "aws_sns_topic.t") == {"PASS"}
}

test_empty_key_fails if {
	results := kms.results with input as f.stack([topic({"kms_master_key_id": " "})])
	f.statuses(results, "aws_sns_topic.t") == {"FAIL"}
}

test_unknown_kms_master_key_id if {
	results := kms.results with input as f.stack([topic({"kms_master_key_id": f.unknown})])
	f.statuses(results, "aws_sns_topic.t") == {"UNKNOWN"}
	some r in results
	startswith(r.message, "kms_master_key_id is unknown")
}

test_unknown_kms_master_key_id_partly_literal if {
	results := kms.results with input as f.stack([topic({"kms_master_key_id": "alias/${?}"})])
	f.statuses(results, "aws_sns_topic.t") == {"UNKNOWN"}
}

test_unknown_kms_master_key_id_other_resource_reference if {
	t := f.res_refs(
		"aws_sns_topic", "t",
		{"kms_master_key_id": "${aws_ssm_parameter.key.value}"},
		{"kms_master_key_id": ["aws_ssm_parameter.key"]},
	)
	results := kms.results with input as f.stack([t])
	f.statuses(results, "aws_sns_topic.t") == {"UNKNOWN"}
}

test_unknown_kms_master_key_id_plan_reference if {
	t := f.res_refs("aws_sns_topic", "t", {}, {"kms_master_key_id": ["aws_ssm_parameter.key"]})
	results := kms.results with input as f.stack([t])
	f.statuses(results, "aws_sns_topic.t") == {"UNKNOWN"}
}

test_missing_key_fails_whatever_else_is_unknown if {
	results := kms.results with input as f.stack([topic({"name": f.unknown, "policy": f.unknown})])
	f.statuses(results, "aws_sns_topic.t") == {"FAIL"}
}
