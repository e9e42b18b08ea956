# METADATA
# title: No IAM policy grants service-wide wildcards on PHI buckets or keys
# description: >-
#   Checks the same permission policies as IMGSEC-IAM-001, plus the attachment resources
#   (aws_iam_role_policy_attachment, aws_iam_user_policy_attachment,
#   aws_iam_group_policy_attachment, aws_iam_policy_attachment,
#   aws_ssoadmin_managed_policy_attachment) and aws_iam_role managed_policy_arns. An Allow statement
#   (a statement without an Effect counts as one) must not grant every S3 action ("s3:*", "*", or a
#   NotAction that does not exclude s3:*) on a PHI bucket (lib.phi_buckets), nor every KMS action
#   ("kms:*", "*", or such a NotAction) on a KMS key of the stack (all of them protect PHI, audit
#   records or logs). A statement covers a bucket when a Resource is "*", refers to the bucket
#   (`${aws_s3_bucket.X.arn|id|bucket}`), contains its name, or is a wildcard ARN that may match it
#   (arn:<p>:s3:::*, arn:<p>:s3:::imgsec-*, ...); it covers a key when a Resource is "*", refers to
#   the key (`${aws_kms_key.X.arn|key_id|id}`), contains its ARN or is a wildcard key ARN
#   (arn:<p>:kms:*:*:key/*); with NotResource, unless the NotResource names it. The AWS managed
#   policies AdministratorAccess, PowerUserAccess, AmazonS3FullAccess and
#   AWSKeyManagementServicePowerUser must not be attached (also through a data.aws_iam_policy that
#   names them). A document that is not JSON fails. UNKNOWN, never PASS: a document that is unknown
#   (a variable, jsonencode(...), a plan value known only after apply); a statement whose Effect,
#   Action/NotAction or Resource/NotResource is unknown and could make it such a grant (Action
#   "${var.act}" or "s3:${var.x}" could be "s3:*", Resource "arn:aws:s3:::${var.b}/*" could name a
#   PHI bucket); a policy_arn or managed_policy_arns entry that is unknown and could be one of those
#   managed policies. A PHI bucket whose name is partly unknown is matched as if each unknown part
#   were "*".
# custom:
#   id: IMGSEC-IAM-002
#   severity: critical
#   controls:
#     - 164.308(a)(4)(ii)(B)
#     - 164.312(a)(1)
#     - 164.308(a)(3)(ii)(A)
#     - 164.308(a)(4)(ii)(C)
#   resource_types:
#     - aws_iam_policy
#     - aws_iam_role_policy
#     - aws_iam_user_policy
#     - aws_iam_group_policy
#     - aws_iam_role
#     - aws_ssoadmin_permission_set_inline_policy
#     - aws_iam_role_policy_attachment
#     - aws_iam_user_policy_attachment
#     - aws_iam_group_policy_attachment
#     - aws_iam_policy_attachment
#     - aws_ssoadmin_managed_policy_attachment
#   inputs:
#     - policy
#     - inline_policy
#     - inline_policy.policy
#     - policy.Effect
#     - policy.Action
#     - policy.NotAction
#     - policy.Resource
#     - policy.NotResource
#     - policy_arn
#     - managed_policy_arn
#     - managed_policy_arns
#   peers:
#     - prowler:iam_aws_attached_policy_no_administrative_privileges
#   remediation: >-
#     Grant only the S3 and KMS actions the principal needs (e.g. s3:GetObject, kms:Decrypt) on the
#     specific bucket ARNs and key ARN, and replace broad AWS managed policies with scoped ones.
package imgsec.rules.iam.no_admin_phi_access

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.iam

broad_managed_policies := {
	"AdministratorAccess",
	"PowerUserAccess",
	"AmazonS3FullAccess",
	"AWSKeyManagementServicePowerUser",
}

# Resources the rule checks: permission policy holders, attachments, roles with managed_policy_arns.
_subjects[r.address] := r if some r in iam.holders

_subjects[r.address] := r if some r in iam.attachers

results contains lib.pass(r, "grants no service-wide S3 or KMS wildcard on PHI buckets or keys") if {
	some r in _subjects
	count(_problems(r)) == 0
	count(_unknowns(r)) == 0
}

