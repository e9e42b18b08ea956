package imgsec.rules.sns.topic_policy_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.sns.topic_policy

topic := f.res("aws_sns_topic", "t", {"name": "alarms", "kms_master_key_id": "${aws_kms_key.k.arn}"})

# An aws_sns_topic_policy of the topic holding `doc` (the normalizer's parsed document).
policy_of(d) := object.union(
	f.res_refs(
		"aws_sns_topic_policy", "p",
		{"arn": "${aws_sns_topic.t.arn}", "policy": "..."},
		{"arn": ["aws_sns_topic.t"]},
	),
	{"policies": {"policy": d}},
)

stk(d) := f.stack([topic, policy_of(d)])

status := f.statuses(topic_policy.results, "aws_sns_topic.t")

document(statements) := {"Version": "2012-10-17", "Statement": statements}

deny_tls := {
	"Sid": "DenyInsecureTransport",
	"Effect": "Deny",
	"Principal": "*",
	"Action": ["sns:Publish"],
	"Resource": ["${aws_sns_topic.t.arn}"],
	"Condition": {"Bool": {"aws:SecureTransport": "false"}},
}

allow_alarms := {
	"Sid": "AllowCloudWatchAlarmsOfThisAccount",
	"Effect": "Allow",
	"Principal": {"Service": "cloudwatch.amazonaws.com"},
	"Action": ["sns:Publish"],
	"Resource": ["${aws_sns_topic.t.arn}"],
	"Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
}

public := {
	"Sid": "Anyone",
	"Effect": "Allow",
	"Principal": {"AWS": "*"},
	"Action": ["sns:Subscribe"],
	"Resource": ["*"],
}

test_tls_only_policy_passes if {
	status == {"PASS"} with input as stk(document([allow_alarms, deny_tls]))
	status == {"PASS"} with input as stk(document([object.union(deny_tls, {"Action": ["SNS:*"]})]))
}

test_inline_policy_passes if {
	t := f.res_policies("aws_sns_topic", "t", {"name": "alarms", "policy": "..."}, {"policy": document([deny_tls])})
	status == {"PASS"} with input as f.stack([t])
}

test_data_source_policy_passes if {
	source := f.policy_document_source("topic", document([allow_alarms, deny_tls]))
	p := f.res_refs(
		"aws_sns_topic_policy", "p",
		{"arn": "${aws_sns_topic.t.arn}", "policy": f.policy_document_ref("topic")},
		{"arn": ["aws_sns_topic.t"], "policy": ["data.aws_iam_policy_document.topic"]},
	)
	holder := object.union(p, {"policies": {"policy": f.unknown_document}})
	status == {"PASS"} with input as f.stack([topic, source, holder])
}

test_topic_without_policy_fails if {
	status == {"FAIL"} with input as f.stack([topic])
}

test_no_tls_deny_fails if {
	status == {"FAIL"} with input as stk(document([allow_alarms]))
	status == {"FAIL"} with input as stk(document([object.union(deny_tls, {"Action": ["sns:Subscribe"]})]))
	status == {"FAIL"} with input as stk(null)
}

test_public_statement_fails if {
	status == {"FAIL"} with input as stk(document([deny_tls, public]))
	status == {"FAIL"} with input as stk(document([deny_tls, object.remove(public, ["Effect"])]))
	scoped := object.union(public, {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}})
	status == {"PASS"} with input as stk(document([deny_tls, scoped]))
}

test_unknown_policy if {
	status == {"UNKNOWN"} with input as stk(f.unknown_document)
}

test_unknown_policy_effect if {
	status == {"UNKNOWN"} with input as stk(document([object.union(deny_tls, {"Effect": f.unknown})]))
	status == {"UNKNOWN"} with input as stk(document([deny_tls, object.union(public, {"Effect": f.unknown})]))
}

test_unknown_policy_principal if {
	status == {"UNKNOWN"} with input as stk(document([object.union(deny_tls, {"Principal": f.unknown})]))
}

test_unknown_policy_action if {
	status == {"UNKNOWN"} with input as stk(document([object.union(deny_tls, {"Action": [f.unknown]})]))
}

test_unknown_policy_condition if {
	inp95 := stk(document([object.union(deny_tls, {"Condition": {"Bool": {"aws:SecureTransport": f.unknown}}})]))
	status == {"UNKNOWN"} with input as inp95
}

test_unknown_arn if {
	loose := object.union(
		f.res("aws_sns_topic_policy", "p", {"arn": f.unknown, "policy": "..."}),
		{"policies": {"policy": document([deny_tls])}},
	)
	status == {"UNKNOWN"} with input as f.stack([topic, loose])
}
