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
