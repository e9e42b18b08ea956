package imgsec.rules.secretsmanager.kms_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.secretsmanager.kms

stk(values) := f.stack([f.res("aws_secretsmanager_secret", "s", values)])

status := f.statuses(kms.results, "aws_secretsmanager_secret.s")

key := {"kms_key_id": "${aws_kms_key.secrets.arn}"}

test_customer_managed_key_passes if {
	status == {"PASS"} with input as stk(key)
	status == {"PASS"} with input as stk({"kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/abcd"})
	replica := {"replica": [{"region": "us-west-2", "kms_key_id": "alias/imgsec"}]}
	status == {"PASS"} with input as stk(object.union(key, replica))
}

test_plan_key_reference_passes if {
	s := f.res_refs("aws_secretsmanager_secret", "s", {}, {"kms_key_id": ["aws_kms_key.secrets"]})
	status == {"PASS"} with input as f.stack([s])
}

test_default_key_fails if {
	results := kms.results with input as stk({"name": "imgsec/pseudonymization"})
	f.statuses(results, "aws_secretsmanager_secret.s") == {"FAIL"}
	want := "kms_key_id is not set: the secret is encrypted with the AWS managed key alias/aws/secretsmanager"
	{r.message | some r in results} == {want}
}

test_aws_managed_key_fails if {
	status == {"FAIL"} with input as stk({"kms_key_id": "alias/aws/secretsmanager"})
}

test_replica_without_key_fails if {
	results := kms.results with input as stk(object.union(key, {"replica": {"region": "us-west-2"}}))
	f.statuses(results, "aws_secretsmanager_secret.s") == {"FAIL"}
	some r in results
	startswith(r.message, "replica.0.kms_key_id is not set")
}

test_default_key_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk({"replica": [{"region": "us-west-2", "kms_key_id": f.unknown}]})
}

test_unknown_kms_key_id if {
	status == {"UNKNOWN"} with input as stk({"kms_key_id": f.unknown})
	status == {"UNKNOWN"} with input as stk({"kms_key_id": "alias/${?}"})
	want := {"kms_key_id is unknown (not a literal): cannot show that it names a customer managed key"}
	{r.message | some r in kms.results} == want with input as stk({"kms_key_id": f.unknown})
}

test_unknown_replica_kms_key_id if {
	replica := {"replica": [{"region": "us-west-2", "kms_key_id": f.unknown}]}
	status == {"UNKNOWN"} with input as stk(object.union(key, replica))
	status == {"UNKNOWN"} with input as stk(object.union(key, {"replica": f.unknown}))
}
