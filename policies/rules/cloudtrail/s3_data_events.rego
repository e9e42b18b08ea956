# METADATA
# title: CloudTrail records S3 object-level reads and writes on every PHI bucket
# description: >-
#   Management events do not show who read or wrote a PHI object. For every bucket that holds PHI or
#   audit records (every aws_s3_bucket that is not only a server access log target), some trail in
#   the stack that is logging (enable_logging true, the default) must record S3 data events for all
#   of its objects, both reads and writes. A basic event_selector counts when a data_resource of type
#   AWS::S3::Object lists the bucket's ARN prefix (arn:<partition>:s3:::<bucket name>/, the name as
#   written, `${...}` references included, or `${aws_s3_bucket.X.arn}/`) or all buckets (arn:<p>:s3 or
#   arn:<p>:s3:::), with read_write_type All (the default) or ReadOnly and WriteOnly selectors
#   together. An advanced_event_selector counts when its field selectors are eventCategory = Data and
#   resources.type = AWS::S3::Object, optionally readOnly (equals) and resources.ARN with starts_with
#   (a prefix of the bucket's ARN prefix) and not_starts_with (no value overlapping the bucket);
#   selectors with any other field or ARN operator (eventName, equals, ends_with, ...) are taken to
#   record only part of the bucket's events and do not count. Only known values count towards a PASS:
#   when the known values leave the bucket uncovered but values that are not known (enable_logging,
#   a selector, its read_write_type, types, ARNs or field values, or the bucket's name, written as a
#   variable or function result or known only after apply) could complete the coverage, the bucket is
#   UNKNOWN; when even those could not, it fails.
# custom:
#   id: IMGSEC-CT-005
#   severity: high
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#   resource_types:
#     - aws_s3_bucket
#     - aws_cloudtrail
#   inputs:
#     - bucket
#     - enable_logging
#     - event_selector
#     - event_selector.read_write_type
#     - event_selector.data_resource.type
#     - event_selector.data_resource.values
#     - advanced_event_selector
#     - advanced_event_selector.field_selector.field
#     - advanced_event_selector.field_selector.equals
#     - advanced_event_selector.field_selector.starts_with
#     - advanced_event_selector.field_selector.not_starts_with
#   peers:
#     - aws-config:cloudtrail-s3-dataevents-enabled
#     - prowler:cloudtrail_s3_dataevents_read_enabled
#     - prowler:cloudtrail_s3_dataevents_write_enabled
#   remediation: >-
#     Add the bucket's ARN prefix ("${aws_s3_bucket.X.arn}/" or arn:<partition>:s3:::<name>/) to a trail's
#     event_selector data_resource of type AWS::S3::Object with read_write_type "All" (AuditTrail does
#     this for the buckets passed as dataEventBuckets).
package imgsec.rules.cloudtrail.s3_data_events

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(bucket, concat("", ["CloudTrail records S3 data events (reads and writes) for ", label])) if {
	some bucket in lib.phi_buckets
	_complete(_coverage(bucket, true))
	label := _label(bucket)
}

results contains lib.fail(bucket, concat("", ["no logging CloudTrail trail records S3 data events for ", label])) if {
	some bucket in lib.phi_buckets
	count(_coverage(bucket, false)) == 0
	label := _label(bucket)
}

results contains lib.fail(bucket, msg) if {
	some bucket in lib.phi_buckets
	cov := _coverage(bucket, false)
	count(cov) > 0
	not _complete(cov)
	msg := concat("", [
		"CloudTrail records only ", concat("/", sort(cov)), " S3 data events for ", _label(bucket),
		": both reads and writes must be recorded",
	])
}

results contains lib.unknown(bucket, concat("", [reason, _unknown_message, _label(bucket)])) if {
	some bucket in lib.phi_buckets
	_unknown(bucket)
	some reason in _reasons(bucket)
}

results contains lib.unknown(bucket, concat("", ["the event selectors", _unknown_message, _label(bucket)])) if {
	some bucket in lib.phi_buckets
	_unknown(bucket)
	count(_reasons(bucket)) == 0
}

_unknown_message := concat("", [
	" is unknown (not a literal): cannot show that CloudTrail records S3 data events (reads and writes)",
	" for ",
])

# Known values do not cover the bucket, values that are not known could.
_unknown(bucket) if {
	not _complete(_coverage(bucket, true))
	_complete(_coverage(bucket, false))
}

_label(bucket) := concat("", ["bucket ", lib.bucket_name(bucket)]) if lib.bucket_name(bucket) != ""

