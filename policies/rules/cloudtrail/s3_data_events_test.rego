package imgsec.rules.cloudtrail.s3_data_events_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudtrail.s3_data_events

name := "imgsec-dev-raw-${data.aws_caller_identity.caller.account_id}-us-east-1"

raw := f.res("aws_s3_bucket", "raw", {"bucket": name})

other := f.res("aws_s3_bucket", "other", {"bucket": "imgsec-dev-other"})

logs := f.res("aws_s3_bucket", "logs", {"bucket": "imgsec-dev-logs"})

raw_logging := f.res_refs(
	"aws_s3_bucket_logging", "raw_logging",
	{"bucket": "${aws_s3_bucket.raw.id}", "target_bucket": "${aws_s3_bucket.logs.id}"},
	{"bucket": ["aws_s3_bucket.raw"], "target_bucket": ["aws_s3_bucket.logs"]},
)

# As the AuditTrail construct writes it.
prefix := concat("", ["arn:${data.aws_partition.partition.partition}:s3:::", name, "/"])

basic(values, rw) := f.res("aws_cloudtrail", "t", {"event_selector": [{
	"data_resource": [{"type": "AWS::S3::Object", "values": values}],
	"include_management_events": true,
	"read_write_type": rw,
}]})

s3_fields := [
	{"field": "eventCategory", "equals": ["Data"]},
	{"field": "resources.type", "equals": ["AWS::S3::Object"]},
]

advanced(fields) := f.res(
	"aws_cloudtrail", "t",
	{"advanced_event_selector": [{"field_selector": array.concat(s3_fields, fields)}]},
)

arn_field(op, values) := [{"field": "resources.ARN", op: values}]

stk(trails) := f.stack(array.concat([raw, other], trails))

raw_status := f.statuses(s3_data_events.results, "aws_s3_bucket.raw")

test_partition_reference_prefix_passes if {
	raw_status == {"PASS"} with input as stk([basic([prefix], "All")])
}

test_bucket_arn_reference_passes if {
	raw_status == {"PASS"} with input as stk([basic(["${aws_s3_bucket.raw.arn}/"], "All")])
}

test_literal_partition_passes if {
	raw_status == {"PASS"} with input as stk([basic([concat("", ["arn:aws-us-gov:s3:::", name, "/"])], "All")])
}

test_all_buckets_passes if {
	raw_status == {"PASS"} with input as stk([basic(["arn:aws:s3"], "All")])
	raw_status == {"PASS"} with input as stk([basic(["arn:aws:s3:::"], "All")])
}

test_default_read_write_type_is_all if {
	selector := {"data_resource": {"type": "AWS::S3::Object", "values": [prefix]}}
	t := f.res("aws_cloudtrail", "t", {"event_selector": selector})
	raw_status == {"PASS"} with input as stk([t])
}

test_read_only_fails if {
	raw_status == {"FAIL"} with input as stk([basic([prefix], "ReadOnly")])
}

test_read_only_and_write_only_in_two_trails_pass if {
	t2 := object.union(
		basic([prefix], "WriteOnly"),
		{"address": "aws_cloudtrail.t2", "config_address": "aws_cloudtrail.t2"},
	)
	raw_status == {"PASS"} with input as stk([basic([prefix], "ReadOnly"), t2])
}

test_other_bucket_only_fails if {
	results := s3_data_events.results with input as stk([basic(["${aws_s3_bucket.other.arn}/"], "All")])
	f.statuses(results, "aws_s3_bucket.raw") == {"FAIL"}
	f.statuses(results, "aws_s3_bucket.other") == {"PASS"}
}

test_object_prefix_only_fails if {
	raw_status == {"FAIL"} with input as stk([basic([concat("", [prefix, "studies/"])], "All")])
}