results contains lib.fail(r, problem) if {
	some r in _subjects
	some problem in _problems(r)
}

results contains lib.unknown(r, message) if {
	some r in _subjects
	count(_problems(r)) == 0
	some message in _unknowns(r)
}

_problems(r) := {f.message | some f in _findings(r); f.status == "FAIL"}

_unknowns(r) := {f.message | some f in _findings(r); f.status == "UNKNOWN"}

_findings(r) := _document_findings(r) | _attachment_findings(r)

# ---- policy documents ---------------------------------------------------------------------------

_document_findings(r) := {f |
	some name, doc in iam.documents(r)
	some f in _in_document(name, doc)
}

_in_document(name, doc) := {_fail(concat("", [name, " is not a JSON policy document: it cannot be checked"]))} if {
	doc == null
} else := {_unknown(iam.unknown_document_message(name, _safe))} if {
	lib.document_unknown(doc)
} else := {_statement_finding(name, doc, i, t, parts) |
	some i, s in iam.may_allow_statements(doc)
	some t in _targets
	parts := _unknown_parts(s, t, _grant(s, t.service), _cover(s, t.resource, t.kind))
}

_safe := "it grants no service-wide S3 or KMS wildcard on PHI buckets or keys"

_fail(message) := {"status": "FAIL", "message": message}

_unknown(message) := {"status": "UNKNOWN", "message": message}

# What a statement must not grant: every s3 action on a PHI bucket, every kms action on a key.
_targets := array.concat(
	[{"service": "s3", "kind": "bucket", "resource": b, "label": _bucket_label(b)} | some b in lib.phi_buckets],
	[{"service": "kms", "kind": "key", "resource": k, "label": k.address} | some k in lib.resources_of("aws_kms_key")],
)

_grant_text(t) := concat("", ["every ", t.service, " action on PHI ", t.kind, " ", t.label])

_statement_finding(name, doc, i, t, []) := _fail(concat("", [iam.where(name, doc, i), " grants ", _grant_text(t)]))

_statement_finding(name, doc, i, t, parts) := _unknown(iam.unknown_statement_message(
	name, doc, i, parts,
	concat("", ["it does not grant ", _grant_text(t)]),
)) if {
	count(parts) > 0
}

# The parts of a statement that may, but need not, make it grant the service on the target (each
# of Effect, grant and cover is "yes" or "maybe"; undefined when it cannot). A cover is
# "maybe_target" when only the target bucket's name is unknown.
_unknown_parts(s, target, grant, cover) := [part |
	some [part, maybe] in [
		["Effect", lib.effect_unknown(s)],
		[_action_key(s), grant == "maybe"],
		[_resource_key(s), cover == "maybe"],
		[concat("", [target.resource.address, ".bucket"]), cover == "maybe_target"],
	]
	maybe
]

_action_key(s) := "NotAction" if iam.has_not_action(s)

_action_key(s) := "Action" if not iam.has_not_action(s)

_resource_key(s) := "NotResource" if iam.has_not_resource(s)

_resource_key(s) := "Resource" if not iam.has_not_resource(s)

_grant(s, service) := "yes" if {
	iam.grants_service(s, service)
} else := "maybe" if {
	iam.may_grant_service(s, service)
}

# The statement's Resource (or NotResource) covers the target: "yes", "maybe" (an unknown pattern
# may match it), "maybe_target" (a known pattern may match the partly unknown target), or undefined.
_cover(s, target, kind) := _best({_match(kind, p, target) | some p in iam.resources(s)}) if {
	not iam.has_not_resource(s)
}

_cover(s, target, kind) := _cover_not(excluded) if {
	iam.has_not_resource(s)
	excluded := {_match(kind, p, target) | some p in iam.not_resources(s)}
}

_best(verdicts) := "yes" if {
	"yes" in verdicts
} else := "maybe" if {
	"maybe" in verdicts
} else := "maybe_target" if {
	"maybe_target" in verdicts
}

# A NotResource covers the target unless one of its patterns names it.
_cover_not(excluded) := "yes" if {
	count(excluded) == 0
} else := "maybe" if {
	not "yes" in excluded
	"maybe" in excluded
} else := "maybe_target" if {
	not "yes" in excluded
}

