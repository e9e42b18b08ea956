# METADATA
# title: CloudTrail records S3 object-level reads and writes on every PHI bucket
# description: >-
#   Management events do not show who read or wrote a PHI object. For every bucket that holds PHI or
#   audit records (every aws_s3_bucket that is not only a server access log target), some trail in
#   the stack that is logging (enable_logging not false) must record S3 data events for all of its
#   objects, both reads and writes. A basic event_selector counts when a data_resource of type
#   AWS::S3::Object lists the bucket's ARN prefix (arn:<partition>:s3:::<bucket name>/, the name as
#   written, `${...}` references included, or `${aws_s3_bucket.X.arn}/`) or all buckets (arn:<p>:s3 or
#   arn:<p>:s3:::), with read_write_type All (the default) or ReadOnly and WriteOnly selectors
#   together. An advanced_event_selector counts when its field selectors are eventCategory = Data and
#   resources.type = AWS::S3::Object, optionally readOnly (equals) and resources.ARN with starts_with
#   (a prefix of the bucket's ARN prefix) and not_starts_with (no value overlapping the bucket);
#   selectors with any other field or ARN operator (eventName, equals, ends_with, ...) are taken to
#   record only part of the bucket's events and do not count.
# custom:
#   id: IMGSEC-CT-005
#   severity: high
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#   resource_types:
#     - aws_s3_bucket
#     - aws_cloudtrail
#   remediation: >-
#     Add the bucket's ARN prefix ("${aws_s3_bucket.X.arn}/" or arn:<partition>:s3:::<name>/) to a trail's
#     event_selector data_resource of type AWS::S3::Object with read_write_type "All" (AuditTrail does
#     this for the buckets passed as dataEventBuckets).
package imgsec.rules.cloudtrail.s3_data_events

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(bucket, concat("", ["CloudTrail records S3 data events (reads and writes) for ", label])) if {
	some bucket in lib.phi_buckets
	_complete(_coverage(bucket))
	label := _label(bucket)
}

results contains lib.fail(bucket, concat("", ["no logging CloudTrail trail records S3 data events for ", label])) if {
	some bucket in lib.phi_buckets
	count(_coverage(bucket)) == 0
	label := _label(bucket)
}

results contains lib.fail(bucket, msg) if {
	some bucket in lib.phi_buckets
	cov := _coverage(bucket)
	count(cov) > 0
	not _complete(cov)
	msg := concat("", [
		"CloudTrail records only ", concat("/", sort(cov)), " S3 data events for ", _label(bucket),
		": both reads and writes must be recorded",
	])
}

_label(bucket) := concat("", ["bucket ", lib.bucket_name(bucket)]) if lib.bucket_name(bucket) != ""

_label(bucket) := bucket.address if lib.bucket_name(bucket) == ""

_complete(cov) if "All" in cov

_complete(cov) if {
	"ReadOnly" in cov
	"WriteOnly" in cov
}

_recording_trails := [t |
	some t in lib.resources_of("aws_cloudtrail")
	object.get(t.values, "enable_logging", true) != false
]

# The read/write types of data events recorded for the bucket, by basic and advanced selectors.
_coverage(bucket) := _basic_coverage(bucket) | _advanced_coverage(bucket)

_basic_coverage(bucket) := {rw |
	some trail in _recording_trails
	some selector in attrs.blocks(trail, "event_selector")
	some resource in lib.as_array(object.get(selector, "data_resource", []))
	resource.type == "AWS::S3::Object"
	some v in lib.as_array(object.get(resource, "values", []))
	_selects_bucket(v, bucket)
	rw := object.get(selector, "read_write_type", "All")
}

_advanced_coverage(bucket) := {rw |
	some trail in _recording_trails
	some selector in attrs.blocks(trail, "advanced_event_selector")
	fields := [f | some f in lib.as_array(object.get(selector, "field_selector", [])); is_object(f)]
	_records_s3_objects(fields)
	_arn_fields_select(fields, bucket)
	rw := _advanced_read_write(fields)
}

_records_s3_objects(fields) if {
	_equals(fields, "eventCategory", "Data")
	_equals(fields, "resources.type", "AWS::S3::Object")
	every f in fields {
		_understood(f)
	}
}

# The bucket's ARN prefix, with the partition written as "aws" (attrs.canonical_arn).
_prefixes(bucket) := {p |
	some p in [
		concat("", ["${", bucket.config_address, ".arn}/"]),
		concat("", ["arn:aws:s3:::", lib.bucket_name(bucket), "/"]),
	]
	p != "arn:aws:s3:::/"
}

_selects_bucket(v, bucket) if attrs.canonical_arn(v) in _prefixes(bucket)

_selects_bucket(v, _) if attrs.canonical_arn(v) in {"arn:aws:s3", "arn:aws:s3:::"}

_equals(fields, field, value) if {
	some f in fields
	f.field == field
	value in lib.as_array(object.get(f, "equals", []))
}

_operators(f) := {op | some op, v in f; op != "field"; attrs.present(v)}

_understood(f) if f.field in {"eventCategory", "resources.type"}

_understood(f) if {
	f.field == "readOnly"
	_operators(f) == {"equals"}
}

_understood(f) if {
	f.field == "resources.ARN"
	count(_operators(f) - {"starts_with", "not_starts_with"}) == 0
}

_arn_fields_select(fields, bucket) if {
	every f in fields {
		_arn_field_selects(f, bucket)
	}
}

_arn_field_selects(f, _) if f.field != "resources.ARN"

_arn_field_selects(f, bucket) if {
	f.field == "resources.ARN"
	_starts_with_includes(f, bucket)
	not _not_starts_with_overlaps(f, bucket)
}

_starts_with_includes(f, _) if not "starts_with" in _operators(f)

_starts_with_includes(f, bucket) if {
	some v in lib.as_array(f.starts_with)
	cv := attrs.canonical_arn(v)
	cv != ""
	some p in _prefixes(bucket)
	startswith(p, cv)
}

_not_starts_with_overlaps(f, bucket) if {
	some v in lib.as_array(object.get(f, "not_starts_with", []))
	cv := attrs.canonical_arn(v)
	some p in _prefixes(bucket)
	_overlaps(p, cv)
}

_overlaps(p, cv) if startswith(p, cv)

_overlaps(p, cv) if startswith(cv, p)

_advanced_read_write(fields) := "All" if {
	not "readOnly" in {f.field | some f in fields}
} else := rw if {
	some f in fields
	f.field == "readOnly"
	rw := _read_write_of({v | some v in lib.as_array(f.equals)})
}

_read_write_of(values) := "ReadOnly" if values == {"true"}

_read_write_of(values) := "WriteOnly" if values == {"false"}

_read_write_of(values) := "All" if values == {"true", "false"}
