# METADATA
# description: Builders for rule tests. Not compiled into the WASM (build ignores *_test.rego).
package imgsec.fixtures_test

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

# One stack's input from a list of resources, with the shipped default params.
stack(resources) := {
	"stack": "test",
	"source": "cdktf",
	"params": {
		"min_log_retention_days": 365,
		"kms_min_deletion_window_days": 7,
		"kms_recommended_deletion_window_days": 30,
		"lambda_require_vpc": false,
	},
	"resources": {r.address: r | some r in resources},
}

# Results of a rule for one resource address, as a set of statuses.
statuses(results, address) := {r.status | some r in results; r.resource == address}