_match(kind, pattern, target) := "yes" if {
	_matches(kind, pattern, target)
} else := "maybe" if {
	_may_match(kind, pattern, target)
	lib.is_unknown(_opaque(attrs.canonical_arn(pattern)))
} else := "maybe_target" if {
	_may_match(kind, pattern, target)
}

_matches("bucket", pattern, target) if _bucket_matches(pattern, target)

_matches("key", pattern, target) if _key_matches(pattern, target)

_may_match("bucket", pattern, target) if _bucket_may_match(pattern, target)

_may_match("key", pattern, target) if _key_may_match(pattern, target)

# A pattern with its partition canonical and, for the "may" checks, every reference the rule
# cannot resolve (anything but a bucket or key of the stack) written as unknown.
_known_arn(pattern) := arn if {
	arn := attrs.canonical_arn(pattern)
	not lib.is_unknown(arn)
}

_as_wildcards(v) := iam.unknown_as_wildcard(_opaque(v))

# ---- buckets ------------------------------------------------------------------------------------

_bucket_matches("*", _)

_bucket_matches(pattern, bucket) if _bucket_reference(pattern, bucket)

_bucket_matches(pattern, bucket) if {
	name := _known_name(bucket)
	contains(_known_arn(pattern), name)
}

_bucket_matches(pattern, bucket) if {
	arn := _known_arn(pattern)
	iam.has_wildcard(arn)
	iam.may_match(split(arn, "/")[0], concat("", ["arn:aws:s3:::", _known_name(bucket)]))
}

# arn:<p>:s3:::<prefix>* matches every bucket whose name starts with <prefix>, known or not.
_bucket_matches(pattern, bucket) if {
	bucket_part := split(_known_arn(pattern), "/")[0]
	endswith(bucket_part, "*")
	prefix := trim_suffix(bucket_part, "*")
	not iam.has_wildcard(prefix)
	startswith(split(_name_arn(bucket), lib.unknown_marker)[0], prefix)
}

_bucket_reference(pattern, bucket) if {
	some suffix in [".arn}", ".id}", ".bucket}"]
	contains(pattern, concat("", ["${", bucket.config_address, suffix]))
}

_bucket_may_match(pattern, bucket) if {
	not _other_bucket_reference(pattern, bucket)
	some v in [attrs.canonical_arn(pattern), _name_arn(bucket)]
	lib.is_unknown(_opaque(v))
	bucket_part := split(_as_wildcards(attrs.canonical_arn(pattern)), "/")[0]
	iam.may_overlap(bucket_part, _as_wildcards(_name_arn(bucket)))
}

_other_bucket_reference(pattern, bucket) if {
	contains(pattern, "${aws_s3_bucket.")
	not _bucket_reference(pattern, bucket)
}

_known_name(bucket) := name if {
	name := lib.bucket_name(bucket)
	is_string(name)
	name != ""
	not lib.is_unknown(name)
}

# The bucket's name as far as it is known: written, from bucket_prefix, or the provider's
# generated "terraform-..." name.
_name(bucket) := name if {
	name := lib.bucket_name(bucket)
	is_string(name)
	name != ""
	name != lib.unknown_marker
} else := concat("", [prefix, lib.unknown_marker]) if {
	prefix := object.get(bucket.values, "bucket_prefix", "")
	is_string(prefix)
	prefix != ""
} else := lib.unknown_marker if {
	attrs.state(bucket, "bucket") == "unknown"
} else := concat("", ["terraform-", lib.unknown_marker])

_name_arn(bucket) := concat("", ["arn:aws:s3:::", _name(bucket)])

_bucket_label(bucket) := lib.bucket_name(bucket) if {
	is_string(lib.bucket_name(bucket))
	lib.bucket_name(bucket) != ""
} else := bucket.address

# ---- keys ---------------------------------------------------------------------------------------

_key_matches("*", _)

_key_matches(pattern, key) if _key_reference(pattern, key)

_key_matches(pattern, key) if {
	some literal in _key_literals(key)
	contains(pattern, literal)
}

