# METADATA
# description: >-
#   Relations between resources that rules cannot resolve, and resource tags. A resource that names
#   another through an unknown attribute (a queue policy's queue_url = var.url, a rotation's
#   secret_id = local.id) may name any resource of that type: a rule that finds no relation for a
#   resource reports UNKNOWN while such a resource exists, never FAIL or PASS.
package imgsec.lib.relations

# r's `attr`, which names a resource of `target_type`, may name any of them: it is unknown, or it
# refers only to resources of other types (`${aws_ssm_parameter.p.value}`), whose values no rule reads.
may_name_any(r, attr, _) if data.imgsec.lib.is_unknown(object.get(r.values, attr, null))

may_name_any(r, attr, target_type) if {
	refs := object.get(r.refs, attr, [])
	count(refs) > 0
	every ref in refs {
		data.imgsec.lib.attrs.type_of(ref) != target_type
	}
}

# The resources of `type` whose `attr` may name any resource of `target_type`.
unresolved(type, attr, target_type) := [r |
	some r in data.imgsec.lib.resources_of(type)
	may_name_any(r, attr, target_type)
]

# A tag's value: from the configuration's `tags` (or a plan's `tags_all`); the unknown marker when
# the tags are unknown (tags = var.tags, or a plan value known only after apply); null when absent.
tag(r, key) := object.get(t, key, null) if {
	t := object.get(r.values, "tags", null)
	is_object(t)
} else := data.imgsec.lib.unknown_marker if {
	t := object.get(r.values, "tags", null)
	t != null
	data.imgsec.lib.is_unknown(t)
} else := data.imgsec.lib.unknown_marker if {
	object.get(r.values, "tags", null) == null
	count(object.get(r.refs, "tags", [])) > 0
} else := object.get(t, key, null) if {
	t := object.get(r.values, "tags_all", null)
	is_object(t)
} else := null

# An exemption tag on r (`imgsec:rotation-exempt`, `imgsec:replication-exempt`), whose value is
# the reason: "exempt" (the value holds a reason), "invalid" (present without one: no exemption),
# "unknown" (the tag or the tags are unknown), or "none".
exemption(r, key) := "none" if {
	tag(r, key) == null
} else := "unknown" if {
	data.imgsec.lib.is_unknown(tag(r, key))
} else := "exempt" if {
	reason := tag(r, key)
	is_string(reason)
	trim_space(reason) != ""
} else := "invalid"

# The reason an exempt resource gives.
exemption_reason(r, key) := trim_space(tag(r, key))
