# METADATA
# description: >-
#   Attribute helpers for the CloudTrail, CloudWatch, SNS, Lambda, Step Functions and IAM rules:
#   whether an attribute is set, allowing for plans, where a value that refers to a resource created
#   in the same apply is unknown (absent from `values`) but still listed in `refs`.
package imgsec.lib.attrs

# A written value: a non-empty string, a number, a boolean, or a non-empty array or object.
present(v) if {
	is_string(v)
	trim_space(v) != ""
}

present(v) if is_number(v)

present(v) if is_boolean(v)

present(v) if {
	is_array(v)
	count(v) > 0
}

present(v) if {
	is_object(v)
	count(v) > 0
}

# The top-level attribute is set: written, or (plan) a reference whose value is not yet known.
has_value(r, attr) if present(object.get(r.values, attr, null))

has_value(r, attr) if count(object.get(r.refs, attr, [])) > 0

# The instances of a nested block (an object or a list of objects in Terraform JSON).
blocks(r, block) := [b | some b in _as_array(object.get(r.values, block, [])); is_object(b)]

_as_array(x) := x if is_array(x)

_as_array(x) := [x] if not is_array(x)

# Some instance of `block` has `attr` written, or (plan) `block` holds a reference whose value is not
# yet known. Use it only for blocks whose one referencing attribute is `attr`.
nested_has_value(r, block, attr) if {
	some b in blocks(r, block)
	present(object.get(b, attr, null))
}

nested_has_value(r, block, _) if {
	count(blocks(r, block)) > 0
	count(object.get(r.refs, block, [])) > 0
}

# An ARN with its partition (aws, aws-us-gov, ${data.aws_partition.X.partition}, *, ...) written as
# "aws", so that ARNs written with a partition reference compare with literal ones.
canonical_arn(v) := concat(":", array.concat(["arn", "aws"], array.slice(parts, 2, count(parts)))) if {
	startswith(v, "arn:")
	parts := split(v, ":")
	count(parts) > 2
} else := v

# What a top-level attribute holds, three-valued: "unknown" when any part of it is unknown (or, in a
# plan, it is absent but refers to a resource: its value comes only after apply), "set" when it is
# written, "unset" otherwise. Check "unknown" before trusting "set" or "unset".
state(r, attr) := "unknown" if {
	data.imgsec.lib.is_unknown(object.get(r.values, attr, null))
} else := "set" if {
	present(object.get(r.values, attr, null))
} else := "unknown" if {
	count(object.get(r.refs, attr, [])) > 0
	object.get(r.values, attr, null) == null
} else := "unset"

# A boolean as the provider will see it: true or false when written literally ("true" and "false"
# too, which Terraform converts), `otherwise` (the provider's default) when absent or null and not
# a reference, and "unknown" otherwise. A control counts as on only when this is true, and as off
# only when it is false.
bool(r, attr, otherwise) := "unknown" if {
	object.get(r.values, attr, null) == null
	count(object.get(r.refs, attr, [])) > 0
} else := bool_value(object.get(r.values, attr, null), otherwise)

# The same for a value already taken out of a block.
bool_value(v, _) := v if {
	is_boolean(v)
} else if {
	v == "true"
} else := false if {
	v == "false"
} else := "unknown" if {
	v != null
}

bool_value(null, otherwise) := otherwise

# Resources whose reference names a KMS key.
kms_key_types := {
	"aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key", "aws_kms_replica_external_key",
	"aws_kms_alias", "data.aws_kms_key", "data.aws_kms_alias",
}

# What a top-level attribute holds, three-valued, resolving references by the type they name: "set"
# when it is a literal, or a reference to a resource of `types` (whose value is never empty);
# "unknown" when part of it is unknown or it refers to anything else; "unset" when absent, null or
# empty. In a plan, an attribute absent from values
# but with references is the value of those references, known only after apply.
reference_state(r, attr, types) := value_state(r.values[attr], types) if {
	written(r.values, attr)
} else := after_apply(object.get(r.refs, attr, []), types)

written(obj, key) if {
	some k, _ in obj
	k == key
}

value_state(v, types) := "unknown" if {
	data.imgsec.lib.is_unknown(v)
} else := "set" if {
	is_string(v)
	not regex.match(`^\s*(\$\{[^}]*\}\s*)*$`, v)
} else := "set" if {
	is_string(v)
	contains(v, "${")
	every m in regex.find_all_string_submatch_n(`\$\{([^}]*)\}`, v, -1) {
		type_of(m[1]) in types
	}
} else := "unknown" if {
	is_string(v)
	contains(v, "${")
} else := "set" if {
	not is_string(v)
	present(v)
} else := "unset"

after_apply(refs, types) := "set" if {
	count(refs) > 0
	every a in refs {
		type_of(a) in types
	}
} else := "unknown" if {
	count(refs) > 0
} else := "unset"

# The resource type a reference or config address names: aws_kms_key.k.arn, data.aws_kms_alias.a,
# module.m.aws_kms_key.k.
type_of(ref) := m[0][1] if {
	m := regex.find_all_string_submatch_n(`^\s*(?:module\.[^.]+\.)*((?:data\.)?[A-Za-z0-9_-]+)`, ref, 1)
	count(m) == 1
}
