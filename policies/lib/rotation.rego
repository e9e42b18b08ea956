# METADATA
# description: >-
#   Secrets Manager rotation for the rotation rules (IMGSEC-SM-002 and IMGSEC-SM-003): the
#   aws_secretsmanager_secret_rotation resources of a secret, whether their rotation_rules schedule
#   rotation, and the explicit exemption a secret that cannot rotate carries (the tag
#   imgsec:rotation-exempt, whose value is the reason).
package imgsec.lib.rotation

# The tag that exempts a secret from rotation; its value says why.
exempt_tag := "imgsec:rotation-exempt"

for_secret(secret) := data.imgsec.lib.related("aws_secretsmanager_secret_rotation", "secret_id", secret)

# Rotation resources whose secret_id is unknown: they may rotate any secret.
unresolved := data.imgsec.lib.relations.unresolved(
	"aws_secretsmanager_secret_rotation", "secret_id",
	"aws_secretsmanager_secret",
)

# Whether a rotation resource schedules rotation: "set" (rotation_rules with automatically_after_days
# above 0 or a schedule_expression), "unknown" (the block or those values are unknown), "unset".
schedule(rotation) := "unknown" if {
	object.get(rotation.values, "rotation_rules", null) == null
	count(object.get(rotation.refs, "rotation_rules", [])) > 0
} else := "set" if {
	some rules in _rules(rotation)
	is_object(rules)
	_scheduled(rules)
} else := "unknown" if {
	some rules in _rules(rotation)
	data.imgsec.lib.is_unknown(rules)
} else := "unset"

_rules(rotation) := [b |
	some b in data.imgsec.lib.as_array(object.get(rotation.values, "rotation_rules", []))
	b != null
]

_scheduled(rules) if {
	days := object.get(rules, "automatically_after_days", null)
	_positive(days)
}

_scheduled(rules) if {
	expression := object.get(rules, "schedule_expression", null)
	is_string(expression)
	trim_space(expression) != ""
	not data.imgsec.lib.is_unknown(expression)
}

_positive(days) if {
	is_number(days)
	days > 0
}

_positive(days) if {
	is_string(days)
	regex.match(`^[0-9]+$`, days)
	to_number(days) > 0
}

# The rotation resource that schedules the secret's rotation, if any (the first, when several
# do: one value, never a conflict).
scheduled_by(secret) := scheduled[0] if {
	scheduled := [rotation | some rotation in for_secret(secret); schedule(rotation) == "set"]
	count(scheduled) > 0
}

# The secret's exemption: "exempt" (the tag holds a reason), "invalid" (present without a reason),
# "unknown" (the tag or the tags are unknown), or "none".
exemption(secret) := data.imgsec.lib.relations.exemption(secret, exempt_tag)

reason(secret) := data.imgsec.lib.relations.exemption_reason(secret, exempt_tag)
