package imgsec.rules.sfn.encryption_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.sfn.encryption

stk(config) := f.stack([f.res("aws_sfn_state_machine", "sm", {"encryption_configuration": config})])

machine_refs(values, refs) := f.res_refs("aws_sfn_state_machine", "sm", values, refs)

status := f.statuses(encryption.results, "aws_sfn_state_machine.sm")

messages contains r.message if some r in encryption.results

good := {
	"type": "CUSTOMER_MANAGED_KMS_KEY",
	"kms_key_id": "${aws_kms_key.phi.arn}",
	"kms_data_key_reuse_period_seconds": 300,
}

key_refs := {"encryption_configuration": ["aws_kms_key.phi"]}

test_customer_managed_key_passes if {
	status == {"PASS"} with input as stk(good)
	status == {"PASS"} with input as stk([good])
	status == {"PASS"} with input as stk(object.union(good, {"kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/abcd"}))
	status == {"PASS"} with input as f.stack([machine_refs({"encryption_configuration": [good]}, key_refs)])
}

test_plan_key_known_after_apply_passes if {
	config := object.remove(good, ["kms_key_id"])
	status == {"PASS"} with input as f.stack([machine_refs({"encryption_configuration": [config]}, key_refs)])
}

test_no_encryption_configuration_fails if {
	inp := f.stack([f.res("aws_sfn_state_machine", "sm", {"name": "pipeline"})])
	status == {"FAIL"} with input as inp
	messages == {concat("", [
		"no encryption_configuration: execution history (state input and output) is encrypted ",
		"only with an AWS owned key",
	])} with input as inp
}

test_aws_owned_key_fails if {
	status == {"FAIL"} with input as stk({"type": "AWS_OWNED_KEY"})
	want := "encryption_configuration.type is not CUSTOMER_MANAGED_KMS_KEY: an AWS owned key encrypts execution data"
	messages == {want} with input as stk({"type": "AWS_OWNED_KEY"})
}

test_missing_key_fails if {
	status == {"FAIL"} with input as stk(object.remove(good, ["kms_key_id"]))
	status == {"FAIL"} with input as stk(object.union(good, {"kms_key_id": "alias/aws/states"}))
}

test_aws_owned_key_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as stk({"type": "AWS_OWNED_KEY", "kms_key_id": f.unknown})
	status == {"FAIL"} with input as stk({"type": f.unknown, "kms_key_id": "alias/aws/states"})
}

test_unknown_encryption_configuration if {
	status == {"UNKNOWN"} with input as stk(f.unknown)
	messages == {concat("", [
		"encryption_configuration is unknown (not a literal): ",
		"cannot show that execution data is encrypted with a customer managed key",
	])} with input as stk(f.unknown)
	status == {"UNKNOWN"} with input as f.stack([machine_refs({}, {"encryption_configuration": ["aws_ssm_parameter.p"]})])
}

test_unknown_encryption_configuration_type if {
	status == {"UNKNOWN"} with input as stk(object.union(good, {"type": f.unknown}))
	status == {"UNKNOWN"} with input as stk(object.union(good, {"type": "CUSTOMER_${?}"}))
	config := object.union(good, {"type": "${aws_ssm_parameter.type.value}"})
	refs := {"encryption_configuration": ["aws_kms_key.phi", "aws_ssm_parameter.type"]}
	status == {"UNKNOWN"} with input as f.stack([machine_refs({"encryption_configuration": [config]}, refs)])
}

test_unknown_encryption_configuration_type_plan if {
	config := object.remove(good, ["type", "kms_key_id"])
	status == {"UNKNOWN"} with input as f.stack([machine_refs({"encryption_configuration": [config]}, key_refs)])
}

test_unknown_encryption_configuration_kms_key_id if {
	status == {"UNKNOWN"} with input as stk(object.union(good, {"kms_key_id": f.unknown}))
	messages == {concat("", [
		"encryption_configuration.kms_key_id is unknown (not a literal): ",
		"cannot show that it names a customer managed key",
	])} with input as stk(object.union(good, {"kms_key_id": f.unknown}))
	config := object.remove(good, ["kms_key_id"])
	refs := {"encryption_configuration": ["aws_ssm_parameter.key"]}
	status == {"UNKNOWN"} with input as f.stack([machine_refs({"encryption_configuration": [config]}, refs)])
}
