package imgsec.rules.sqs.queue_policy_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.sqs.queue_policy

queue := f.res("aws_sqs_queue", "q", {"name": "dlq", "kms_master_key_id": "${aws_kms_key.k.arn}"})

# An aws_sqs_queue_policy of the queue holding `doc` (the normalizer's parsed document).
policy_of(d) := object.union(
	f.res_refs(
		"aws_sqs_queue_policy", "p",
		{"queue_url": "${aws_sqs_queue.q.id}", "policy": "..."},
		{"queue_url": ["aws_sqs_queue.q"]},
	),
	{"policies": {"policy": d}},
)

stk(d) := f.stack([queue, policy_of(d)])

status := f.statuses(queue_policy.results, "aws_sqs_queue.q")

document(statements) := {"Version": "2012-10-17", "Statement": statements}

deny_tls := {
	"Sid": "DenyInsecureTransport",
	"Effect": "Deny",
	"Principal": "*",
	"Action": ["sqs:*"],
	"Resource": ["${aws_sqs_queue.q.arn}"],
	"Condition": {"Bool": {"aws:SecureTransport": "false"}},
}

allow_events := {
	"Sid": "EventBridgeDeadLetters",
	"Effect": "Allow",
	"Principal": {"Service": "events.amazonaws.com"},
	"Action": ["sqs:SendMessage"],
	"Resource": ["${aws_sqs_queue.q.arn}"],
	"Condition": {"ArnEquals": {"aws:SourceArn": "${aws_cloudwatch_event_rule.r.arn}"}},
}

public := {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": ["sqs:SendMessage"], "Resource": ["*"]}

test_tls_only_policy_passes if {
	status == {"PASS"} with input as stk(document([deny_tls, allow_events]))
	status == {"PASS"} with input as stk(document([object.union(deny_tls, {"Action": ["*"], "Principal": {"AWS": "*"}})]))
	if_exists := {"Condition": {"BoolIfExists": {"aws:SecureTransport": false}}}
	status == {"PASS"} with input as stk(document([object.union(deny_tls, if_exists)]))
}

test_inline_policy_passes if {
	q := f.res_policies("aws_sqs_queue", "q", {"name": "dlq", "policy": "..."}, {"policy": document([deny_tls])})
	status == {"PASS"} with input as f.stack([q])
}

test_scoped_principal_star_passes if {
	scoped := object.union(public, {"Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}})
	status == {"PASS"} with input as stk(document([deny_tls, scoped]))
}

test_no_policy_fails if {
	status == {"FAIL"} with input as f.stack([queue])
	want := {"no queue policy (aws_sqs_queue_policy): requests without TLS are not denied"}
	{r.message | some r in queue_policy.results} == want with input as f.stack([queue])
}

test_no_tls_deny_fails if {
	status == {"FAIL"} with input as stk(document([allow_events]))
	status == {"FAIL"} with input as stk(document([object.union(deny_tls, {"Action": ["sqs:SendMessage"]})]))
	named_allow := {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}}
	status == {"FAIL"} with input as stk(document([object.union(deny_tls, named_allow)]))
	tls_true := {"Condition": {"Bool": {"aws:SecureTransport": "true"}}}
	status == {"FAIL"} with input as stk(document([object.union(deny_tls, tls_true)]))
}

test_public_statement_fails if {
	results := queue_policy.results with input as stk(document([deny_tls, public]))
	f.statuses(results, "aws_sqs_queue.q") == {"FAIL"}
	want := "policy statement \"Anyone\" on aws_sqs_queue_policy.p allows principal * without a restricting Condition"
	{r.message | some r in results} == {want}
}

test_not_json_fails if {
	status == {"FAIL"} with input as stk(null)
}

test_public_statement_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk(document([object.union(deny_tls, {"Effect": f.unknown}), public]))
}

test_unknown_policy if {
	results := queue_policy.results with input as stk(f.unknown_document)
	f.statuses(results, "aws_sqs_queue.q") == {"UNKNOWN"}
	{r.message | some r in results} == {concat("", [
		"policy is unknown (not a literal document) on aws_sqs_queue_policy.p",
		": cannot show that it denies requests without TLS and is not public",
	])}
}

test_unknown_policy_inline_plan_reference if {
	q := f.res_refs("aws_sqs_queue", "q", {"name": "dlq"}, {"policy": ["data.aws_iam_policy_document.d"]})
	q_doc := object.union(q, {"policies": {"policy": f.unknown_document}})
	status == {"UNKNOWN"} with input as f.stack([q_doc])
}

test_unknown_policy_effect if {
	status == {"UNKNOWN"} with input as stk(document([object.union(deny_tls, {"Effect": f.unknown})]))
	results := queue_policy.results with input as stk(document([object.union(deny_tls, {"Effect": f.unknown})]))
	some r in results
	startswith(r.message, "policy.Effect is unknown (not a literal) on aws_sqs_queue_policy.p")
}

test_unknown_policy_principal if {
	status == {"UNKNOWN"} with input as stk(document([object.union(deny_tls, {"Principal": f.unknown})]))

	# An Allow whose principal could be "*".
	status == {"UNKNOWN"} with input as stk(document([deny_tls, object.union(public, {"Principal": {"AWS": f.unknown}})]))
}

test_unknown_policy_action if {
	status == {"UNKNOWN"} with input as stk(document([object.union(deny_tls, {"Action": ["sqs:${?}"]})]))
}

test_unknown_policy_condition if {
	status == {"UNKNOWN"} with input as stk(document([object.union(deny_tls, {"Condition": f.unknown})]))
	tls_unknown := {"Condition": {"Bool": {"aws:SecureTransport": f.unknown}}}
	status == {"UNKNOWN"} with input as stk(document([object.union(deny_tls, tls_unknown)]))

	# A public Allow whose restricting value is unknown could be "*".
	scoped := object.union(public, {"Condition": {"StringEquals": {"aws:SourceAccount": f.unknown}}})
	status == {"UNKNOWN"} with input as stk(document([deny_tls, scoped]))
}

test_unknown_queue_url if {
	# A queue policy for some queue the gate cannot name may be this one's.
	p := f.res_policies(
		"aws_sqs_queue_policy", "p",
		{"queue_url": f.unknown, "policy": "..."},
		{"policy": document([deny_tls])},
	)
	results := queue_policy.results with input as f.stack([queue, p])
	f.statuses(results, "aws_sqs_queue.q") == {"UNKNOWN"}
	some r in results
	startswith(r.message, "queue_url is unknown (not a literal) on aws_sqs_queue_policy.p")
}

test_literal_queue_url_of_another_queue_fails if {
	p := f.res_policies(
		"aws_sqs_queue_policy", "p",
		{"queue_url": "https://sqs.us-east-1.amazonaws.com/1/other", "policy": "..."},
		{"policy": document([deny_tls])},
	)
	status == {"FAIL"} with input as f.stack([queue, p])
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	status == {"FAIL"} with input as stk(document([deny_tls, object.remove(public, ["Effect"])]))
}
