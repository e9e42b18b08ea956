package imgsec.rules.cloudtrail.logging_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.cloudtrail.logging

trail(values) := f.res("aws_cloudtrail", "t", object.union({"name": "audit", "s3_bucket_name": "audit"}, values))

stk(values) := f.stack([trail(values)])

status := f.statuses(logging.results, "aws_cloudtrail.t")

messages contains r.message if some r in logging.results

data_events := {"type": "AWS::S3::Object", "values": ["arn:aws:s3:::raw/"]}

management := {"field": "eventCategory", "equals": ["Management"]}

read_management := {"field_selector": [management, {"field": "readOnly", "equals": ["true"]}]}

write_management := {"field_selector": [management, {"field": "readOnly", "equals": ["false"]}]}

test_default_trail_passes if {
	status == {"PASS"} with input as stk({})
	status == {"PASS"} with input as stk({"enable_logging": true, "event_selector": [], "advanced_event_selector": []})
}

test_basic_selectors_pass if {
	inp21 := stk({"event_selector": [{
		"read_write_type": "All",
		"include_management_events": true,
		"data_resource": [data_events],
	}]})
	status == {"PASS"} with input as inp21
	status == {"PASS"} with input as stk({"event_selector": {"data_resource": data_events}})
	inp23 := stk({"event_selector": [{"read_write_type": "ReadOnly"}, {"read_write_type": "WriteOnly"}]})
	status == {"PASS"} with input as inp23
}

test_advanced_selectors_pass if {
	management := {"field_selector": [{"field": "eventCategory", "equals": ["Management"]}]}
	status == {"PASS"} with input as stk({"advanced_event_selector": [management]})
	status == {"PASS"} with input as stk({"advanced_event_selector": [read_management, write_management]})
}

test_stopped_trail_fails if {
	status == {"FAIL"} with input as stk({"enable_logging": false})
	status == {"FAIL"} with input as stk({"enable_logging": "false"})
	messages == {"enable_logging is false: the trail records nothing"} with input as stk({"enable_logging": false})
}

test_management_events_excluded_fails if {
	inp41 := stk({"event_selector": [{"include_management_events": false, "data_resource": [data_events]}]})
	status == {"FAIL"} with input as inp41
	inp42 := stk({"event_selector": [{"include_management_events": false}]})
	messages == {"the trail's selectors do not record all management events"} with input as inp42
	status == {"FAIL"} with input as stk({"event_selector": [{"exclude_management_event_sources": ["kms.amazonaws.com"]}]})
}

test_read_or_write_only_fails if {
	status == {"FAIL"} with input as stk({"event_selector": [{"read_write_type": "WriteOnly"}]})
	inp48 := stk({"event_selector": [{"read_write_type": "WriteOnly"}]})
	messages == {"the trail's selectors do not record read management events"} with input as inp48
	inp50 := stk({"advanced_event_selector": [read_management]})
	messages == {"the trail's selectors do not record write management events"} with input as inp50
}

test_advanced_selectors_without_management_fail if {
	data_only := {"field_selector": [
		{"field": "eventCategory", "equals": ["Data"]},
		{"field": "resources.type", "equals": ["AWS::S3::Object"]},
	]}
	status == {"FAIL"} with input as stk({"advanced_event_selector": [data_only]})
	partial := {"field_selector": [
		{"field": "eventCategory", "equals": ["Management"]},
		{"field": "eventSource", "not_equals": ["kms.amazonaws.com"]},
	]}
	status == {"FAIL"} with input as stk({"advanced_event_selector": [partial]})
}

test_unknown_enable_logging if {
	status == {"UNKNOWN"} with input as stk({"enable_logging": f.unknown})
	inp65 := stk({"enable_logging": f.unknown, "event_selector": [{"include_management_events": false}]})
	status == {"FAIL"} with input as inp65
}

test_unknown_event_selector if {
	status == {"UNKNOWN"} with input as stk({"event_selector": f.unknown})
	status == {"UNKNOWN"} with input as stk({"event_selector": [f.unknown]})
	planned := f.res_refs("aws_cloudtrail", "t", {"name": "audit"}, {"event_selector": ["aws_s3_bucket.raw"]})
	f.statuses(logging.results, "aws_cloudtrail.t") == {"UNKNOWN"} with input as f.stack([planned])
}

test_unknown_event_selector_include_management_events if {
	status == {"UNKNOWN"} with input as stk({"event_selector": [{"include_management_events": f.unknown}]})
}

test_unknown_event_selector_read_write_type if {
	status == {"UNKNOWN"} with input as stk({"event_selector": [{"read_write_type": f.unknown}]})
	status == {"UNKNOWN"} with input as stk({"event_selector": [{"read_write_type": "${aws_ssm_parameter.p.value}"}]})
}

test_unknown_event_selector_exclude_management_event_sources if {
	status == {"UNKNOWN"} with input as stk({"event_selector": [{"exclude_management_event_sources": f.unknown}]})
	status == {"UNKNOWN"} with input as stk({"event_selector": [{"exclude_management_event_sources": [f.unknown]}]})
}

test_unknown_advanced_event_selector if {
	status == {"UNKNOWN"} with input as stk({"advanced_event_selector": f.unknown})
}

test_unknown_advanced_event_selector_field_selector_field if {
	fields := [{"field": f.unknown, "equals": ["Management"]}]
	status == {"UNKNOWN"} with input as stk({"advanced_event_selector": [{"field_selector": fields}]})
}

test_unknown_advanced_event_selector_field_selector_equals if {
	fields := [{"field": "eventCategory", "equals": f.unknown}]
	status == {"UNKNOWN"} with input as stk({"advanced_event_selector": [{"field_selector": fields}]})
	read := [{"field": "eventCategory", "equals": ["Management"]}, {"field": "readOnly", "equals": [f.unknown]}]
	status == {"UNKNOWN"} with input as stk({"advanced_event_selector": [{"field_selector": read}]})
}
