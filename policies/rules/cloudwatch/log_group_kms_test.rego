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

test_key_reference_with_refs_passes if {
	refs := {"kms_key_id": ["aws_kms_key.k"]}
	g := f.res_refs("aws_cloudwatch_log_group", "g", {"kms_key_id": "${aws_kms_key.k.arn}"}, refs)
	results := log_group_kms.results with input as f.stack([g])
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"PASS"}
}

test_plan_key_reference_passes if {
	g := f.res_refs("aws_cloudwatch_log_group", "g", {"name": "/x"}, {"kms_key_id": ["aws_kms_key.k"]})
	results := log_group_kms.results with input as f.stack([g])
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"PASS"}
}

test_empty_key_fails if {
	results := log_group_kms.results with input as f.stack([group({"kms_key_id": ""})])
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"FAIL"}
}

test_unknown_kms_key_id if {
	results := log_group_kms.results with input as f.stack([group({"kms_key_id": f.unknown})])
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"UNKNOWN"}
	some r in results
	startswith(r.message, "kms_key_id is unknown")
}

test_unknown_kms_key_id_other_resource_reference if {
	g := f.res_refs(
		"aws_cloudwatch_log_group", "g",
		{"kms_key_id": "${aws_ssm_parameter.key.value}"},
		{"kms_key_id": ["aws_ssm_parameter.key"]},
	)
	results := log_group_kms.results with input as f.stack([g])
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"UNKNOWN"}
}

test_unknown_kms_key_id_plan_reference if {
	g := f.res_refs("aws_cloudwatch_log_group", "g", {}, {"kms_key_id": ["aws_ssm_parameter.key"]})
	results := log_group_kms.results with input as f.stack([g])
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"UNKNOWN"}
}

test_missing_key_fails_whatever_else_is_unknown if {
	results := log_group_kms.results with input as f.stack([group({"name": f.unknown, "retention_in_days": f.unknown})])
	f.statuses(results, "aws_cloudwatch_log_group.g") == {"FAIL"}
}
