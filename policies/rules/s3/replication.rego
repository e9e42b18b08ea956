# METADATA
# title: PHI buckets replicate to a versioned, KMS-encrypted bucket
# description: >-
#   Replication keeps a retrievable exact copy of every object in a second bucket (a data backup and
#   disaster recovery control). Every bucket that holds PHI or audit records (every bucket but server
#   access log targets, and but the replicas themselves) that replicates, through an
#   aws_s3_bucket_replication_configuration or the deprecated inline replication_configuration
#   block, must do so with an Enabled rule to a destination bucket of the stack that is versioned
#   (as IMGSEC-S3-003 reads it) and encrypts by default with SSE-KMS (as IMGSEC-S3-001 reads it);
#   for a source encrypted with SSE-KMS, the rule must replicate SSE-KMS objects
#   (source_selection_criteria.sse_kms_encrypted_objects Enabled; S3 skips them otherwise) and name
#   the key for the replicas (destination.encryption_configuration.replica_kms_key_id). A bucket
#   without replication fails while input.params.require_replication is true, as params.json ships
#   it, unless it is explicitly exempt: a bucket that keeps no replica on purpose (imgsec's dev
#   stack) carries the tag imgsec:replication-exempt whose value is the reason, and is reported as a
#   WARN with that reason in every run (a named, reported relaxation, never a silent PASS). The tag
#   without a reason is no exemption. With require_replication false, a bucket without replication
#   gets no result unless it is exempt (still a WARN). UNKNOWN, never PASS: a status, destination,
#   key or flag that is unknown; a destination bucket that is not in the stack (its versioning and
#   encryption cannot be seen); the destination's versioning or encryption unknown; with
#   require_replication, on a bucket that does not replicate, the exemption tag unknown, or a
#   replication configuration whose bucket is unknown (it may be this one).
# custom:
#   id: IMGSEC-S3-011
#   severity: medium
#   controls:
#     - 164.308(a)(7)(ii)(A)
#     - 164.308(a)(7)(ii)(B)
#     - 164.308(a)(7)(i)
#     - 164.312(c)(1)
#   resource_types:
#     - aws_s3_bucket
#   inputs:
#     - bucket
#     - rule.status
#     - rule.destination.bucket
#     - rule.destination.encryption_configuration.replica_kms_key_id
#     - rule.source_selection_criteria.sse_kms_encrypted_objects.status
#     - replication_configuration.rules.status
#     - replication_configuration.rules.destination.bucket
#     - replication_configuration.rules.destination.replica_kms_key_id
#     - replication_configuration.rules.source_selection_criteria.sse_kms_encrypted_objects.enabled
#     - versioning_configuration.status
#     - rule.apply_server_side_encryption_by_default.sse_algorithm
#     - tags.imgsec:replication-exempt
#   peers:
#     - cdk-nag:HIPAA.Security-S3BucketReplicationEnabled
#     - aws-config:s3-bucket-replication-enabled
#   remediation: >-
#     Replicate the bucket with an aws_s3_bucket_replication_configuration: an Enabled rule to a
#     versioned SSE-KMS bucket in another region, replicating SSE-KMS objects under
#     destination.encryption_configuration.replica_kms_key_id (SecureBucket's replication option).
#     A bucket that must keep no replica: tag it imgsec:replication-exempt = "<why>".
package imgsec.rules.s3.replication

import data.imgsec.lib
import data.imgsec.lib.relations
import data.imgsec.lib.s3
import data.imgsec.rules.s3.sse_kms
import data.imgsec.rules.s3.versioning

# Strict unless the params say otherwise: a missing parameter requires replication.
_required if object.get(input.params, "require_replication", true) == true

# The tag that exempts a bucket from replication; its value says why.
exempt_tag := "imgsec:replication-exempt"

_separate := "aws_s3_bucket_replication_configuration"

# ---- replication rules of a bucket, both forms --------------------------------------------------

