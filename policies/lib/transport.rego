# METADATA
# description: >-
#   TLS-only resource policies for any service (the SQS rules; S3 keeps its own rule): a Deny for
#   principal "*" of every action of the service when aws:SecureTransport is false, and the
#   statements that may be that Deny once unknown values are known (UNKNOWN, never PASS).
package imgsec.lib.transport

# The statement denies `actions` (lower case, e.g. {"*", "sqs:*"}: one of them) to everyone over
# plain HTTP: Bool or BoolIfExists aws:SecureTransport "false" (or false).
denies_insecure_transport(statement, actions) if {
	statement.Effect == "Deny"
	data.imgsec.lib.principal_is_everyone(statement.Principal)
	_insecure_transport(statement.Condition)
	some action in object.get(statement, "Action", [])
	lower(action) in actions
}

_insecure_transport(condition) if {
	some operator in ["Bool", "BoolIfExists"]
	some key, value in object.get(condition, operator, {})
	lower(key) == "aws:securetransport"
	some v in data.imgsec.lib.as_array(value)
	v in {"false", false}
}

# A statement that may be that Deny once its unknown values are known.
may_deny_insecure_transport(statement, actions) if {
	data.imgsec.lib.could_be(object.get(statement, "Effect", null), "Deny")
	_may_be_everyone(object.get(statement, "Principal", null))
	_may_be_insecure_transport(object.get(statement, "Condition", null))
	some action in object.get(statement, "Action", [])
	some a in actions
	data.imgsec.lib.could_be(lower(action), a)
}

_may_be_everyone(p) if data.imgsec.lib.principal_is_everyone(p)

_may_be_everyone(p) if data.imgsec.lib.principal_may_be_everyone(p)

_may_be_insecure_transport(condition) if _insecure_transport(condition)

_may_be_insecure_transport(condition) if {
	not is_object(condition)
	data.imgsec.lib.is_unknown(condition)
}

_may_be_insecure_transport(condition) if {
	some operator, keys in condition
	_may_be_bool_operator(operator)
	not is_object(keys)
	data.imgsec.lib.is_unknown(keys)
}

_may_be_insecure_transport(condition) if {
	some operator, keys in condition
	_may_be_bool_operator(operator)
	some key, value in keys
	_may_be_secure_transport_key(key)
	some v in data.imgsec.lib.as_array(value)
	data.imgsec.lib.could_be(v, "false")
}

_may_be_bool_operator(operator) if operator in {"Bool", "BoolIfExists"}

_may_be_bool_operator(operator) if unresolved_key(operator)

_may_be_secure_transport_key(key) if lower(key) == "aws:securetransport"

_may_be_secure_transport_key(key) if unresolved_key(key)

# An object key the normalizer cannot rewrite: a template in a key is unknown.
unresolved_key(key) if contains(replace(key, "$${", ""), "${")

# The document has the Deny.
compliant(doc, actions) if {
	some statement in data.imgsec.lib.statements(doc)
	denies_insecure_transport(statement, actions)
}

# Statements that are not the Deny but may be it once unknown values are known.
maybe_statements(doc, actions) := [st |
	some st in data.imgsec.lib.statements(doc)
	not denies_insecure_transport(st, actions)
	may_deny_insecure_transport(st, actions)
]

# The fields of a statement whose unknown values leave its verdict open ("Statement" when none can
# be named, so that an open statement is never taken for a PASS).
open_fields(st) := fields if {
	fields := _unknown_fields(st)
	count(fields) > 0
} else := {"Statement"}

_unknown_fields(st) := ({f |
	some f in ["Effect", "Principal", "Action"]
	data.imgsec.lib.is_unknown(object.get(st, f, null))
} | {"Condition" | data.imgsec.lib.is_unknown(object.get(st, "Condition", null))}) | {"Condition" |
	some operator, keys in object.get(st, "Condition", {})
	_unresolved_condition_key(operator, keys)
}

_unresolved_condition_key(operator, _) if unresolved_key(operator)

_unresolved_condition_key(_, keys) if {
	some key, _ in keys
	unresolved_key(key)
}