_label(bucket) := bucket.address if lib.bucket_name(bucket) == ""

_complete(cov) if "All" in cov

_complete(cov) if {
	"ReadOnly" in cov
	"WriteOnly" in cov
}

# Throughout, `known` selects one of two readings: true, what the known values certainly record (an
# unknown value records nothing); false, what the trails may record once unknown values are known
# (an unknown value records whatever would complete the coverage). UNKNOWN lies between the two.

# The read/write types of data events recorded for the bucket, by basic and advanced selectors.
_coverage(bucket, known) := {rw |
	some trail in lib.resources_of("aws_cloudtrail")
	_records(trail, known)
	some rw in _trail_coverage(trail, bucket, known)
}

# enable_logging defaults to true: only a literal false stops the trail.
_records(trail, true) if attrs.bool(trail, "enable_logging", true) == true

_records(trail, false) if attrs.bool(trail, "enable_logging", true) != false

_blocks := {"event_selector": {"read_write_type", "data_resource"}, "advanced_event_selector": {"field_selector"}}

_trail_coverage(trail, bucket, known) := {rw |
	some block, _ in _blocks
	some selector in attrs.blocks(trail, block)
	some rw in _selector_coverage(trail, block, selector, bucket, known)
} | {"All" |
	not known
	some block, _ in _blocks
	_block_unknown(trail, block)
}

# One selector of either block.
_selector_coverage(trail, "event_selector", sel, bucket, known) := _basic(trail, sel, bucket, known)

_selector_coverage(trail, "advanced_event_selector", sel, bucket, known) := _advanced(trail, sel, bucket, known)

# A whole block that is unknown: a variable, or (plan) absent but referenced.
_block_unknown(trail, block) if {
	some b in lib.as_array(object.get(trail.values, block, []))
	not is_object(b)
	lib.is_unknown(b)
}

_block_unknown(trail, block) if {
	not _written(trail.values, block)
	count(object.get(trail.refs, block, [])) > 0
}

_written(obj, key) if {
	some k, _ in obj
	k == key
}

# The list elements of a value, a plan's null element (known only after apply: the block is
# referenced) as unknown; an absent or null operator has none.
_elements(_, _, null) := []

_elements(trail, block, v) := [_pending(trail, block, x) | some x in lib.as_array(v)] if v != null

_pending(trail, block, x) := lib.unknown_marker if _is_pending(trail, block, x)

else := x

_is_pending(trail, block, null) if count(object.get(trail.refs, block, [])) > 0

# A value that is unknown, or taken from another resource's attribute: as an enumeration value
# (read_write_type, a field name, ...), it could be anything.
_opaque(v) if lib.is_unknown(v)

_opaque(v) if {
	is_string(v)
	contains(v, "${")
}

_may_be(v, literal) if v == literal

_may_be(v, literal) if lib.could_be(v, literal)

_may_be(v, _) if _opaque(v)

# ---- basic event selectors

_basic(trail, selector, bucket, known) := {rw |
	some resource in lib.as_array(object.get(selector, "data_resource", []))
	_s3_objects(resource, known)
	some v in _resource_values(trail, resource)
	_selects(v, bucket, known)
	some rw in _read_write_type(selector, known)
}

_s3_objects(resource, true) if resource.type == "AWS::S3::Object"

_s3_objects(resource, false) if {
	is_object(resource)
	_may_be(resource.type, "AWS::S3::Object")
}

_s3_objects(resource, false) if {
	not is_object(resource)
	lib.is_unknown(resource)
}

_resource_values(trail, resource) := _elements(trail, "event_selector", object.get(resource, "values", [])) if {
	is_object(resource)
} else := [lib.unknown_marker]

_read_write_type(selector, known) := {"All"} if {
	object.get(selector, "read_write_type", null) == null
} else := {selector.read_write_type} if {
	not _opaque(selector.read_write_type)
} else := {"All"} if {
	not known
} else := set()

# The bucket's ARN prefix, with the partition written as "aws" (attrs.canonical_arn).
_ref_prefix(bucket) := concat("", ["${", bucket.config_address, ".arn}/"])

_name_prefix(bucket) := concat("", ["arn:aws:s3:::", lib.bucket_name(bucket), "/"]) if lib.bucket_name(bucket) != ""

_prefixes(bucket) := {_ref_prefix(bucket)} | {p | p := _name_prefix(bucket)}

