# METADATA
# title: No IAM policy grants service-wide wildcards on PHI buckets or keys
# description: >-
#   Checks the same permission policies as IMGSEC-IAM-001, plus the attachment resources
#   (aws_iam_role_policy_attachment, aws_iam_user_policy_attachment, aws_iam_group_policy_attachment,
#   aws_iam_policy_attachment) and aws_iam_role managed_policy_arns. An Allow statement must not
#   grant every S3 action ("s3:*", "*", or a NotAction that does not exclude s3:*) on a PHI bucket
#   (lib.phi_buckets), nor every KMS action ("kms:*", "*", or such a NotAction) on a KMS key of the
#   stack (all of them protect PHI, audit records or logs). A statement covers a bucket when a
#   Resource is "*", refers to the bucket (`${aws_s3_bucket.X.arn|id|bucket}`), contains its name, or
#   is a wildcard ARN that may match it (arn:<p>:s3:::*, arn:<p>:s3:::imgsec-*, ...); it covers a key
#   when a Resource is "*", refers to the key (`${aws_kms_key.X.arn|key_id|id}`), contains its ARN or
#   is a wildcard key ARN (arn:<p>:kms:*:*:key/*); with NotResource, unless the NotResource names it.
#   The AWS managed policies AdministratorAccess, PowerUserAccess, AmazonS3FullAccess and
#   AWSKeyManagementServicePowerUser must not be attached. Unknown or non-JSON documents fail.
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
#     - aws_iam_role_policy_attachment
#     - aws_iam_user_policy_attachment
#     - aws_iam_group_policy_attachment
#     - aws_iam_policy_attachment
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

attachment_types := {
	"aws_iam_role_policy_attachment",
	"aws_iam_user_policy_attachment",
	"aws_iam_group_policy_attachment",
	"aws_iam_policy_attachment",
}

# Resources the rule checks: permission policy holders, attachments, roles with managed_policy_arns.
_subjects[r.address] := r if some r in iam.holders

_subjects[r.address] := r if {
	some type in attachment_types
	some r in lib.resources_of(type)
}

_subjects[r.address] := r if {
	some r in lib.resources_of("aws_iam_role")
	count(lib.as_array(object.get(r.values, "managed_policy_arns", []))) > 0
}

results contains lib.pass(r, "grants no service-wide S3 or KMS wildcard on PHI buckets or keys") if {
	some r in _subjects
	count(_problems(r)) == 0
}

results contains lib.fail(r, problem) if {
	some r in _subjects
	some problem in _problems(r)
}

_problems(r) := _document_problems(r) | _attachment_problems(r)

_document_problems(r) := {problem |
	some name, doc in iam.documents(r)
	some problem in _in_document(name, doc)
}

_in_document(name, doc) := {concat("", [name, " is unknown or not a JSON policy document: it cannot be checked"])} if {
	doc == null
} else := _s3_problems(name, doc) | _kms_problems(name, doc)

_s3_problems(name, doc) := {concat("", [where, " grants every s3 action on PHI bucket ", label]) |
	some i, s in iam.allow_statements(doc)
	iam.grants_service(s, "s3")
	some bucket in lib.phi_buckets
	_covers(s, bucket, "bucket")
	where := iam.where(name, doc, i)
	label := _bucket_label(bucket)
}

_kms_problems(name, doc) := {concat("", [where, " grants every kms action on PHI key ", key.address]) |
	some i, s in iam.allow_statements(doc)
	iam.grants_service(s, "kms")
	some key in lib.resources_of("aws_kms_key")
	_covers(s, key, "key")
	where := iam.where(name, doc, i)
}

_attachment_problems(r) := {concat("", ["attaches the AWS managed policy ", arn, ", which grants ", what]) |
	some arn in _attached_arns(r)
	some name in broad_managed_policies
	_is_managed(arn, name)
	what := _managed_what[name]
}

_managed_what := {
	"AdministratorAccess": "every action on every resource",
	"PowerUserAccess": "every action but IAM on every resource",
	"AmazonS3FullAccess": "s3:* on every bucket",
	"AWSKeyManagementServicePowerUser": "broad KMS key management on every key",
}

_attached_arns(r) := [r.values.policy_arn] if {
	r.type in attachment_types
	is_string(r.values.policy_arn)
}

_attached_arns(r) := [arn |
	some arn in lib.as_array(object.get(r.values, "managed_policy_arns", []))
	is_string(arn)
] if {
	r.type == "aws_iam_role"
}

_attached_arns(r) := [] if {
	not r.type in attachment_types
	r.type != "aws_iam_role"
}

_attached_arns(r) := [] if {
	r.type in attachment_types
	not is_string(r.values.policy_arn)
}

_is_managed(arn, name) if endswith(arn, concat("", [":policy/", name]))

_is_managed(arn, name) if endswith(arn, concat("", ["/", name]))

_is_managed(arn, name) if arn == name

# The statement's Resource (or NotResource) covers the target.
_covers(s, target, kind) if {
	not iam.has_not_resource(s)
	some pattern in iam.resources(s)
	_matches(kind, pattern, target)
}

_covers(s, target, kind) if {
	iam.has_not_resource(s)
	not _excluded(s, target, kind)
}

_excluded(s, target, kind) if {
	some pattern in iam.not_resources(s)
	_matches(kind, pattern, target)
}

_matches("bucket", pattern, target) if _bucket_matches(pattern, target)

_matches("key", pattern, target) if _key_matches(pattern, target)

_bucket_matches("*", _)

_bucket_matches(pattern, bucket) if {
	some suffix in [".arn}", ".id}", ".bucket}"]
	contains(pattern, concat("", ["${", bucket.config_address, suffix]))
}

_bucket_matches(pattern, bucket) if {
	name := lib.bucket_name(bucket)
	name != ""
	contains(pattern, name)
}

_bucket_matches(pattern, bucket) if {
	iam.has_wildcard(pattern)
	name := lib.bucket_name(bucket)
	name != ""
	bucket_part := split(attrs.canonical_arn(pattern), "/")[0]
	iam.may_match(bucket_part, concat("", ["arn:aws:s3:::", name]))
}

_key_matches("*", _)

_key_matches(pattern, key) if {
	some suffix in [".arn}", ".key_id}", ".id}"]
	contains(pattern, concat("", ["${", key.config_address, suffix]))
}

_key_matches(pattern, key) if {
	some attr in ["arn", "key_id"]
	literal := object.get(key.values, attr, "")
	attrs.present(literal)
	contains(pattern, literal)
}

# A wildcard ARN that may match some KMS key (arn:<p>:kms:*:*:key/*, arn:*, ...), not an alias.
_key_matches(pattern, _) if {
	iam.has_wildcard(pattern)
	arn := attrs.canonical_arn(pattern)
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

_bucket_label(bucket) := lib.bucket_name(bucket) if lib.bucket_name(bucket) != ""

_bucket_label(bucket) := bucket.address if lib.bucket_name(bucket) == ""
