# METADATA
# title: CloudTrail trails are logging and record every management event, reads and writes
# description: >-
#   A trail that is stopped, or that leaves out management events (who changed a key policy, a bucket
#   policy, a role) or their reads or writes, misses the activity an audit of PHI access must
#   reconstruct. Every aws_cloudtrail must log (enable_logging is not false; the default is true) and
#   record management events, both reads and writes: without selectors a trail records them all;
#   with event_selector blocks, selectors with include_management_events not false (the default) and
#   no exclude_management_event_sources must together cover read_write_type All (the default), or
#   ReadOnly and WriteOnly; with advanced_event_selector blocks, selectors whose field selectors are
#   eventCategory equals Management, optionally with readOnly equals true or false, must together
#   cover reads and writes (a selector with any other field, such as an eventSource exclusion,
#   records part of them and does not count). UNKNOWN, never PASS, when values that are not known
#   (enable_logging, a selector, include_management_events, read_write_type, the exclusions, the
#   field names or values) could complete the coverage; FAIL when even they could not.
# custom:
#   id: IMGSEC-CT-006
#   severity: high
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#     - 164.308(a)(5)(ii)(C)
#   resource_types:
#     - aws_cloudtrail
#   inputs:
#     - enable_logging
#     - event_selector
#     - event_selector.include_management_events
#     - event_selector.read_write_type
#     - event_selector.exclude_management_event_sources
#     - advanced_event_selector
#     - advanced_event_selector.field_selector.field
#     - advanced_event_selector.field_selector.equals
#   peers:
#     - aws-config:cloudtrail-enabled
#     - aws-config:multi-region-cloudtrail-enabled
#     - prowler:cloudtrail_multi_region_enabled
#   remediation: >-
#     Leave enable_logging unset (or true) and record management events: no selectors, or an
#     event_selector with include_management_events = true and read_write_type = "All" (AuditTrail
#     does this), or an advanced_event_selector with eventCategory = Management and no readOnly
#     filter.
package imgsec.rules.cloudtrail.logging

import data.imgsec.lib
import data.imgsec.lib.attrs

_blocks := ["event_selector", "advanced_event_selector"]

results contains lib.pass(trail, "the trail is logging and records every management event, reads and writes") if {
	some trail in lib.resources_of("aws_cloudtrail")
	attrs.bool(trail, "enable_logging", true) == true
	_complete(_coverage(trail, true))
}

results contains lib.fail(trail, "enable_logging is false: the trail records nothing") if {
	some trail in lib.resources_of("aws_cloudtrail")
	attrs.bool(trail, "enable_logging", true) == false
}

results contains lib.fail(trail, msg) if {
	some trail in lib.resources_of("aws_cloudtrail")
	attrs.bool(trail, "enable_logging", true) != false
	not _complete(_coverage(trail, false))
	msg := concat("", ["the trail's selectors do not record ", _missing(_coverage(trail, false)), " management events"])
}

results contains lib.unknown(trail, msg) if {
	some trail in lib.resources_of("aws_cloudtrail")
	attrs.bool(trail, "enable_logging", true) != false
	_complete(_coverage(trail, false))
	some msg in _unknowns(trail)
}

_unknowns(trail) := {"enable_logging is unknown (not a literal): cannot show that the trail is logging" |
	attrs.bool(trail, "enable_logging", true) == "unknown"
} | {_selectors_unknown | not _complete(_coverage(trail, true))}

_selectors_unknown := concat("", [
	"the selectors' values are unknown (not literals): ",
	"cannot show that every management event, read and write, is recorded",
])

_complete(cov) if "All" in cov

_complete(cov) if {
	"ReadOnly" in cov
	"WriteOnly" in cov
}

_missing(cov) := "read" if {
	"WriteOnly" in cov
} else := "write" if {
	"ReadOnly" in cov
} else := "all"

# The read/write types of management events the trail records. `known` selects one of two
# readings: true, what the known values certainly record (an unknown value records nothing);
# false, what the trail may record once unknown values are known.
_coverage(trail, known) := {"All"} if {
	every block in _blocks {
		_no_selectors(trail, block)
	}
} else := ({rw |
	some selector in attrs.blocks(trail, "event_selector")
	some rw in _basic(selector, known)
} | {rw |
	some selector in attrs.blocks(trail, "advanced_event_selector")
	some rw in _advanced(selector, known)
}) | {"All" |
	not known
	some block in _blocks
	_block_unknown(trail, block)
}