# Each replication rule of a bucket as one view: where it is written, the attribute prefix for
# messages, and its status, destination bucket, replica key and SSE-KMS flag ("Enabled", a literal,
# null, or the unknown marker). The separate resource is authoritative: a plan shows the inline
# block computed from it, so the inline block counts only when there is none.
views(bucket) := _separate_views(bucket) if {
	count(_configurations(bucket)) > 0
} else := _inline_views(bucket)

_configurations(bucket) := lib.related(_separate, "bucket", bucket)

_separate_views(bucket) := [v |
	some r in _configurations(bucket)
	some rule in s3.instances(s3.value(r, "rule"))
	v := _view(r, "rule", rule, "rule", _one(s3.field(r, "rule", rule, "destination")))
]

_view(r, top, rule, prefix, destination) := {
	"where": r.address,
	"resource": r,
	"top": top,
	"prefix": prefix,
	"status": s3.field(r, top, rule, "status"),
	"bucket": s3.field(r, top, destination, "bucket"),
	"replica_key": s3.field(r, top, _one(s3.field(r, top, destination, "encryption_configuration")), "replica_kms_key_id"),
	"replica_key_attr": "destination.encryption_configuration.replica_kms_key_id",
	"sse_kms_objects": _enabled(s3.field(r, top, _sse_objects(r, top, rule), "status")),
	"sse_kms_attr": "source_selection_criteria.sse_kms_encrypted_objects.status",
}

_inline_views(bucket) := [v |
	top := "replication_configuration"
	some configuration in s3.instances(s3.value(bucket, top))
	some rule in s3.instances(s3.field(bucket, top, configuration, "rules"))
	destination := _one(s3.field(bucket, top, rule, "destination"))
	v := {
		"where": bucket.address,
		"resource": bucket,
		"top": top,
		"prefix": "replication_configuration.rules",
		"status": s3.field(bucket, top, rule, "status"),
		"bucket": s3.field(bucket, top, destination, "bucket"),
		"replica_key": s3.field(bucket, top, destination, "replica_kms_key_id"),
		"replica_key_attr": "destination.replica_kms_key_id",
		"sse_kms_objects": _flag(s3.field(bucket, top, _sse_objects(bucket, top, rule), "enabled")),
		"sse_kms_attr": "source_selection_criteria.sse_kms_encrypted_objects.enabled",
	}
]

# The first instance of a nested block (null when there is none; the marker when it is unknown).
_one(x) := s3.instances(x)[0]

_one(x) := null if count(s3.instances(x)) == 0

_sse_objects(r, top, rule) := _one(s3.field(r, top, criteria, "sse_kms_encrypted_objects")) if {
	criteria := _one(s3.field(r, top, rule, "source_selection_criteria"))
}

# A status as a flag: true for "Enabled", false otherwise, the value itself when unknown.
_enabled(v) := v if {
	lib.is_unknown(v)
} else if {
	v == "Enabled"
} else := false

_flag(v) := v if {
	lib.is_unknown(v)
} else if {
	lib.attrs.bool_value(v, false) == true
} else := false

_unknown(v) if lib.is_unknown(v)

# Computed once per bucket (functions are not memoized in WebAssembly).
_views[bucket.address] := views(bucket) if some bucket in lib.resources_of("aws_s3_bucket")

_enabled_views(bucket) := [v | some v in _views[bucket.address]; v.status == "Enabled"]

# ---- destinations ---------------------------------------------------------------------------------

# The bucket of the stack a view replicates to: by reference, by its literal name in an ARN, or (in
# a plan, where a new bucket's ARN is known only after apply) the one other bucket the rule refers to.
destination(v) := d if {
	is_string(v.bucket)
	m := regex.find_all_string_submatch_n(_bucket_reference, v.bucket, 1)
	count(m) == 1
	some d in lib.resources_of("aws_s3_bucket")
	d.config_address == m[0][1]
} else := d if {
	is_string(v.bucket)
	not contains(v.bucket, "${?}")
	parts := split(v.bucket, ":::")
	name := parts[count(parts) - 1]
	some d in lib.resources_of("aws_s3_bucket")
	lib.bucket_name(d) == name
} else := d if {
	_unknown(v.bucket)
	candidates := {b |
		some ref in object.get(v.resource.refs, v.top, [])
		some b in lib.resources_of("aws_s3_bucket")
		b.config_address == ref
		b.address != _source_address(v)
	}
	count(candidates) == 1
	some d in candidates
}

