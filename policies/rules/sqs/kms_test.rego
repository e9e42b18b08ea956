package imgsec.rules.sqs.kms_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.sqs.kms

stk(values) := f.stack([f.res("aws_sqs_queue", "q", values)])

status := f.statuses(kms.results, "aws_sqs_queue.q")

# A data source as the normalizer writes it.
data_source(type, name, values) := object.union(f.res(type, name, values), {
	"address": concat(".", ["data", type, name]),
	"config_address": concat(".", ["data", type, name]),
	"mode": "data",
})

test_customer_managed_key_passes if {
	status == {"PASS"} with input as stk({"kms_master_key_id": "${aws_kms_key.phi.arn}"})
	status == {"PASS"} with input as stk({"kms_master_key_id": "${aws_kms_alias.phi.arn}"})
	status == {"PASS"} with input as stk({"kms_master_key_id": "alias/imgsec-phi"})
	status == {"PASS"} with input as stk({"kms_master_key_id": "arn:aws:kms:us-east-1:111122223333:key/abcd"})
}

test_partly_unknown_key_arn_passes if {
	status == {"PASS"} with input as stk({"kms_master_key_id": "arn:aws:kms:${?}:${?}:key/${?}"})
	status == {"PASS"} with input as stk({"kms_master_key_id": "alias/imgsec-${?}"})
}

test_plan_key_reference_passes if {
	q := f.res_refs("aws_sqs_queue", "q", {}, {"kms_master_key_id": ["aws_kms_key.phi"]})
	status == {"PASS"} with input as f.stack([q])
}

test_data_source_customer_key_passes if {
	q := f.res_refs(
		"aws_sqs_queue", "q",
		{"kms_master_key_id": "${data.aws_kms_alias.phi.target_key_arn}"},
		{"kms_master_key_id": ["data.aws_kms_alias.phi"]},
	)
	alias := data_source("aws_kms_alias", "phi", {"name": "alias/imgsec-phi"})
	status == {"PASS"} with input as f.stack([q, alias])
}

test_sqs_managed_encryption_fails if {
	status == {"FAIL"} with input as stk({"sqs_managed_sse_enabled": true})
	status == {"FAIL"} with input as stk({})
	status == {"FAIL"} with input as stk({"kms_master_key_id": ""})
	results := kms.results with input as stk({"sqs_managed_sse_enabled": false})
	want := "kms_master_key_id is not set and sqs_managed_sse_enabled is false: messages are not encrypted"
	{r.message | some r in results} == {want}
}

test_aws_managed_key_fails if {
	status == {"FAIL"} with input as stk({"kms_master_key_id": "alias/aws/sqs"})
	status == {"FAIL"} with input as stk({"kms_master_key_id": "arn:aws:kms:us-east-1:111122223333:alias/aws/sqs"})
	status == {"FAIL"} with input as stk({"kms_master_key_id": "arn:${?}:kms:${?}:${?}:alias/aws/sqs"})
}

test_data_source_aws_managed_key_fails if {
	q := f.res_refs(
		"aws_sqs_queue", "q",
		{"kms_master_key_id": "${data.aws_kms_key.sqs.arn}"},
		{"kms_master_key_id": ["data.aws_kms_key.sqs"]},
	)
	key := data_source("aws_kms_key", "sqs", {"key_id": "alias/aws/sqs"})
	status == {"FAIL"} with input as f.stack([q, key])
}

test_unknown_kms_master_key_id if {
	status == {"UNKNOWN"} with input as stk({"kms_master_key_id": f.unknown})
	want := {"kms_master_key_id is unknown (not a literal): cannot show that it names a customer managed key"}
	{r.message | some r in kms.results} == want with input as stk({"kms_master_key_id": f.unknown})

	# Could be alias/aws/sqs once known.
	status == {"UNKNOWN"} with input as stk({"kms_master_key_id": "alias/${?}"})
	status == {"UNKNOWN"} with input as stk({"kms_master_key_id": "arn:aws:kms:us-east-1:123456789012:alias/${?}"})
	status == {"UNKNOWN"} with input as stk({"kms_master_key_id": "arn:aws:kms:${?}"})
}

test_unknown_kms_master_key_id_other_resource_reference if {
	q := f.res_refs(
		"aws_sqs_queue", "q",
		{"kms_master_key_id": "${aws_ssm_parameter.key.value}"},
		{"kms_master_key_id": ["aws_ssm_parameter.key"]},
	)
	status == {"UNKNOWN"} with input as f.stack([q])
	plan := f.res_refs("aws_sqs_queue", "q", {}, {"kms_master_key_id": ["aws_ssm_parameter.key"]})
	status == {"UNKNOWN"} with input as f.stack([plan])
}

test_unknown_kms_master_key_id_data_source if {
	# A data source whose name is itself unknown could look up alias/aws/sqs.
	q := f.res_refs(
		"aws_sqs_queue", "q",
		{"kms_master_key_id": "${data.aws_kms_alias.a.target_key_arn}"},
		{"kms_master_key_id": ["data.aws_kms_alias.a"]},
	)
	status == {"UNKNOWN"} with input as f.stack([q, data_source("aws_kms_alias", "a", {"name": f.unknown})])
}