_all_buckets := {"arn:aws:s3", "arn:aws:s3:::"}

_selects(v, bucket, true) if {
	is_string(v)
	cv := attrs.canonical_arn(v)
	not lib.is_unknown(cv)
	_names_bucket(cv, bucket)
}

_selects(v, bucket, false) if {
	is_string(v)
	cv := attrs.canonical_arn(v)
	some p in (_prefixes(bucket) | _all_buckets)
	_could_equal(cv, p)
}

_names_bucket(cv, _) if cv in _all_buckets

_names_bucket(cv, bucket) if cv == _ref_prefix(bucket)

_names_bucket(cv, bucket) if {
	not lib.is_unknown(lib.bucket_name(bucket))
	cv == _name_prefix(bucket)
}

_could_equal(a, b) if a == b

_could_equal(a, b) if lib.could_be(a, b)

_could_equal(a, b) if lib.could_be(b, a)

_could_equal(a, b) if {
	lib.is_unknown(a)
	lib.is_unknown(b)
	_leads_compatible(a, b)
}

# The known text before the first unknown part of each is a prefix of the other's.
_leads_compatible(a, b) if startswith(_lead(a), _lead(b))

_leads_compatible(a, b) if startswith(_lead(b), _lead(a))

_lead(s) := split(s, lib.unknown_marker)[0]

# ---- advanced event selectors

_advanced(trail, selector, bucket, known) := {rw |
	entries := lib.as_array(object.get(selector, "field_selector", []))
	fields := [f | some f in entries; is_object(f)]
	unknown_fields := [e | some e in entries; not is_object(e); lib.is_unknown(e)]
	_fields_known(unknown_fields, known)
	_records_s3_objects(trail, fields, unknown_fields, known)
	_arn_fields_select(trail, fields, bucket, known)
	some rw in _advanced_read_write(trail, fields, unknown_fields, known)
}

_fields_known(unknown_fields, true) if count(unknown_fields) == 0

_fields_known(_, false)

_records_s3_objects(trail, fields, unknown_fields, known) if {
	_equals(trail, fields, unknown_fields, "eventCategory", "Data", known)
	_equals(trail, fields, unknown_fields, "resources.type", "AWS::S3::Object", known)
	every f in fields {
		_understood(f, known)
	}
}

_equals(trail, fields, _, field, value, true) if {
	some f in fields
	f.field == field
	value in _elements(trail, "advanced_event_selector", object.get(f, "equals", null))
}

_equals(trail, fields, _, field, value, false) if {
	some f in fields
	_may_be(f.field, field)
	some v in _elements(trail, "advanced_event_selector", object.get(f, "equals", null))
	_may_be(v, value)
}

_equals(_, _, unknown_fields, _, _, false) if count(unknown_fields) > 0

_operators(f) := {op | some op, v in f; op != "field"; attrs.present(v)}

_understood(f, _) if f.field in {"eventCategory", "resources.type"}

_understood(f, _) if {
	f.field == "readOnly"
	_operators(f) == {"equals"}
}

_understood(f, _) if {
	f.field == "resources.ARN"
	count(_operators(f) - {"starts_with", "not_starts_with"}) == 0
}

_understood(f, false) if _opaque(f.field)

_arn_fields_select(trail, fields, bucket, known) if {
	every f in fields {
		_arn_field_selects(trail, f, bucket, known)
	}
}

_arn_field_selects(_, f, _, _) if f.field != "resources.ARN"

_arn_field_selects(trail, f, bucket, true) if {
	f.field == "resources.ARN"
	_starts_with_includes(trail, f, bucket, true)
	not _excludes(trail, f, bucket, false)
}

_arn_field_selects(trail, f, bucket, false) if {
	f.field == "resources.ARN"
	_starts_with_includes(trail, f, bucket, false)
	not _excludes(trail, f, bucket, true)
}

_starts_with_includes(_, f, _, _) if not "starts_with" in _operators(f)

_starts_with_includes(trail, f, bucket, true) if {
	some v in _elements(trail, "advanced_event_selector", f.starts_with)
	cv := attrs.canonical_arn(v)
	cv != ""
	not lib.is_unknown(cv)
	some p in _prefixes(bucket)
	startswith(p, cv)
}

_starts_with_includes(trail, f, bucket, false) if {
	some v in _elements(trail, "advanced_event_selector", f.starts_with)
	cv := attrs.canonical_arn(v)
	cv != ""
	some p in _prefixes(bucket)
	_may_start_with(p, cv)
}