_source_address(v) := v.resource.address if v.resource.type == "aws_s3_bucket"

_source_address(v) := a if {
	v.resource.type == _separate
	some a in [b.address | some b in lib.resources_of("aws_s3_bucket"); lib.refers_to(v.resource, "bucket", b)]
}

_bucket_reference := concat("", [
	`^\$\{((?:module\.[^.]+\.)*aws_s3_bucket\.[^.}\[]+)`,
	`(?:\[[^\]]*\])?\.(?:arn|id|bucket)\}$`,
])

# Buckets that are replication destinations of another bucket of the stack: the copies, exempt.
replicas contains d.address if {
	some source in lib.resources_of("aws_s3_bucket")
	some v in _views[source.address]
	d := destination(v)
	d.address != source.address
}

# ---- verdicts -------------------------------------------------------------------------------------

_subjects := [b | some b in lib.phi_buckets; not b.address in replicas]

_at(v, attr) := concat("", [v.prefix, ".", attr, " on ", v.where])

_view_failures(source, v) := _destination_failures(v) | _encryption_failures(source, v) if {
	v.status == "Enabled"
}

_destination_failures(v) := {msg |
	d := destination(v)
	some msg in (_versioning_failures(d) | _sse_failures(d))
}

_versioning_failures(d) := {concat("", ["destination ", d.address, " has no versioning"])} if {
	count(versioning.statuses(d)) == 0
} else := {concat("", ["destination ", d.address, " versioning is ", _shown(status), ", not Enabled"]) |
	some [_, _, status] in versioning.statuses(d)
	status != "Enabled"
	status != lib.unknown_marker
}

_sse_failures(d) := {concat("", ["destination ", d.address, " has no default encryption"])} if {
	count(sse_kms.algorithms(d)) == 0
} else := {concat("", ["destination ", d.address, " default encryption is ", _shown(a), ", not SSE-KMS"]) |
	some [_, _, a] in sse_kms.algorithms(d)
	a != lib.unknown_marker
	not _kms(a)
}

_kms("aws:kms")

_shown(v) := v if {
	is_string(v)
	v != ""
} else := "not set"

# The source's objects are SSE-KMS: the rule must replicate them, under a key of its own choosing.
_encryption_failures(source, v) := {msg |
	_source_kms(source)
	v.sse_kms_objects == false
	msg := concat("", [_at(v, v.sse_kms_attr), " is not Enabled: objects encrypted with SSE-KMS are not replicated"])
} | {msg |
	_source_kms(source)
	not _unknown(v.replica_key)
	v.replica_key in {null, ""}
	msg := concat("", [_at(v, v.replica_key_attr), " is not set: replicas of SSE-KMS objects need a KMS key"])
}

_source_kms(source) if {
	some [_, _, a] in sse_kms.algorithms(source)
	_kms(a)
}

# Computed once per bucket, like _views.
_exemption[bucket.address] := relations.exemption(bucket, exempt_tag) if {
	some bucket in lib.resources_of("aws_s3_bucket")
}

# The bucket does not replicate: no Enabled rule, and no rule whose status is unknown.
_not_replicating(bucket) if {
	count(_enabled_views(bucket)) == 0
	count(_status_unknowns(bucket)) == 0
}

_exempt(bucket) if {
	_not_replicating(bucket)
	_exemption[bucket.address] == "exempt"
}

_failures(bucket) := {_no_replication[_exemption[bucket.address]]} if {
	_required
	_not_replicating(bucket)
	count(_unresolved_configurations) == 0
	_exemption[bucket.address] in {"none", "invalid"}
} else := {msg | some v in _views[bucket.address]; some msg in _view_failures(bucket, v)}

_no_replication := {
	"none": concat("", [
		"no replication: no Enabled aws_s3_bucket_replication_configuration rule for the bucket, ",
		"and no imgsec:replication-exempt tag saying why it keeps none",
	]),
	"invalid": concat("", [
		"no replication, and the tag imgsec:replication-exempt gives no reason: ",
		"an exemption must say why the bucket keeps no replica",
	]),
}

