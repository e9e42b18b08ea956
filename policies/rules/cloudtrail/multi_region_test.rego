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
