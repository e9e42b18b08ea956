# METADATA
# description: >-
#   Whether a key attribute (kms_master_key_id, kms_key_id) names a customer managed KMS key, for the
#   SQS, Secrets Manager and Step Functions rules. AWS managed keys are named by the reserved
#   alias/aws/<service> aliases (a key policy no one can edit, so IAM alone decides who decrypts);
#   an unset attribute means the service's AWS managed or AWS owned key. A reference to a key or an
#   alias created in the stack is a customer managed key (alias/aws/ cannot be created); a data
#   source counts by the literal name or key_id it looks up. Values with unknown parts are "unknown"
#   only when they could turn out empty or an alias/aws/ alias: "arn:aws:kms:${?}:${?}:key/${?}" is
#   a key, never an AWS managed alias.
package imgsec.lib.cmk

import data.imgsec.lib.attrs
import data.imgsec.lib.iam

# Managed resources whose reference names a customer managed key.
key_types := {
	"aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key", "aws_kms_replica_external_key",
	"aws_kms_alias",
}

# Data sources whose literal attribute says which key they look up.
_data_attribute := {"data.aws_kms_key": "key_id", "data.aws_kms_alias": "name"}

# What a top-level attribute names: "cmk", "aws_managed", "unset" or "unknown". In a plan, an
# attribute absent from values but with references is the value of those references.
state(r, attr, service) := value_state(v, service) if {
	v := object.get(r.values, attr, null)
	v != null
} else := refs_state(object.get(r.refs, attr, []))

# The same for a value (a nested block's attribute, say). `service` names the AWS managed alias
# the value could turn out to be ("sqs" for alias/aws/sqs).
value_state(v, service) := "unset" if {
	v == null
} else := "unknown" if {
	not is_string(v)
} else := "unset" if {
	trim_space(v) == ""
} else := "aws_managed" if {
	regex.match(`(^|:)alias/aws/`, v)
} else := "cmk" if {
	not contains(v, "${")
} else := _reference_state(substring(trim_space(v), 2, count(trim_space(v)) - 3)) if {
	regex.match(`^\$\{[^{}]*\}$`, trim_space(v))
} else := "unknown" if {
	data.imgsec.lib.could_be(trim_space(iam.opaque(v, "none")), "")
} else := "unknown" if {
	_may_be_aws_managed(iam.opaque(v, "none"), service)
} else := "cmk"

# What the references of an attribute (config addresses) name, when its value is not written.
refs_state(refs) := "unset" if {
	count(refs) == 0
} else := "aws_managed" if {
	some ref in refs
	_reference_state(ref) == "aws_managed"
} else := "cmk" if {
	every ref in refs {
		_reference_state(ref) == "cmk"
	}
} else := "unknown"

# A reference ("aws_kms_key.k.arn", "data.aws_kms_alias.a.target_key_arn", "?").
_reference_state(ref) := "cmk" if {
	attrs.type_of(ref) in key_types
} else := _data_state(ref) if {
	_data_attribute[attrs.type_of(ref)]
} else := "unknown"

# A KMS data source of the document, by the literal it looks up.
_data_state(ref) := found if {
	type := attrs.type_of(ref)
	some address in object.get(input.by_type, trim_prefix(type, "data."), [])
	source := input.resources[address]
	source.mode == "data"
	startswith(concat("", [ref, "."]), concat("", [source.config_address, "."]))
	found := _looked_up(object.get(source.values, _data_attribute[type], null))
} else := "unknown"

_looked_up(v) := "aws_managed" if {
	is_string(v)
	regex.match(`(^|:)alias/aws/`, v)
} else := "cmk" if {
	is_string(v)
	trim_space(v) != ""
	not contains(v, "${")
} else := "unknown"

# An alias/aws/<service> alias, or its ARN, once unknown parts are known. The key's part of an ARN
# ("alias/${?}" in "arn:aws:kms:us-east-1:123456789012:alias/${?}") is judged on its own, so that a
# literal account does not hide it.
_may_be_aws_managed(v, service) if data.imgsec.lib.could_be(_key_resource(v), concat("", ["alias/aws/", service]))

_may_be_aws_managed(v, service) if {
	literal := concat("", ["arn:aws:kms:us-east-1:111122223333:alias/aws/", service])
	data.imgsec.lib.could_be(attrs.canonical_arn(v), literal)
}

_key_resource(v) := concat(":", array.slice(parts, 5, count(parts))) if {
	regex.match(`^arn:[^:]*:kms:[^:]*:[^:]*:`, v)
	parts := split(v, ":")
} else := v
