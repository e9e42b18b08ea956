package imgsec.rules.secretsmanager.rotation_exempt_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.secretsmanager.rotation_exempt

secret(values) := f.res("aws_secretsmanager_secret", "s", values)

rotation := f.res_refs(
	"aws_secretsmanager_secret_rotation", "r",
	{"secret_id": "${aws_secretsmanager_secret.s.id}", "rotation_rules": {"automatically_after_days": 90}},
	{"secret_id": ["aws_secretsmanager_secret.s"]},
)

status := f.statuses(rotation_exempt.results, "aws_secretsmanager_secret.s")

exempt := {"tags": {"imgsec:rotation-exempt": "pseudonyms must stay stable across studies"}}

test_not_exempt_passes if {
	status == {"PASS"} with input as f.stack([secret({})])
	status == {"PASS"} with input as f.stack([secret({"tags": {"team": "imaging"}})])
}

test_exempt_but_rotating_passes if {
	status == {"PASS"} with input as f.stack([secret(exempt), rotation])
}

test_exempt_fails_as_a_warning_with_its_reason if {
	results := rotation_exempt.results with input as f.stack([secret(exempt)])
	f.statuses(results, "aws_secretsmanager_secret.s") == {"FAIL"}
	want := "exempt from rotation (tag imgsec:rotation-exempt): pseudonyms must stay stable across studies"
	{r.message | some r in results} == {want}
}

test_plan_tags_all_exempt_fails if {
	status == {"FAIL"} with input as f.stack([secret({"tags_all": exempt.tags})])
}

test_unknown_tags_imgsec_rotation_exempt if {
	status == {"UNKNOWN"} with input as f.stack([secret({"tags": {"imgsec:rotation-exempt": f.unknown}})])
	status == {"UNKNOWN"} with input as f.stack([secret({"tags": f.unknown})])
	status == {"PASS"} with input as f.stack([secret({"tags": f.unknown}), rotation])
}
