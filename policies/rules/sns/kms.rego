# METADATA
# title: SNS topics are encrypted with KMS
# description: >-
#   Alarm and pipeline notifications can carry resource names, principals and object keys. Every
#   aws_sns_topic must set kms_master_key_id so that messages are encrypted at rest with KMS. A literal
#   key id, ARN or alias counts, and so does a reference to a KMS key or alias in the same stack (in a
#   plan, also when its ARN is known only after apply). A value that is not a literal (a variable, a
#   function result) or that refers to anything else is UNKNOWN: it may turn out empty.
# custom:
#   id: IMGSEC-SNS-001
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - aws_sns_topic
#   inputs:
#     - kms_master_key_id
#   remediation: >-
#     Set kms_master_key_id to the PHI key's ARN and allow the publishing services (e.g.
#     cloudwatch.amazonaws.com) kms:GenerateDataKey* and kms:Decrypt in the key policy.
package imgsec.rules.sns.kms

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(topic, "kms_master_key_id is set: messages are encrypted at rest with KMS") if {
	some topic in lib.resources_of("aws_sns_topic")
	_state(topic, "kms_master_key_id", _key_types) == "set"
}

results contains lib.fail(topic, "kms_master_key_id is not set: messages are not encrypted with KMS") if {
	some topic in lib.resources_of("aws_sns_topic")
	_state(topic, "kms_master_key_id", _key_types) == "unset"
}

results contains lib.unknown(
	topic,
	"kms_master_key_id is unknown (not a literal): cannot show that messages are encrypted with KMS",
) if {
	some topic in lib.resources_of("aws_sns_topic")
	_state(topic, "kms_master_key_id", _key_types) == "unknown"
}

# Resources whose reference names a KMS key.
_key_types := {
	"aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key", "aws_kms_replica_external_key",
	"aws_kms_alias", "data.aws_kms_key", "data.aws_kms_alias",
}

# What a top-level attribute holds, three-valued: "set" when it is a literal, or a reference to a
# resource of `types` (whose value is never empty); "unknown" when part of it is unknown or it refers
# to anything else; "unset" when absent, null or empty. In a plan, an attribute absent from values
# but with references is the value of those references, known only after apply.
_state(r, attr, types) := _value(r.values[attr], types) if {
	_written(r.values, attr)
} else := _after_apply(object.get(r.refs, attr, []), types)

_written(obj, key) if {
	some k, _ in obj
	k == key
}

_value(v, types) := "unknown" if {
	lib.is_unknown(v)
} else := "set" if {
	is_string(v)
	not regex.match(`^\s*(\$\{[^}]*\}\s*)*$`, v)
} else := "set" if {
	is_string(v)
	contains(v, "${")
	every m in regex.find_all_string_submatch_n(`\$\{([^}]*)\}`, v, -1) {
		_type_of(m[1]) in types
	}
} else := "unknown" if {
	is_string(v)
	contains(v, "${")
} else := "set" if {
	not is_string(v)
	attrs.present(v)
} else := "unset"

_after_apply(refs, types) := "set" if {
	count(refs) > 0
	every a in refs {
		_type_of(a) in types
	}
} else := "unknown" if {
	count(refs) > 0
} else := "unset"

# The resource type a reference or config address names: aws_kms_key.k.arn, data.aws_kms_alias.a,
# module.m.aws_kms_key.k.
_type_of(ref) := m[0][1] if {
	m := regex.find_all_string_submatch_n(`^\s*(?:module\.[^.]+\.)*((?:data\.)?[A-Za-z0-9_-]+)`, ref, 1)
	count(m) == 1
}
