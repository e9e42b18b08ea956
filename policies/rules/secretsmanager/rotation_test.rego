package imgsec.rules.secretsmanager.rotation_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.secretsmanager.rotation

secret(values) := f.res("aws_secretsmanager_secret", "s", object.union({"kms_key_id": "${aws_kms_key.k.arn}"}, values))

rotation_of(rules) := f.res_refs(
	"aws_secretsmanager_secret_rotation", "r",
	{
		"secret_id": "${aws_secretsmanager_secret.s.id}",
		"rotation_lambda_arn": "${aws_lambda_function.rotate.arn}",
		"rotation_rules": rules,
	},
	{"secret_id": ["aws_secretsmanager_secret.s"], "rotation_lambda_arn": ["aws_lambda_function.rotate"]},
)

status := f.statuses(rotation.results, "aws_secretsmanager_secret.s")

messages contains r.message if some r in rotation.results

exempt := {"tags": {"imgsec:rotation-exempt": "pseudonyms must stay stable across studies"}}

test_rotation_scheduled_passes if {
	status == {"PASS"} with input as f.stack([secret({}), rotation_of({"automatically_after_days": 90})])
	status == {"PASS"} with input as f.stack([secret({}), rotation_of([{"automatically_after_days": "30"}])])
	status == {"PASS"} with input as f.stack([secret({}), rotation_of({"schedule_expression": "rate(30 days)"})])
	messages == {"rotation is scheduled by aws_secretsmanager_secret_rotation.r"} with input as f.stack([
		secret({}),
		rotation_of({"automatically_after_days": 90}),
	])
}

test_literal_secret_id_passes if {
	# A plan names the secret by its ARN.
	s := f.res("aws_secretsmanager_secret", "s", {"arn": "arn:aws:secretsmanager:us-east-1:1:secret:x", "name": "x"})
	r := f.res("aws_secretsmanager_secret_rotation", "r", {
		"secret_id": "arn:aws:secretsmanager:us-east-1:1:secret:x",
		"rotation_rules": [{"automatically_after_days": 30}],
	})
	status == {"PASS"} with input as f.stack([s, r])
}

test_no_rotation_fails if {
	status == {"FAIL"} with input as f.stack([secret({})])
	some m in messages with input as f.stack([secret({})])
	startswith(m, "no aws_secretsmanager_secret_rotation: the secret never rotates")
}

test_exemption_without_reason_fails if {
	inp := f.stack([secret({"tags": {"imgsec:rotation-exempt": " "}})])
	status == {"FAIL"} with input as inp
	some m in messages with input as inp
	contains(m, "gives no reason")
}

test_rotation_without_schedule_fails if {
	status == {"FAIL"} with input as f.stack([secret({}), rotation_of({"automatically_after_days": 0})])
	status == {"FAIL"} with input as f.stack([secret({}), rotation_of({"duration": "2h"})])
}

test_rotation_of_another_secret_fails if {
	other := f.res("aws_secretsmanager_secret", "other", {})
	r := f.res_refs(
		"aws_secretsmanager_secret_rotation", "r",
		{"secret_id": "${aws_secretsmanager_secret.other.id}", "rotation_rules": {"automatically_after_days": 30}},
		{"secret_id": ["aws_secretsmanager_secret.other"]},
	)
	status == {"FAIL"} with input as f.stack([secret({}), other, r])
}

test_exempt_secret_has_no_result if {
	# IMGSEC-SM-003 reports it as a WARN, with the reason.
	count(rotation.results) == 0 with input as f.stack([secret(exempt)])
}

test_unknown_secret_id if {
	values := {"secret_id": f.unknown, "rotation_rules": {"automatically_after_days": 30}}
	r := f.res("aws_secretsmanager_secret_rotation", "r", values)
	status == {"UNKNOWN"} with input as f.stack([secret({}), r])
	want := concat("", [
		"secret_id is unknown (not a literal) on aws_secretsmanager_secret_rotation.r: ",
		"cannot show whether it rotates this secret",
	])
	messages == {want} with input as f.stack([secret({}), r])

	# A reference to something that is not a secret (an SSM parameter's value) is unknown too.
	p := f.res_refs(
		"aws_secretsmanager_secret_rotation", "r",
		{"secret_id": "${aws_ssm_parameter.p.value}", "rotation_rules": {"automatically_after_days": 30}},
		{"secret_id": ["aws_ssm_parameter.p"]},
	)
	status == {"UNKNOWN"} with input as f.stack([secret({}), p])
}

test_unknown_rotation_rules if {
	status == {"UNKNOWN"} with input as f.stack([secret({}), rotation_of(f.unknown)])
	plan := f.res_refs(
		"aws_secretsmanager_secret_rotation", "r",
		{"secret_id": "${aws_secretsmanager_secret.s.id}"},
		{"secret_id": ["aws_secretsmanager_secret.s"], "rotation_rules": ["aws_ssm_parameter.days"]},
	)
	status == {"UNKNOWN"} with input as f.stack([secret({}), plan])
}

test_unknown_rotation_rules_automatically_after_days if {
	inp := f.stack([secret({}), rotation_of({"automatically_after_days": f.unknown})])
	status == {"UNKNOWN"} with input as inp
	want := concat("", [
		"rotation_rules is unknown (not a literal) on aws_secretsmanager_secret_rotation.r: ",
		"cannot show that it schedules rotation",
	])
	messages == {want} with input as inp
}

test_unknown_rotation_rules_schedule_expression if {
	status == {"UNKNOWN"} with input as f.stack([secret({}), rotation_of({"schedule_expression": f.unknown})])
}

test_unknown_tags_imgsec_rotation_exempt if {
	status == {"UNKNOWN"} with input as f.stack([secret({"tags": {"imgsec:rotation-exempt": f.unknown}})])
	status == {"UNKNOWN"} with input as f.stack([secret({"tags": f.unknown})])
}

test_scheduled_rotation_passes_whatever_else_is_unknown if {
	r := f.res("aws_secretsmanager_secret_rotation", "other", {"secret_id": f.unknown})
	inp := f.stack([secret({"tags": f.unknown}), rotation_of({"automatically_after_days": 90}), r])
	status == {"PASS"} with input as inp
}