_key_matches(pattern, _) if {
	arn := _known_arn(pattern)
	iam.has_wildcard(arn)
	_any_key(arn)
}

_key_reference(pattern, key) if {
	some suffix in [".arn}", ".key_id}", ".id}"]
	contains(pattern, concat("", ["${", key.config_address, suffix]))
}

_key_literals(key) := [literal |
	some attr in ["arn", "key_id"]
	literal := object.get(key.values, attr, "")
	attrs.present(literal)
	not lib.is_unknown(literal)
]

_key_may_match(pattern, key) if {
	lib.is_unknown(_opaque(attrs.canonical_arn(pattern)))
	_key_may_match_wildcards(_as_wildcards(attrs.canonical_arn(pattern)), key)
}

_key_may_match_wildcards(arn, _) if _any_key(arn)

_key_may_match_wildcards(arn, key) if {
	some literal in _key_literals(key)
	iam.may_overlap(arn, attrs.canonical_arn(literal))
}

# A wildcard ARN that may match some KMS key (arn:<p>:kms:*:*:key/*, arn:*, ...), not an alias.
_any_key(arn) if {
	prefix := split(replace(arn, "?", "*"), "*")[0]
	_kms_prefix(prefix)
	not contains(arn, ":alias/")
	not _names_one_key(arn)
}

_kms_prefix(prefix) if startswith("arn:aws:kms:", prefix)

_kms_prefix(prefix) if startswith(prefix, "arn:aws:kms:")

# arn:aws:kms:*:*:key/<literal id>: a wildcard region or account, but one key id.
_names_one_key(arn) if {
	parts := split(arn, ":key/")
	count(parts) == 2
	not iam.has_wildcard(parts[1])
}

# ---- attachments --------------------------------------------------------------------------------

_attachment_findings(r) := {f |
	some a in iam.attached(r)
	some f in _arn_findings(a.attr, a.arn)
}

_arn_findings(attr, arn) := {_fail(message) |
	some name in broad_managed_policies
	_is_managed(arn, name)
	message := concat("", ["attaches the AWS managed policy ", arn, ", which grants ", _managed_what[name]])
} if {
	some name in broad_managed_policies
	_is_managed(arn, name)
} else := {_unknown(concat("", [attr, " is unknown (not a literal): cannot show that ", arn, _not_broad]))} if {
	some name in broad_managed_policies
	_may_be_managed(arn, name)
} else := set()

_not_broad := concat("", [
	" is none of the AWS managed policies AdministratorAccess, PowerUserAccess, AmazonS3FullAccess and ",
	"AWSKeyManagementServicePowerUser",
])

_managed_what := {
	"AdministratorAccess": "every action on every resource",
	"PowerUserAccess": "every action but IAM on every resource",
	"AmazonS3FullAccess": "s3:* on every bucket",
	"AWSKeyManagementServicePowerUser": "broad KMS key management on every key",
}

_is_managed(arn, name) if endswith(arn, concat("", [":policy/", name]))

_is_managed(arn, name) if endswith(arn, concat("", ["/", name]))

_is_managed(arn, name) if arn == name

# An ARN with unknown parts (or references the rule cannot resolve) that could end with the name.
_may_be_managed(arn, name) if {
	opaque := _opaque(arn)
	lib.is_unknown(opaque)
	parts := split(opaque, lib.unknown_marker)
	endswith(concat("", ["/", name]), parts[count(parts) - 1])
}

# `v` with every reference the rule cannot resolve written as the unknown marker: references to
# buckets, keys and customer managed policies of the stack stay.
_opaque(v) := concat("", array.concat([parts[0]], rest)) if {
	parts := split(v, "${")
	rest := [_opaque_part(p) | some p in array.slice(parts, 1, count(parts))]
}

_opaque_part(p) := concat("", ["${", p]) if {
	some prefix in ["aws_s3_bucket.", "aws_kms_key.", "aws_iam_policy.", "?}"]
	startswith(p, prefix)
} else := concat("", [lib.unknown_marker, substring(p, indexof(p, "}") + 1, -1)]) if {
	indexof(p, "}") >= 0
} else := lib.unknown_marker
