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

# ---- unknown values

trail_values(values) := f.res("aws_cloudtrail", "t", values)

selector(resource, rw) := {"data_resource": [resource], "read_write_type": rw}

s3_resource(values) := {"type": "AWS::S3::Object", "values": values}

raw_messages contains r.message if {
	some r in s3_data_events.results
	r.resource == "aws_s3_bucket.raw"
}

raw_message(attr) := concat("", [
	attr,
	" is unknown (not a literal): cannot show that CloudTrail records S3 data events (reads and writes) for bucket ",
	name,
])

test_bucket_arn_reference_with_refs_passes if {
	t := f.res_refs(
		"aws_cloudtrail", "t",
		basic(["${aws_s3_bucket.raw.arn}/"], "All").values,
		{"event_selector": ["aws_s3_bucket.raw"]},
	)
	raw_status == {"PASS"} with input as stk([t])
}

test_known_coverage_passes_whatever_else_is_unknown if {
	t2 := f.res("aws_cloudtrail", "t2", {"enable_logging": f.unknown, "event_selector": f.unknown})
	raw_status == {"PASS"} with input as stk([basic([prefix], "All"), t2])
}

test_unknown_enable_logging if {
	t := object.union(basic([prefix], "All"), {"values": {"enable_logging": f.unknown}})
	inp := stk([t])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.enable_logging")} with input as inp
}

test_unknown_enable_logging_plan_reference if {
	t := object.union(basic([prefix], "All"), {"refs": {"enable_logging": ["aws_ssm_parameter.on"]}})
	raw_status == {"UNKNOWN"} with input as stk([t])
}

test_unknown_enable_logging_string_true_passes if {
	t := object.union(basic([prefix], "All"), {"values": {"enable_logging": "true"}})
	raw_status == {"PASS"} with input as stk([t])
}

test_unknown_event_selector if {
	inp := stk([trail_values({"event_selector": f.unknown})])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.event_selector")} with input as inp
}

test_unknown_event_selector_plan_reference if {
	t := f.res_refs("aws_cloudtrail", "t", {"name": "audit"}, {"event_selector": ["aws_s3_bucket.raw"]})
	raw_status == {"UNKNOWN"} with input as stk([t])
}

test_unknown_event_selector_data_resource_entry if {
	t := trail_values({"event_selector": [{"data_resource": [f.unknown], "read_write_type": "All"}]})
	raw_status == {"UNKNOWN"} with input as stk([t])
}

test_unknown_event_selector_read_write_type if {
	inp := stk([basic([prefix], f.unknown)])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.event_selector.read_write_type")} with input as inp
}

test_unknown_event_selector_read_write_type_resource_reference if {
	raw_status == {"UNKNOWN"} with input as stk([basic([prefix], "${aws_ssm_parameter.rw.value}")])
}

test_unknown_event_selector_read_write_type_completes_a_known_half if {
	t2 := object.union(basic([prefix], f.unknown), {"address": "aws_cloudtrail.t2", "config_address": "aws_cloudtrail.t2"})
	raw_status == {"UNKNOWN"} with input as stk([basic([prefix], "ReadOnly"), t2])
}

test_unknown_event_selector_data_resource_type if {
	t := trail_values({"event_selector": [selector({"type": f.unknown, "values": [prefix]}, "All")]})
	inp := stk([t])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.event_selector.data_resource.type")} with input as inp
}

test_unknown_event_selector_data_resource_values if {
	inp := stk([basic([f.unknown], "All")])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.event_selector.data_resource.values")} with input as inp
}

test_unknown_event_selector_data_resource_values_whole_list if {
	t := trail_values({"event_selector": [selector(s3_resource(f.unknown), "All")]})
	raw_status == {"UNKNOWN"} with input as stk([t])
}

test_unknown_event_selector_data_resource_values_partly_literal if {
	raw_status == {"UNKNOWN"} with input as stk([basic(["arn:aws:s3:::imgsec-dev-${?}/"], "All")])
}

test_unknown_event_selector_data_resource_values_plan if {
	# A plan renders a list element known only after apply as null; the block lists the reference.
	t := f.res_refs(
		"aws_cloudtrail", "t",
		{"event_selector": [selector(s3_resource([null]), "All")]},
		{"event_selector": ["aws_s3_bucket.raw"]},
	)
	inp := stk([t])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.event_selector.data_resource.values")} with input as inp
}

test_partly_unknown_value_that_cannot_name_the_bucket_fails if {
	raw_status == {"FAIL"} with input as stk([basic(["arn:aws:s3:::imgsec-prod-${?}/"], "All")])
}

