package imgsec.rules.s3.access_logging_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.access_logging

bucket := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

logs := f.res("aws_s3_bucket", "logs", {"bucket": "logs"})

raw_logging := f.res_refs(
	"aws_s3_bucket_logging", "raw_logging",
	{"bucket": "${aws_s3_bucket.raw.id}", "target_bucket": "${aws_s3_bucket.logs.id}", "target_prefix": "raw/"},
	{"bucket": ["aws_s3_bucket.raw"], "target_bucket": ["aws_s3_bucket.logs"]},
)

test_logged_bucket_passes if {
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([bucket, logs, raw_logging])
}

test_log_target_passes_with_message if {
	inp := f.stack([bucket, logs, raw_logging])
	want := ["server access log target: exempt from logging of its own"]
	[r.message | some r in access_logging.results; r.resource == "aws_s3_bucket.logs"] == want with input as inp
	f.statuses(access_logging.results, "aws_s3_bucket.logs") == {"PASS"} with input as inp
}

test_missing_logging_fails if {
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket, logs])
}

test_logging_into_itself_fails if {
	self := f.res_refs(
		"aws_s3_bucket_logging", "raw_logging",
		{"bucket": "${aws_s3_bucket.raw.id}", "target_bucket": "${aws_s3_bucket.raw.id}"},
		{"bucket": ["aws_s3_bucket.raw"], "target_bucket": ["aws_s3_bucket.raw"]},
	)
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket, self])
}

test_inline_logging_passes if {
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "logging": [{"target_bucket": "logs", "target_prefix": ""}]})
	inp := f.stack([legacy, logs])
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
	f.statuses(access_logging.results, "aws_s3_bucket.logs") == {"PASS"} with input as inp
}

test_inline_logging_without_target_fails if {
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "logging": [{"target_bucket": ""}]})
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([legacy])
}

test_plan_literal_names_pass if {
	literal := f.res("aws_s3_bucket_logging", "raw_logging", {"bucket": "raw", "target_bucket": "logs"})
	inp := f.stack([bucket, logs, literal])
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
	f.statuses(access_logging.results, "aws_s3_bucket.logs") == {"PASS"} with input as inp
}

plan(resources) := object.union(f.stack(resources), {"source": "plan"})

test_unknown_target_bucket if {
	unknown_target := f.res_refs(
		"aws_s3_bucket_logging", "raw_logging",
		{"bucket": "${aws_s3_bucket.raw.id}", "target_bucket": f.unknown},
		{"bucket": ["aws_s3_bucket.raw"]},
	)
	inp := f.stack([bucket, logs, unknown_target])
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"target_bucket is unknown (not a literal) on aws_s3_bucket_logging.raw_logging:",
		" cannot show that the logs go to another bucket",
	])}
	{r.message | some r in access_logging.results; r.resource == "aws_s3_bucket.raw"} == want with input as inp
}

test_unknown_target_bucket_may_make_another_bucket_a_log_target if {
	# logs has no logging of its own: it is exempt if it is the target, and fails if not.
	unknown_target := f.res_refs(
		"aws_s3_bucket_logging", "raw_logging",
		{"bucket": "${aws_s3_bucket.raw.id}", "target_bucket": f.unknown},
		{"bucket": ["aws_s3_bucket.raw"]},
	)
	inp := f.stack([bucket, logs, unknown_target])
	f.statuses(access_logging.results, "aws_s3_bucket.logs") == {"UNKNOWN"} with input as inp
}

test_unknown_target_bucket_reference_to_non_bucket if {
	ssm := f.res_refs(
		"aws_s3_bucket_logging", "raw_logging",
		{"bucket": "${aws_s3_bucket.raw.id}", "target_bucket": "${aws_ssm_parameter.t.value}"},
		{"bucket": ["aws_s3_bucket.raw"], "target_bucket": ["aws_ssm_parameter.t"]},
	)
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([bucket, logs, ssm])
}

test_plan_target_bucket_reference_to_bucket_passes if {
	# Known only after apply in a plan, but it names the log bucket.
	planned := f.res_refs(
		"aws_s3_bucket_logging", "raw_logging",
		{"bucket": "raw", "target_prefix": "raw/"},
		{"target_bucket": ["aws_s3_bucket.logs"]},
	)
	inp := plan([bucket, logs, planned])
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
	f.statuses(access_logging.results, "aws_s3_bucket.logs") == {"PASS"} with input as inp
}

test_unknown_logging_target_bucket if {
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "logging": [{"target_bucket": f.unknown}]})
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([legacy])
}

test_unknown_logging_target_bucket_plan_computed_block if {
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "logging": f.unknown})
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([planned])
}

test_plan_computed_inline_block_with_separate_resource_passes if {
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "logging": f.unknown})
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"PASS"} with input as plan([planned, logs, raw_logging])
}

test_logging_into_itself_fails_whatever_else_is_unknown if {
	self := f.res_refs(
		"aws_s3_bucket_logging", "raw_logging",
		{"bucket": "${aws_s3_bucket.raw.id}", "target_bucket": "${aws_s3_bucket.raw.id}"},
		{"bucket": ["aws_s3_bucket.raw"], "target_bucket": ["aws_s3_bucket.raw"]},
	)
	other := f.res("aws_s3_bucket_logging", "other", {"bucket": "raw", "target_bucket": f.unknown})
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket, self, other])
}

test_inline_logging_into_itself_fails if {
	by_name := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "logging": {"target_bucket": "raw"}})
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([by_name])
	by_reference := f.res_refs(
		"aws_s3_bucket", "raw",
		{"bucket": "raw", "logging": [{"target_bucket": "${aws_s3_bucket.raw.id}"}]},
		{"logging": ["aws_s3_bucket.raw"]},
	)
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([by_reference])
	inp141 := f.stack([by_name])
	{r.message | some r in access_logging.results} == {"logging.target_bucket is the bucket itself"} with input as inp141
}

test_inline_logging_by_reference_makes_a_log_target if {
	legacy := f.res_refs(
		"aws_s3_bucket", "raw",
		{"bucket": "raw", "logging": [{"target_bucket": "${aws_s3_bucket.logs.id}"}]},
		{"logging": ["aws_s3_bucket.logs"]},
	)
	inp := f.stack([legacy, logs])
	f.statuses(access_logging.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
	exempt := ["server access log target: exempt from logging of its own"]
	[r.message | some r in access_logging.results; r.resource == "aws_s3_bucket.logs"] == exempt with input as inp
}
