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

test_literal_key_passes if {
	t := f.res("aws_cloudtrail", "t", {"kms_key_id": "arn:aws:kms:us-east-1:111122223333:alias/phi"})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t])
}

test_key_reference_with_refs_passes if {
	t := f.res_refs("aws_cloudtrail", "t", {"kms_key_id": "${aws_kms_key.k.arn}"}, {"kms_key_id": ["aws_kms_key.k"]})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t])
	t2 := f.res_refs(
		"aws_cloudtrail", "t",
		{"kms_key_id": "${data.aws_kms_alias.phi.target_key_arn}"},
		{"kms_key_id": ["data.aws_kms_alias.phi"]},
	)
	f.statuses(kms.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t2])
}

test_plan_module_key_reference_passes if {
	t := f.res_refs("aws_cloudtrail", "t", {}, {"kms_key_id": ["module.keys.aws_kms_key.phi"]})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"PASS"} with input as f.stack([t])
}

test_plan_null_key_with_references_fails if {
	# A plan writes a known null (e.g. `var.on ? aws_kms_key.k.arn : null` with on = false).
	t := f.res_refs("aws_cloudtrail", "t", {"kms_key_id": null}, {"kms_key_id": ["aws_kms_key.k"]})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"FAIL"} with input as f.stack([t])
}

test_unknown_kms_key_id if {
	t := f.res("aws_cloudtrail", "t", {"kms_key_id": f.unknown})
	results := kms.results with input as f.stack([t])
	f.statuses(results, "aws_cloudtrail.t") == {"UNKNOWN"}
	some r in results
	startswith(r.message, "kms_key_id is unknown")
}

test_unknown_kms_key_id_partly_literal if {
	t := f.res("aws_cloudtrail", "t", {"kms_key_id": "arn:aws:kms:us-east-1:${?}:key/${?}"})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"UNKNOWN"} with input as f.stack([t])
}

test_unknown_kms_key_id_other_resource_reference if {
	t := f.res_refs(
		"aws_cloudtrail", "t",
		{"kms_key_id": "${aws_ssm_parameter.key.value}"},
		{"kms_key_id": ["aws_ssm_parameter.key"]},
	)
	f.statuses(kms.results, "aws_cloudtrail.t") == {"UNKNOWN"} with input as f.stack([t])
}

test_unknown_kms_key_id_plan_reference if {
	t := f.res_refs("aws_cloudtrail", "t", {}, {"kms_key_id": ["aws_ssm_parameter.key"]})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"UNKNOWN"} with input as f.stack([t])
}

test_missing_key_fails_whatever_else_is_unknown if {
	t := f.res("aws_cloudtrail", "t", {"kms_key_id": "", "enable_logging": f.unknown, "is_multi_region_trail": f.unknown})
	f.statuses(kms.results, "aws_cloudtrail.t") == {"FAIL"} with input as f.stack([t])
}