test_unknown_bucket if {
	bucket := f.res("aws_s3_bucket", "raw", {"bucket": concat("", ["imgsec-", f.unknown, "-raw"])})
	inp := f.stack([bucket, basic(["arn:aws:s3:::imgsec-dev-raw/"], "All")])
	raw_status == {"UNKNOWN"} with input as inp
	message := "aws_s3_bucket.raw.bucket is unknown (not a literal): cannot show that CloudTrail records S3 data events"
	some m in raw_messages with input as inp
	startswith(m, message)
}

test_unknown_bucket_with_arn_reference_passes if {
	bucket := f.res("aws_s3_bucket", "raw", {"bucket": f.unknown})
	raw_status == {"PASS"} with input as f.stack([bucket, basic(["${aws_s3_bucket.raw.arn}/"], "All")])
}

test_unknown_bucket_with_known_other_prefix_fails if {
	bucket := f.res("aws_s3_bucket", "raw", {"bucket": concat("", ["imgsec-", f.unknown, "-raw"])})
	raw_status == {"FAIL"} with input as f.stack([bucket, basic(["arn:aws:s3:::audit-logs/"], "All")])
}

test_unknown_advanced_event_selector if {
	inp := stk([trail_values({"advanced_event_selector": f.unknown})])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.advanced_event_selector")} with input as inp
}

test_unknown_advanced_event_selector_field_selector_entry if {
	raw_status == {"UNKNOWN"} with input as stk([advanced([f.unknown])])
}

test_unknown_advanced_event_selector_field_selector_field if {
	inp := stk([advanced([{"field": f.unknown, "equals": ["PutObject"]}])])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.advanced_event_selector.field_selector.field")} with input as inp
}

test_unknown_advanced_event_selector_field_selector_equals if {
	t := f.res("aws_cloudtrail", "t", {"advanced_event_selector": [{"field_selector": [
		{"field": "eventCategory", "equals": [f.unknown]},
		{"field": "resources.type", "equals": ["AWS::S3::Object"]},
	]}]})
	inp := stk([t])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.advanced_event_selector.field_selector.equals")} with input as inp
}

test_unknown_advanced_event_selector_field_selector_equals_read_only if {
	raw_status == {"UNKNOWN"} with input as stk([advanced([{"field": "readOnly", "equals": [f.unknown]}])])
}

test_unknown_advanced_event_selector_field_selector_starts_with if {
	inp := stk([advanced(arn_field("starts_with", [f.unknown]))])
	raw_status == {"UNKNOWN"} with input as inp
	raw_messages == {raw_message("aws_cloudtrail.t.advanced_event_selector.field_selector.starts_with")} with input as inp
}

test_unknown_advanced_event_selector_field_selector_starts_with_partly_literal if {
	raw_status == {"UNKNOWN"} with input as stk([advanced(arn_field("starts_with", ["arn:aws:s3:::imgsec-${?}"]))])
	raw_status == {"FAIL"} with input as stk([advanced(arn_field("starts_with", ["arn:aws:s3:::audit-${?}"]))])
}

test_unknown_advanced_event_selector_field_selector_not_starts_with if {
	inp := stk([advanced(arn_field("not_starts_with", [f.unknown]))])
	raw_status == {"UNKNOWN"} with input as inp
	want := raw_message("aws_cloudtrail.t.advanced_event_selector.field_selector.not_starts_with")
	raw_messages == {want} with input as inp
}

test_unknown_advanced_event_selector_field_selector_not_starts_with_plan if {
	t := object.union(
		advanced([{"field": "resources.ARN", "not_starts_with": [null], "equals": null}]),
		{"refs": {"advanced_event_selector": ["aws_s3_bucket.other"]}},
	)
	raw_status == {"UNKNOWN"} with input as stk([t])
}

test_not_starts_with_that_cannot_overlap_passes_whatever_else_is_unknown if {
	raw_status == {"PASS"} with input as stk([advanced(arn_field("not_starts_with", ["arn:aws:s3:::audit-${?}"]))])
}

test_read_only_fails_whatever_else_is_unknown if {
	t := object.union(basic([prefix], "ReadOnly"), {"values": {"enable_logging": f.unknown}})
	raw_status == {"FAIL"} with input as stk([t])
}

test_other_bucket_only_fails_whatever_else_is_unknown if {
	t := basic(["${aws_s3_bucket.other.arn}/"], f.unknown)
	raw_status == {"FAIL"} with input as stk([object.union(t, {"values": {"enable_logging": f.unknown}})])
}

test_unknown_other_field_operator_still_fails if {
	# An eventName filter records only part of the bucket's events, whatever its values.
	raw_status == {"FAIL"} with input as stk([advanced([{"field": "eventName", "equals": [f.unknown]}])])
}