_no_selectors(trail, block) if {
	count(attrs.blocks(trail, block)) == 0
	not _block_unknown(trail, block)
}

# A whole block that is unknown: a variable, or (plan) absent but referenced.
_block_unknown(trail, block) if {
	some b in lib.as_array(object.get(trail.values, block, []))
	not is_object(b)
	lib.is_unknown(b)
}

_block_unknown(trail, block) if {
	object.get(trail.values, block, null) == null
	count(object.get(trail.refs, block, [])) > 0
}

# A value that is unknown, or taken from another resource's attribute.
_opaque(v) if lib.is_unknown(v)

_opaque(v) if {
	is_string(v)
	contains(v, "${")
}

# ---- basic event selectors

_basic(selector, known) := {rw |
	_includes_management(selector, known)
	_no_exclusions(selector, known)
	some rw in _read_write_type(selector, known)
}

_includes_management(selector, true) if _management_events(selector) == true

_includes_management(selector, false) if _management_events(selector) != false

# include_management_events as the provider reads it: true by default.
_management_events(selector) := attrs.bool_value(object.get(selector, "include_management_events", null), true)

_no_exclusions(selector, true) if {
	sources := object.get(selector, "exclude_management_event_sources", [])
	not _opaque(sources)
	count([s | some s in lib.as_array(sources); s != null]) == 0
}

_no_exclusions(selector, false) if {
	sources := object.get(selector, "exclude_management_event_sources", [])
	count([s | some s in lib.as_array(sources); s != null; not _opaque(s)]) == 0
}

_read_write_type(selector, known) := {"All"} if {
	object.get(selector, "read_write_type", null) == null
} else := {rw} if {
	rw := selector.read_write_type
	rw in {"All", "ReadOnly", "WriteOnly"}
} else := {"All"} if {
	not known
	_opaque(selector.read_write_type)
} else := set()

# ---- advanced event selectors

_advanced(selector, known) := {rw |
	fields := [fs | some fs in lib.as_array(object.get(selector, "field_selector", [])); is_object(fs)]
	_management(fields, known)
	_only_known_fields(fields, known)
	some rw in _read_only(fields, known)
}

_management(fields, true) if {
	some fs in fields
	fs.field == "eventCategory"
	object.get(fs, "equals", []) == ["Management"]
}

_management(fields, false) if {
	some fs in fields
	_may_be_field(fs, "eventCategory")
	_may_equal(fs, "Management")
}

_only_known_fields(fields, true) if {
	every fs in fields {
		fs.field in {"eventCategory", "readOnly"}
		_equals_only(fs)
	}
}

_only_known_fields(fields, false) if {
	every fs in fields {
		_may_be_one_of_fields(fs)
	}
}

_equals_only(fs) if {
	every k, v in fs {
		_allowed_key(k, v)
	}
}

_allowed_key("field", _)

_allowed_key("equals", _)

_allowed_key(k, v) if {
	not k in {"field", "equals"}
	v in {null, []}
}

_may_be_one_of_fields(fs) if _opaque(fs.field)

_may_be_one_of_fields(fs) if {
	fs.field in {"eventCategory", "readOnly"}
	_equals_only(fs)
}

_may_be_field(fs, name) if fs.field == name

_may_be_field(fs, _) if _opaque(fs.field)

_may_equal(fs, value) if value in object.get(fs, "equals", [])

_may_equal(fs, _) if _opaque(object.get(fs, "equals", []))

# readOnly: absent records both; equals ["true"] reads, ["false"] writes.
_read_only(fields, known) := {"All"} if {
	count([fs | some fs in fields; fs.field == "readOnly"]) == 0
	count([fs | some fs in fields; _opaque(fs.field)]) == 0
} else := {rw |
	some fs in fields
	fs.field == "readOnly"
	some v in object.get(fs, "equals", [])
	rw := _read_only_value[v]
} | {"All" |
	not known
	some fs in fields
	_opaque_read_only(fs)
}

_read_only_value := {"true": "ReadOnly", "false": "WriteOnly", true: "ReadOnly", false: "WriteOnly"}

_opaque_read_only(fs) if _opaque(fs.field)

_opaque_read_only(fs) if {
	fs.field == "readOnly"
	_opaque(object.get(fs, "equals", []))
}
