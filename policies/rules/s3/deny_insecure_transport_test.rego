package imgsec.rules.s3.deny_insecure_transport_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.deny_insecure_transport

bucket := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

deny_http := {
	"Sid": "DenyInsecureTransport",
	"Effect": "Deny",
	"Principal": "*",
	"Action": ["s3:*"],
	"Resource": ["arn:aws:s3:::raw", "arn:aws:s3:::raw/*"],
	"Condition": {"Bool": {"aws:SecureTransport": "false"}},
}

policy_of(statements) := object.union(
	f.res_refs(
		"aws_s3_bucket_policy", "raw_policy",
		{"bucket": "${aws_s3_bucket.raw.id}", "policy": "{}"},
		{"bucket": ["aws_s3_bucket.raw"]},
	),
	{"policies": {"policy": {"Version": "2012-10-17", "Statement": statements}}},
)

test_deny_statement_passes if {
	inp := f.stack([bucket, policy_of([deny_http])])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_boolean_false_and_principal_aws_star_pass if {
	st := object.union(deny_http, {
		"Principal": {"AWS": ["*"]},
		"Action": ["*"],
		"Condition": {"Bool": {"aws:SecureTransport": false}},
	})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_no_deny_statement_fails if {
	inp := f.stack([bucket, policy_of([])])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_deny_of_some_actions_only_fails if {
	inp := f.stack([bucket, policy_of([object.union(deny_http, {"Action": ["s3:GetObject"]})])])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_deny_for_named_principal_fails if {
	st := object.union(deny_http, {"Principal": {"AWS": "arn:aws:iam::111122223333:root"}})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_deny_on_bucket_arn_only_fails if {
	inp := f.stack([bucket, policy_of([object.union(deny_http, {"Resource": ["arn:aws:s3:::raw"]})])])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_allow_instead_of_deny_fails if {
	inp := f.stack([bucket, policy_of([object.union(deny_http, {"Effect": "Allow"})])])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_unparseable_policy_fails if {
	broken := object.union(policy_of([]), {"policies": {"policy": null}})
	inp := f.stack([bucket, broken])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_plan_unknown_policy_fails if {
	# Unknown until apply: the plan leaves the value (and so the parsed document) out.
	unknown := f.res_refs("aws_s3_bucket_policy", "raw_policy", {"bucket": "raw"}, {"policy": ["aws_s3_bucket.raw"]})
	inp := f.stack([bucket, unknown])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_missing_policy_fails if {
	inp := f.stack([bucket])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_inline_legacy_policy_passes if {
	document := {"policy": {"Statement": [deny_http]}}
	legacy := f.res_policies("aws_s3_bucket", "raw", {"bucket": "raw", "policy": "{}"}, document)
	inp := f.stack([legacy])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_plan_literal_bucket_name_passes if {
	document := {"policy": {"Statement": [deny_http]}}
	literal := f.res_policies("aws_s3_bucket_policy", "raw_policy", {"bucket": "raw", "policy": "{}"}, document)
	inp := f.stack([bucket, literal])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

with_statement(st) := f.stack([bucket, policy_of([st])])

test_unknown_policy if {
	unknown := object.union(policy_of([]), {
		"values": {"policy": f.unknown},
		"policies": {"policy": {"unknown": true, "Statement": []}},
	})
	inp := f.stack([bucket, unknown])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"policy is unknown (not a literal document) on aws_s3_bucket_policy.raw_policy:",
		" cannot show that plain HTTP is denied",
	])}
	{r.message | some r in deny_insecure_transport.results} == want with input as inp
}

test_unknown_policy_inline if {
	legacy := f.res_policies(
		"aws_s3_bucket", "raw",
		{"bucket": "raw", "policy": f.unknown},
		{"policy": {"unknown": true, "Statement": []}},
	)
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([legacy])
}

test_unknown_policy_effect if {
	inp := with_statement(object.union(deny_http, {"Effect": f.unknown}))
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"policy.Effect is unknown (not a literal) on aws_s3_bucket_policy.raw_policy: cannot show that a statement",
		" denies s3:* to principal * when aws:SecureTransport is false",
	])}
	{r.message | some r in deny_insecure_transport.results} == want with input as inp
}

test_unknown_policy_principal if {
	inp := with_statement(object.union(deny_http, {"Principal": {"AWS": f.unknown}}))
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_policy_action if {
	inp := with_statement(object.union(deny_http, {"Action": [f.unknown]}))
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_policy_resource if {
	inp := with_statement(object.union(deny_http, {"Resource": ["arn:aws:s3:::${?}"]}))
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_policy_condition if {
	inp := with_statement(object.union(deny_http, {"Condition": {"Bool": {"aws:SecureTransport": f.unknown}}}))
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_policy_condition_whole if {
	inp := with_statement(object.union(object.remove(deny_http, ["Condition"]), {"Condition": f.unknown}))
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_partly_unknown_resource_still_passes if {
	# Every object of some bucket: the rule asks only that the Resource covers objects.
	st := object.union(deny_http, {"Resource": ["arn:${?}:s3:::${?}", "arn:${?}:s3:::${?}/*"]})
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"PASS"} with input as with_statement(st)
}

test_partly_unknown_action_that_cannot_be_s3_star_fails if {
	inp := with_statement(object.union(deny_http, {"Action": ["s3:Get${?}"]}))
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_known_deny_passes_whatever_else_is_unknown if {
	other := {"Effect": f.unknown, "Principal": {"AWS": f.unknown}, "Action": ["s3:GetObject"], "Resource": ["*"]}
	inp := f.stack([bucket, policy_of([other, deny_http])])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_missing_deny_fails_whatever_else_is_unknown if {
	# One policy has no Deny at all: another, unknown policy cannot hide that.
	unknown := object.union(policy_of([]), {
		"address": "aws_s3_bucket_policy.second",
		"policies": {"policy": {"unknown": true, "Statement": []}},
	})
	inp := f.stack([bucket, policy_of([]), unknown])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_policy_from_data_source_passes if {
	source := f.policy_document_source("raw", {"Statement": [deny_http]})
	p := f.res_refs(
		"aws_s3_bucket_policy", "raw_policy",
		{"bucket": "${aws_s3_bucket.raw.id}", "policy": f.policy_document_ref("raw")},
		{"bucket": ["aws_s3_bucket.raw"], "policy": ["data.aws_iam_policy_document.raw"]},
	)
	holder := object.union(p, {"policies": {"policy": f.unknown_document}})
	inp193 := f.stack([bucket, source, holder])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp193
}

test_deny_without_effect_fails if {
	# A statement without an Effect is an Allow for our checks, never the Deny.
	inp := f.stack([bucket, policy_of([object.remove(deny_http, ["Effect"])])])
	f.statuses(deny_insecure_transport.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}
