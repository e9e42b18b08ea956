# METADATA
# description: Builders for rule tests. Not compiled into the WASM (build ignores *_test.rego).
package imgsec.fixtures_test

# The normalizer's marker for an unknown value (a variable, a function result, a plan value known
# only after apply): rules report UNKNOWN for what depends on it.
unknown := "${?}"

# A policy document the normalizer could not see (policies/engine/normalize.ts unknownDocument).
unknown_document := {"unknown": true, "Statement": []}

# A normalized resource, as policies/engine/normalize.ts produces it.
res(type, name, values) := {
	"address": concat(".", [type, name]),
	"config_address": concat(".", [type, name]),
	"type": type,
	"name": name,
	"mode": "managed",
	"values": values,
	"refs": {},
	"policies": {},
}

# The same, with references: refs is {attribute: [addresses]}.
res_refs(type, name, values, refs) := object.union(res(type, name, values), {"refs": refs})

# The same, with parsed policy documents: policies is {attribute: document}.
res_policies(type, name, values, policies) := object.union(res(type, name, values), {"policies": policies})

# A data source, as the normalizer produces it (address data.<type>.<name>, mode "data").
data_res(type, name, values) := object.union(res(type, name, values), {
	"address": concat(".", ["data", type, name]),
	"config_address": concat(".", ["data", type, name]),
	"mode": "data",
})

# An aws_iam_policy_document data source whose statements the normalizer turned into `doc`
# (policies/engine/policy-docs.ts documentFromDataSource).
policy_document_source(name, doc) := object.union(
	data_res("aws_iam_policy_document", name, {"statement": [{"actions": ["..."]}]}),
	{"policies": {"json": doc}},
)

# A reference to that data source's rendered JSON, as a Terraform JSON value writes it.
policy_document_ref(name) := concat("", ["${data.aws_iam_policy_document.", name, ".json}"])

# One stack's input from a list of resources, with the shipped default params.
stack(resources) := {
	"stack": "test",
	"source": "cdktf",
	"params": {
		"min_log_retention_days": 365,
		"kms_min_deletion_window_days": 7,
		"kms_recommended_deletion_window_days": 30,
		"lambda_require_vpc": false,
		"require_replication": true,
	},
	"resources": {r.address: object.union(r, {"referenced_by": _inbound(r, resources)}) | some r in resources},
	"by_type": {s.type: [r.address | some r in resources; r.type == s.type] | some s in resources},
}

# The inbound-reference index the normalizer builds (policies/engine/normalize.ts), so that rule
# tests relate resources exactly as the engine does: by reference or by literal name, id or ARN.
_name_keys := {"bucket", "id", "arn", "name", "function_name"}

_names(target) := {n |
	some k in _name_keys
	n := object.get(target.values, k, "")
	is_string(n)
	n != ""
	not contains(n, unknown)
}

_points_at(s, attr, target) if target.config_address in object.get(s.refs, attr, [])

_points_at(s, attr, target) if {
	not _own_name(s, attr)
	walk(object.get(s.values, attr, null), [_, x])
	is_string(x)
	not contains(x, unknown)
	x in _names(target)
}

_own_name(s, attr) if {
	s.type == "aws_s3_bucket"
	attr in _name_keys
}

_links(target, resources) := {[s.type, attr, s.address] |
	some s in resources
	s.address != target.address
	some attr in (object.keys(s.values) | object.keys(s.refs))
	_points_at(s, attr, target)
}

_inbound(target, resources) := _group(_links(target, resources))

_group(links) := {n[0]: _by_attr(links, n[0]) | some n in links}

_by_attr(links, t) := {m[1]: [l[2] | some l in links; l[0] == t; l[1] == m[1]] | some m in links; m[0] == t}

# Results of a rule for one resource address, as a set of statuses.
statuses(results, address) := {r.status | some r in results; r.resource == address}
