package imgsec.rules.cloudtrail.multi_region_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudtrail.multi_region

trail(values) := f.res("aws_cloudtrail", "t", values)

test_multi_region_passes if {
	results := multi_region.results with input as f.stack([trail({"is_multi_region_trail": true})])
	f.statuses(results, "aws_cloudtrail.t") == {"PASS"}
}

test_single_region_fails if {
	results := multi_region.results with input as f.stack([trail({"is_multi_region_trail": false})])
	f.statuses(results, "aws_cloudtrail.t") == {"FAIL"}
}

test_absent_fails if {
	results := multi_region.results with input as f.stack([trail({})])
	f.statuses(results, "aws_cloudtrail.t") == {"FAIL"}
}

test_string_true_passes if {
	results := multi_region.results with input as f.stack([trail({"is_multi_region_trail": "true"})])
	f.statuses(results, "aws_cloudtrail.t") == {"PASS"}
}

test_unknown_is_multi_region_trail if {
	results := multi_region.results with input as f.stack([trail({"is_multi_region_trail": f.unknown})])
	f.statuses(results, "aws_cloudtrail.t") == {"UNKNOWN"}
	some r in results
	startswith(r.message, "is_multi_region_trail is unknown")
}

test_unknown_is_multi_region_trail_plan_reference if {
	t := f.res_refs("aws_cloudtrail", "t", {}, {"is_multi_region_trail": ["aws_ssm_parameter.p"]})
	results := multi_region.results with input as f.stack([t])
	f.statuses(results, "aws_cloudtrail.t") == {"UNKNOWN"}
}

test_unknown_is_multi_region_trail_resource_reference if {
	t := f.res_refs(
		"aws_cloudtrail", "t",
		{"is_multi_region_trail": "${aws_ssm_parameter.p.value}"},
		{"is_multi_region_trail": ["aws_ssm_parameter.p"]},
	)
	results := multi_region.results with input as f.stack([t])
	f.statuses(results, "aws_cloudtrail.t") == {"UNKNOWN"}
}

test_single_region_fails_whatever_else_is_unknown if {
	values := {"is_multi_region_trail": false, "enable_logging": f.unknown, "kms_key_id": f.unknown}
	results := multi_region.results with input as f.stack([trail(values)])
	f.statuses(results, "aws_cloudtrail.t") == {"FAIL"}
}