_status_unknowns(bucket) := {msg |
	some v in _views[bucket.address]
	_unknown(v.status)
	msg := concat("", [_at(v, "status"), " is unknown (not a literal): cannot show that replication is enabled"])
}

# Replication configurations whose bucket is unknown: with require_replication, any bucket may be theirs.
_unresolved_configurations := relations.unresolved(_separate, "bucket", "aws_s3_bucket")

_unknowns(bucket) := (((_status_unknowns(bucket) | {msg |
	_required
	count(_enabled_views(bucket)) == 0
	_exemption[bucket.address] != "exempt"
	some r in _unresolved_configurations
	msg := concat("", [
		"bucket is unknown (not a literal) on ", r.address,
		": cannot show whether it replicates this bucket",
	])
}) | {msg |
	_required
	_not_replicating(bucket)
	_exemption[bucket.address] == "unknown"
	msg := concat("", [
		"tags.", exempt_tag, " is unknown (not a literal): ",
		"cannot show whether the bucket is exempt from replication",
	])
}) | {msg |
	some v in _enabled_views(bucket)
	some msg in _view_unknowns(v)
}) | {msg |
	some v in _enabled_views(bucket)
	d := destination(v)
	some msg in _destination_unknowns(d)
}

_unseen := ": cannot show that it is versioned and encrypted with SSE-KMS"

_view_unknowns(v) := {concat("", [_at(v, "destination.bucket"), " is unknown (not a literal)", _unseen])} if {
	_unknown(v.bucket)
	not destination(v)
} else := {msg} if {
	not destination(v)
	msg := concat("", [
		"destination ", v.bucket, " (", _at(v, "destination.bucket"), ")",
		" is not a bucket of the stack", _unseen,
	])
} else := {msg |
	some [field, attr] in [["sse_kms_objects", v.sse_kms_attr], ["replica_key", v.replica_key_attr]]
	_unknown(v[field])
	msg := concat("", [
		_at(v, attr),
		" is unknown (not a literal): cannot show that SSE-KMS objects are replicated under a KMS key",
	])
}

_destination_unknowns(d) := {msg |
	some [where, attr, status] in versioning.statuses(d)
	status == lib.unknown_marker
	msg := concat("", [_unknown_on(attr, where), "the destination ", d.address, " is versioned"])
} | {msg |
	some [where, attr, a] in sse_kms.algorithms(d)
	a == lib.unknown_marker
	msg := concat("", [_unknown_on(attr, where), "the destination ", d.address, " encrypts with SSE-KMS"])
}

_unknown_on(attr, where) := concat("", [attr, " is unknown (not a literal) on ", where, ": cannot show that "])

_destinations(bucket) := concat(", ", sort({d.address | some v in _enabled_views(bucket); d := destination(v)}))

_judged(_) if _required

_judged(bucket) if count(_views[bucket.address]) > 0

results contains lib.pass(bucket, msg) if {
	some bucket in _subjects
	_judged(bucket)
	count(_enabled_views(bucket)) > 0
	count(_failures(bucket)) == 0
	count(_unknowns(bucket)) == 0
	msg := concat("", ["replicates to ", _destinations(bucket), ": versioned, encrypted with SSE-KMS"])
}

results contains lib.fail(bucket, msg) if {
	some bucket in _subjects
	_judged(bucket)
	some msg in _failures(bucket)
}

results contains lib.unknown(bucket, msg) if {
	some bucket in _subjects
	_judged(bucket)
	count(_failures(bucket)) == 0
	some msg in _unknowns(bucket)
}

# An exempt bucket that keeps no replica: reported with its reason in every run, whatever
# require_replication says.
results contains lib.warn(bucket, msg) if {
	some bucket in _subjects
	_exempt(bucket)
	msg := concat("", [
		"no replication: exempt (tag ", exempt_tag, "): ",
		relations.exemption_reason(bucket, exempt_tag),
	])
}
