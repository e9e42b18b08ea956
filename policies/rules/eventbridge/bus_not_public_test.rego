package imgsec.rules.eventbridge.bus_not_public_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.eventbridge.bus_not_public

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

stk(d) := f.stack([f.res_policies(
	"aws_cloudwatch_event_bus_policy", "p",
	{"event_bus_name": "${aws_cloudwatch_event_bus.pipeline.name}", "policy": "..."},
	{"policy": d},
)])

status := f.statuses(bus_not_public.results, "aws_cloudwatch_event_bus_policy.p")

permission(values) := f.stack([f.res(
	"aws_cloudwatch_event_permission", "e",
	object.union({"statement_id": "Partners", "event_bus_name": "imgsec"}, values),
)])

permission_status := f.statuses(bus_not_public.results, "aws_cloudwatch_event_permission.e")

put := {
	"Sid": "PutEvents",
	"Effect": "Allow",
	"Principal": "*",
	"Action": ["events:PutEvents"],
	"Resource": ["${aws_cloudwatch_event_bus.pipeline.arn}"],
}

org := {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}

test_named_or_scoped_principals_pass if {
	named := object.union(put, {"Principal": {"AWS": "arn:aws:iam::111122223333:root"}})
	status == {"PASS"} with input as stk(doc([named]))
	status == {"PASS"} with input as stk(doc([object.union(put, org)]))
}

test_public_statement_fails if {
	status == {"FAIL"} with input as stk(doc([put]))
	msgs := {r.message | some r in bus_not_public.results} with input as stk(doc([put]))
	msgs == {"policy statement \"PutEvents\" allows principal * without a restricting Condition"}
	wildcard_org := {"Condition": {"StringLike": {"aws:PrincipalOrgID": "*"}}}
	status == {"FAIL"} with input as stk(doc([object.union(put, wildcard_org)]))
}

test_not_json_fails if {
	status == {"FAIL"} with input as stk(null)
}

test_unknown_policy if {
	status == {"UNKNOWN"} with input as stk(f.unknown_document)
}

test_unknown_policy_effect if {
	status == {"UNKNOWN"} with input as stk(doc([object.union(put, {"Effect": f.unknown, "Principal": "*"})]))
}

test_unknown_policy_principal if {
	status == {"UNKNOWN"} with input as stk(doc([object.union(put, {"Principal": {"AWS": f.unknown}})]))
}

test_unknown_policy_condition if {
	scoped := object.union(put, {"Condition": {"StringEquals": {"aws:PrincipalOrgID": f.unknown}}})
	status == {"UNKNOWN"} with input as stk(doc([scoped]))
}

test_permission_named_account_passes if {
	permission_status == {"PASS"} with input as permission({"principal": "111122223333"})
	permission_status == {"PASS"} with input as permission({"principal": "${data.aws_caller_identity.c.account_id}"})
}

test_permission_everyone_with_condition_passes if {
	condition := {"key": "aws:PrincipalOrgID", "type": "StringEquals", "value": "o-abc123"}
	permission_status == {"PASS"} with input as permission({"principal": "*", "condition": condition})
}

test_permission_everyone_fails if {
	permission_status == {"FAIL"} with input as permission({"principal": "*"})
}

test_unknown_principal if {
	permission_status == {"UNKNOWN"} with input as permission({"principal": f.unknown})
	permission_status == {"UNKNOWN"} with input as permission({"principal": "${aws_ssm_parameter.p.value}"})
}

test_unknown_condition_value if {
	condition := {"key": "aws:PrincipalOrgID", "type": "StringEquals", "value": f.unknown}
	permission_status == {"UNKNOWN"} with input as permission({"principal": "*", "condition": condition})
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	status == {"FAIL"} with input as stk(doc([object.remove(put, ["Effect"])]))
}
