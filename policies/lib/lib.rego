# METADATA
# description: Helpers shared by every imgsec rule. Rules see one stack at a time.
package imgsec.lib

# Every managed resource of a type in the stack under check. Data sources are read, not deployed:
# rules judge what the configuration creates (a data.aws_kms_key is someone else's key).
resources_of(type) := [r |
	some a in object.get(input.by_type, type, [])
	r := input.resources[a]
	object.get(r, "mode", "managed") != "data"
]

# A rule's verdict on one resource; the engine adds the rule's metadata from the catalog.
pass(r, message) := {"resource": r.address, "status": "PASS", "message": message}

fail(r, message) := {"resource": r.address, "status": "FAIL", "message": message}

# A verdict that depends on a value the engine cannot know: a variable, a local, a function result,
# a module output, or a plan value known only after apply. Never a PASS; the message names the
# attribute. The gate fails on it by default (`imgsec check --unknown fail`).
unknown(r, message) := {"resource": r.address, "status": "UNKNOWN", "message": message}

# A named, reported relaxation: a control the configuration turns off on purpose and says why (an
# exemption tag whose value is the reason). Listed and counted in every run, never failing the
# gate; the message names the exemption and its reason (IMGSEC-S3-011's exempt buckets).
warn(r, message) := {"resource": r.address, "status": "WARN", "message": message}

# The marker the normalizer writes for every unknown part of a value (policies/engine/normalize.ts).
unknown_marker := "${?}"

# Some part of `v` (a string, or anything inside an array or object) is unknown.
is_unknown(v) if {
	walk(v, [_, x])
	is_string(x)
	contains(x, unknown_marker)
}

# `v` is `literal`, or has unknown parts that could make it `literal` ("${?}" could be anything;
# "arn:aws:iam::${?}:root" can never be "*"). Over-approximates, like IAM wildcard matching.
could_be(v, literal) if v == literal

could_be(v, literal) if {
	is_string(v)
	contains(v, unknown_marker)
	parts := split(v, unknown_marker)
	startswith(literal, parts[0])
	endswith(literal, parts[count(parts) - 1])
	every piece in array.slice(parts, 1, count(parts) - 1) {
		contains(literal, piece)
	}
}

# Terraform JSON renders a nested block as an object or as a list of objects.
as_array(x) := x if is_array(x)

as_array(x) := [x] if not is_array(x)

# True when `r.values[attr]` refers to `target`: by reference (cdktf/tf.json `${...}`, plan
# configuration references) or by the target's literal name, id or ARN. The normalizer indexes
# these inbound references on the target, so lookups are linear.
refers_to(r, attr, target) if r.address in object.get(object.get(target.referenced_by, r.type, {}), attr, [])

# The resources of `type` whose `attr` refers to `target` (a bucket's encryption, versioning, ...).
# regal ignore:prefer-some-in-iteration
related(type, attr, target) := [input.resources[a] |
	some a in object.get(object.get(target.referenced_by, type, {}), attr, [])
]

# A parameter (threshold) from the input's params, which the engine fills from policies/params.json.
param(name) := input.params[name]

# Statements of a parsed policy document (null when not JSON: no statements).
statements(doc) := doc.Statement if doc != null

statements(null) := []

# A statement grants what it lists: fail closed, a statement without an Effect (AWS refuses such a
# document) or with any literal Effect but "Deny" counts as Allow; only a literal "Deny" denies.
allows(statement) if {
	effect := object.get(statement, "Effect", null)
	not is_unknown(effect)
	effect != "Deny"
}

# The statement allows, or may once an unknown Effect ("${?}") is known.
may_allow(statement) if allows(statement)

may_allow(statement) if could_be(object.get(statement, "Effect", null), "Allow")

# The statement's Effect is unknown: it may allow, but need not.
effect_unknown(statement) if {
	not allows(statement)
	may_allow(statement)
} else := false

# The parsed policy document in r's attribute `attr` (r.policies[attr]: null when not JSON, the
# unknown document when unknown). A value that is one whole reference to an aws_iam_policy_document
# data source of the stack (`${data.aws_iam_policy_document.d.json}`) is that data source's
# document, which the normalizer builds from its statement blocks (policies.json).
policy(r, attr) := policy_document(r, attr, object.get(r.values, attr, null))

# The same for a document whose value is `value` and whose parsed form is r.policies[name]
# (`inline_policy.0` for the first inline_policy block of a role).
policy_document(r, name, value) := doc if {
	doc := referenced_document(value)
} else := object.get(r.policies, name, null)

# The document of the aws_iam_policy_document data source that `value` refers to as a whole.
referenced_document(value) := object.get(source.policies, "json", {"unknown": true, "Statement": []}) if {
	is_string(value)
	m := regex.find_all_string_submatch_n(_document_reference, value, 1)
	count(m) == 1
	source := _data_source(m[0][1], m[0][2])
}

_document_reference := concat("", [
	`^\s*\$\{(data\.aws_iam_policy_document\.[A-Za-z0-9_-]+)`,
	`((?:\[[^\]]*\])?)\.(?:minified_)?json\s*\}\s*$`,
])

# The data source by its address (`data.aws_iam_policy_document.d[0]`), or by its configuration
# address when the stack holds one instance of it.
_data_source(base, index) := input.resources[concat("", [base, index])]

_data_source(base, index) := source if {
	not input.resources[concat("", [base, index])]
	sources := [r | some r in input.resources; r.config_address == base]
	count(sources) == 1
	source := sources[0]
}

# A parsed policy document whose content is unknown (a variable, jsonencode(...), a data source's
# json, or a plan value known only after apply).
document_unknown(doc) if doc.unknown == true

# A principal that is everyone: "*" or {"AWS": "*"} (alone or in a list).
principal_is_everyone("*")

principal_is_everyone(p) if {
	is_object(p)
	some key in ["AWS", "CanonicalUser", "Federated"]
	some v in as_array(object.get(p, key, []))
	v == "*"
}

# A principal that could be everyone once unknown values are known: "${?}", {"AWS": "${?}"}, or a
# principal object that is itself unknown. Named principals ("arn:aws:iam::${?}:root") cannot.
principal_may_be_everyone(p) if could_be(p, "*")

principal_may_be_everyone(p) if {
	is_object(p)
	some key in ["AWS", "CanonicalUser", "Federated"]
	some v in as_array(object.get(p, key, []))
	could_be(v, "*")
}

# The literal S3 bucket name or a `${...}`-built name; used to match ARNs in policies and selectors.
bucket_name(bucket) := object.get(bucket.values, "bucket", "")

# Buckets that receive S3 server access logs (the only ones allowed SSE-S3 and no own logging).
log_target_buckets contains bucket.address if {
	some bucket in resources_of("aws_s3_bucket")
	count(related("aws_s3_bucket_logging", "target_bucket", bucket)) > 0
}

log_target_buckets contains bucket.address if {
	some bucket in resources_of("aws_s3_bucket")
	some other in related("aws_s3_bucket", "logging", bucket)
	some l in as_array(other.values.logging)
	l.target_bucket != ""
}

is_log_target(bucket) if bucket.address in log_target_buckets

# Buckets that hold PHI or audit records: every bucket that is not only a server access log target.
phi_buckets := [b | some b in resources_of("aws_s3_bucket"); not is_log_target(b)]