_may_start_with(p, cv) if startswith(p, cv)

_may_start_with(p, cv) if {
	_either_unknown(p, cv)
	_leads_compatible(p, cv)
}

_either_unknown(a, _) if lib.is_unknown(a)

_either_unknown(_, b) if lib.is_unknown(b)

# A not_starts_with value overlaps the bucket's objects: certainly (`certain`), or possibly.
_excludes(trail, f, bucket, certain) if {
	some v in _elements(trail, "advanced_event_selector", object.get(f, "not_starts_with", []))
	cv := attrs.canonical_arn(v)
	some p in _prefixes(bucket)
	_overlaps(p, cv, certain)
}

_overlaps(p, cv, _) if {
	not lib.is_unknown(cv)
	startswith(p, cv)
}

_overlaps(p, cv, _) if {
	not lib.is_unknown(cv)
	startswith(cv, p)
}

_overlaps(p, cv, false) if {
	_either_unknown(p, cv)
	_leads_compatible(p, cv)
}

_advanced_read_write(trail, fields, unknown_fields, false) := {"All"} if {
	_read_write_open(trail, fields, unknown_fields)
} else := _known_read_write(trail, fields)

_advanced_read_write(trail, fields, _, true) := _known_read_write(trail, fields)

# A field that is unknown, or unknown readOnly values, may leave reads and writes unfiltered.
_read_write_open(_, _, unknown_fields) if count(unknown_fields) > 0

_read_write_open(_, fields, _) if {
	some f in fields
	_opaque(f.field)
}

_read_write_open(trail, fields, _) if {
	some f in fields
	f.field == "readOnly"
	some v in _elements(trail, "advanced_event_selector", object.get(f, "equals", null))
	_opaque(v)
}

_known_read_write(trail, fields) := {"All"} if {
	not "readOnly" in {f.field | some f in fields}
} else := {rw |
	some f in fields
	f.field == "readOnly"
	rw := _read_write_of({v | some v in _elements(trail, "advanced_event_selector", object.get(f, "equals", null))})
}

_read_write_of(values) := "ReadOnly" if values == {"true"}

_read_write_of(values) := "WriteOnly" if values == {"false"}

_read_write_of(values) := "All" if values == {"true", "false"}

# ---- what is unknown, for the messages

# The unknown values of the trails that may record data events for the bucket, as
# <address>.<attribute path>: enable_logging, whole blocks, and the values in a selector that may
# record more than it certainly does; and the bucket's name when it is unknown.
_reasons(bucket) := {reason |
	some trail in lib.resources_of("aws_cloudtrail")
	_records(trail, false)
	count(_trail_coverage(trail, bucket, false)) > 0
	some reason in _trail_reasons(trail, bucket)
}

_trail_reasons(trail, bucket) := ({concat(".", [trail.address, "enable_logging"]) |
	attrs.bool(trail, "enable_logging", true) == "unknown"
} | {concat(".", [trail.address, block]) |
	some block, _ in _blocks
	_block_unknown(trail, block)
}) | {reason |
	some block, keys in _blocks
	some selector in attrs.blocks(trail, block)
	may := _selector_coverage(trail, block, selector, bucket, false)
	count(may - _selector_coverage(trail, block, selector, bucket, true)) > 0
	some reason in _or_block(_unknown_paths(trail, block, selector, keys) | _name_reason(bucket), trail, block)
}

_name_reason(bucket) := {concat(".", [bucket.address, "bucket"]) | lib.is_unknown(lib.bucket_name(bucket))}

_or_block(reasons, _, _) := reasons if count(reasons) > 0

_or_block(reasons, trail, block) := {concat(".", [trail.address, block])} if count(reasons) == 0

_unknown_paths(trail, block, selector, keys) := {concat(".", array.concat([trail.address, block], names)) |
	walk(object.filter(selector, keys), [path, x])
	_unknown_leaf(trail, block, path, x)
	names := [k | some k in path; is_string(k)]
}

_unknown_leaf(_, _, _, x) if {
	is_string(x)
	lib.is_unknown(x)
}

# A reference where an enumeration value belongs (read_write_type, type, field, equals).
_unknown_leaf(_, _, path, x) if {
	_opaque(x)
	names := [k | some k in path; is_string(k)]
	names[count(names) - 1] in {"read_write_type", "type", "field", "equals"}
}

_unknown_leaf(trail, block, path, null) if {
	is_number(path[count(path) - 1])
	_is_pending(trail, block, null)
}
