package imgsec.policy_documents_test

import data.imgsec.fixtures_test as f
import data.imgsec.lib

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

# ---- Effect, fail closed --------------------------------------------------------------------------

test_statement_without_effect_allows if {
	lib.allows({"Action": ["s3:GetObject"], "Resource": ["*"]})
	lib.allows({"Effect": null, "Action": ["s3:GetObject"]})
	lib.may_allow({"Action": ["s3:GetObject"]})
	not lib.effect_unknown({"Action": ["s3:GetObject"]})
}

test_any_literal_effect_but_deny_allows if {
	lib.allows({"Effect": "Allow"})
	lib.allows({"Effect": "allow"})
	not lib.allows({"Effect": "Deny"})
	not lib.may_allow({"Effect": "Deny"})
}

test_unknown_effect_may_allow if {
	not lib.allows({"Effect": "${?}"})
	lib.may_allow({"Effect": "${?}"})
	lib.effect_unknown({"Effect": "${?}"})
	not lib.may_allow({"Effect": "De${?}"})
}

# ---- documents of aws_iam_policy_document data sources --------------------------------------------

source := f.policy_document_source("d", doc([{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]))

holder(value) := f.res_refs(
	"aws_iam_policy", "p",
	{"policy": value},
	{"policy": ["data.aws_iam_policy_document.d"]},
)

test_reference_to_data_source_is_its_document if {
	p := object.union(holder(f.policy_document_ref("d")), {"policies": {"policy": f.unknown_document}})
	d := lib.policy(p, "policy") with input as f.stack([source, p])
	d.Statement[0].Action == ["s3:*"]
	m := lib.policy(p, "policy") with input as f.stack([source, holder("${data.aws_iam_policy_document.d.minified_json}")])
	m.Statement[0].Action == ["s3:*"]
}

test_indexed_reference_finds_the_one_instance if {
	v := "${data.aws_iam_policy_document.d[0].json}"
	d := lib.policy(holder(v), "policy") with input as f.stack([source, holder(v)])
	d.Statement[0].Resource == ["*"]
}

test_other_values_keep_their_parsed_document if {
	parsed := doc([{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}])
	p := object.union(holder("{...}"), {"policies": {"policy": parsed}})
	lib.policy(p, "policy") == parsed with input as f.stack([source, p])

	# A reference that is only part of the value is an expression: the normalizer's unknown document.
	q := object.union(
		holder("prefix ${data.aws_iam_policy_document.d.json}"),
		{"policies": {"policy": f.unknown_document}},
	)
	lib.policy(q, "policy") == f.unknown_document with input as f.stack([source, q])
}

test_data_source_without_document_is_unknown if {
	bare := f.data_res("aws_iam_policy_document", "d", {})
	p := holder(f.policy_document_ref("d"))
	lib.policy(p, "policy") == f.unknown_document with input as f.stack([bare, p])
}
