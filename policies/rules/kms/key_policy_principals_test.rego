package imgsec.rules.kms.key_policy_principals_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.kms.key_policy_principals as principals

root := {
	"Sid": "Root",
	"Effect": "Allow",
	"Principal": {"AWS": "arn:aws:iam::111122223333:root"},
	"Action": ["kms:*"],
	"Resource": ["*"],
}

via_s3 := {
	"Sid": "AllowS3ForThisAccount",
	"Effect": "Allow",
	"Principal": {"AWS": "*"},
	"Action": ["kms:Decrypt"],
	"Resource": ["*"],
	"Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-east-1.amazonaws.com"}},
}

key_with(statements) := f.res_policies("aws_kms_key", "phi", {"policy": "{}"}, {"policy": {"Statement": statements}})

test_named_principals_and_restricted_star_pass if {
	inp := f.stack([key_with([root, via_s3])])
	f.statuses(principals.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_unconditioned_star_fails if {
	inp := f.stack([key_with([root, object.remove(via_s3, ["Condition"])])])
	f.statuses(principals.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
	want := {"key policy statement AllowS3ForThisAccount allows principal * without a restricting Condition"}
	{r.message | some r in principals.results} == want with input as inp
}

test_via_service_alone_does_not_restrict if {
	condition := {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
	st := object.union(object.remove(via_s3, ["Condition"]), {"Condition": condition})
	inp := f.stack([key_with([root, st])])
	f.statuses(principals.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_bare_star_principal_fails if {
	inp := f.stack([key_with([object.union(root, {"Principal": "*"})])])
	f.statuses(principals.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_missing_policy_passes_as_default_key_policy if {
	inp := f.stack([f.res("aws_kms_key", "phi", {"enable_key_rotation": true})])
	want := {"no policy: the AWS default key policy trusts only the account root"}
	{r.message | some r in principals.results} == want with input as inp
	f.statuses(principals.results, "aws_kms_key.phi") == {"PASS"} with input as inp
}

test_unparseable_policy_fails if {
	inp := f.stack([f.res_policies("aws_kms_key", "phi", {"policy": "not json"}, {"policy": null})])
	f.statuses(principals.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_plan_unknown_policy_fails if {
	refs := {"policy": ["data.aws_iam_policy_document.phi"]}
	unknown := f.res_refs("aws_kms_key", "phi", {"enable_key_rotation": true}, refs)
	inp := f.stack([unknown])
	f.statuses(principals.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_unknown_policy if {
	key := f.res_policies("aws_kms_key", "phi", {"policy": f.unknown}, {"policy": {"unknown": true, "Statement": []}})
	f.statuses(principals.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as f.stack([key])
}

test_unknown_policy_principal if {
	st := object.union(object.remove(via_s3, ["Condition"]), {"Principal": {"AWS": f.unknown}})
	f.statuses(principals.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as f.stack([key_with([root, st])])
}

test_unknown_policy_effect if {
	st := object.union(object.remove(via_s3, ["Condition"]), {"Effect": f.unknown})
	f.statuses(principals.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as f.stack([key_with([root, st])])
}

test_unknown_policy_condition if {
	condition := {"StringEquals": {"kms:CallerAccount": f.unknown}}
	st := object.union(via_s3, {"Condition": condition})
	f.statuses(principals.results, "aws_kms_key.phi") == {"UNKNOWN"} with input as f.stack([key_with([root, st])])
}

test_partly_unknown_named_principal_passes if {
	st := object.union(root, {"Principal": {"AWS": "arn:aws:iam::${?}:root"}})
	f.statuses(principals.results, "aws_kms_key.phi") == {"PASS"} with input as f.stack([key_with([st, via_s3])])
}

test_known_public_statement_fails_whatever_else_is_unknown if {
	unknown_st := object.union(root, {"Sid": "U", "Principal": {"AWS": f.unknown}})
	inp := f.stack([key_with([unknown_st, object.remove(via_s3, ["Condition"])])])
	f.statuses(principals.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	st := object.remove(object.remove(via_s3, ["Condition"]), ["Effect"])
	inp := f.stack([key_with([root, st])])
	f.statuses(principals.results, "aws_kms_key.phi") == {"FAIL"} with input as inp
}

test_key_policy_from_data_source_fails if {
	source := f.policy_document_source("key", {"Statement": [root, object.remove(via_s3, ["Condition"])]})
	key := f.res_refs(
		"aws_kms_key", "phi",
		{"policy": f.policy_document_ref("key")},
		{"policy": ["data.aws_iam_policy_document.key"]},
	)
	holder := object.union(key, {"policies": {"policy": f.unknown_document}})
	f.statuses(principals.results, "aws_kms_key.phi") == {"FAIL"} with input as f.stack([source, holder])
}