test_lambda_data_resource_fails if {
	t := f.res("aws_cloudtrail", "t", {"event_selector": [{
		"data_resource": [{"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]}],
		"read_write_type": "All",
	}]})
	raw_status == {"FAIL"} with input as stk([t])
}

test_no_trail_fails if {
	raw_status == {"FAIL"} with input as stk([])
}

test_logging_disabled_trail_fails if {
	t := object.union(basic([prefix], "All"), {"values": {"enable_logging": false}})
	raw_status == {"FAIL"} with input as stk([t])
}

test_log_target_bucket_has_no_result if {
	results := s3_data_events.results with input as f.stack([raw, logs, raw_logging, basic([prefix], "All")])
	f.statuses(results, "aws_s3_bucket.logs") == set()
	f.statuses(results, "aws_s3_bucket.raw") == {"PASS"}
}

test_advanced_all_buckets_passes if {
	raw_status == {"PASS"} with input as stk([advanced([])])
}

test_advanced_starts_with_bucket_passes if {
	raw_status == {"PASS"} with input as stk([advanced(arn_field("starts_with", [prefix]))])
}

test_advanced_starts_with_shorter_prefix_passes if {
	raw_status == {"PASS"} with input as stk([advanced(arn_field("starts_with", ["arn:aws:s3:::imgsec-dev-"]))])
}

test_advanced_starts_with_other_bucket_fails if {
	raw_status == {"FAIL"} with input as stk([advanced(arn_field("starts_with", ["${aws_s3_bucket.other.arn}/"]))])
}

test_advanced_not_starts_with_bucket_fails if {
	raw_status == {"FAIL"} with input as stk([advanced(arn_field("not_starts_with", ["${aws_s3_bucket.raw.arn}/"]))])
}

test_advanced_not_starts_with_part_of_bucket_fails if {
	part := concat("", [prefix, "tmp/"])
	raw_status == {"FAIL"} with input as stk([advanced(arn_field("not_starts_with", [part]))])
}

test_advanced_not_starts_with_other_bucket_passes if {
	other_prefix := "arn:aws:s3:::imgsec-dev-other/"
	raw_status == {"PASS"} with input as stk([advanced(arn_field("not_starts_with", [other_prefix]))])
}

test_advanced_equals_arn_fails if {
	object_arn := concat("", [prefix, "a.dcm"])
	raw_status == {"FAIL"} with input as stk([advanced(arn_field("equals", [object_arn]))])
}

test_advanced_event_name_filter_fails if {
	raw_status == {"FAIL"} with input as stk([advanced([{"field": "eventName", "equals": ["PutObject"]}])])
}

test_advanced_read_only_fails if {
	raw_status == {"FAIL"} with input as stk([advanced([{"field": "readOnly", "equals": ["true"]}])])
}

test_advanced_read_and_write_selectors_pass if {
	t := f.res("aws_cloudtrail", "t", {"advanced_event_selector": [
		{"field_selector": array.concat(s3_fields, [{"field": "readOnly", "equals": ["true"]}])},
		{"field_selector": array.concat(s3_fields, [{"field": "readOnly", "equals": ["false"]}])},
	]})
	raw_status == {"PASS"} with input as stk([t])
}

test_advanced_management_only_fails if {
	t := f.res(
		"aws_cloudtrail", "t",
		{"advanced_event_selector": [{"field_selector": [{"field": "eventCategory", "equals": ["Management"]}]}]},
	)
	raw_status == {"FAIL"} with input as stk([t])
}

test_plan_null_operators_ignored if {
	# Plan JSON renders every operator of a field selector, unused ones as null.
	fields := [{"field": "resources.ARN", "starts_with": [prefix], "equals": null, "ends_with": null}]
	raw_status == {"PASS"} with input as stk([advanced(fields)])
}

test_failure_names_the_bucket if {
	results := s3_data_events.results with input as f.stack([raw])
	some r in results
	r.status == "FAIL"
	contains(r.message, "imgsec-dev-raw-")
}
