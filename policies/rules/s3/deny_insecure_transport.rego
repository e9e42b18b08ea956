# METADATA
# title: S3 bucket policies deny requests that do not use TLS
# description: >-
#   Every bucket's policy has a Deny statement for principal "*" on all S3 actions ("s3:*" or "*")
#   over the bucket's objects (a Resource ending in "*") when aws:SecureTransport is false (Bool or
#   BoolIfExists, as the string "false" or the boolean false), so PHI never crosses the network in
#   clear text. The policy is an aws_s3_bucket_policy referring to the bucket (or the deprecated
#   inline policy). A bucket with no policy fails, and so does a policy that is unknown at plan time
#   or not JSON, since it cannot be shown to deny plain HTTP.
# custom:
#   id: IMGSEC-S3-006
#   severity: high
#   controls:
#     - 164.312(e)(1)
#     - 164.312(e)(2)(ii)
#   resource_types:
#     - aws_s3_bucket
#   remediation: >-
#     Add to the bucket policy a statement { Effect = "Deny", Principal = "*", Action = "s3:*",
#     Resource = [bucket ARN, "bucket ARN/*"], Condition = { Bool = { "aws:SecureTransport" = "false" } } }
#     (SecureBucket does this by default).
package imgsec.rules.s3.deny_insecure_transport

import data.imgsec.lib
import data.imgsec.lib.s3

# A statement that denies every S3 action to everyone over plain HTTP.
denies_insecure_transport(statement) if {
	statement.Effect == "Deny"
	lib.principal_is_everyone(statement.Principal)
	_insecure_transport(statement.Condition)
	some action in object.get(statement, "Action", [])
	lower(action) in {"*", "s3:*"}
	some resource in object.get(statement, "Resource", [])
	endswith(resource, "*")
}

_insecure_transport(condition) if {
	some operator in ["Bool", "BoolIfExists"]
	some key, value in object.get(condition, operator, {})
	lower(key) == "aws:securetransport"
	some v in lib.as_array(value)
	v in {"false", false}
}

_compliant(doc) if {
	some statement in lib.statements(doc)
	denies_insecure_transport(statement)
}

results contains lib.pass(bucket, "bucket policy denies s3:* when aws:SecureTransport is false") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	docs := s3.bucket_policies(bucket)
	count(docs) > 0
	every doc in docs {
		_compliant(doc)
	}
}

results contains lib.fail(bucket, "no aws_s3_bucket_policy for the bucket (plain HTTP is not denied)") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	count(s3.bucket_policies(bucket)) == 0
}

results contains lib.fail(bucket, "bucket policy is unknown or not JSON: cannot show that plain HTTP is denied") if {
	some bucket in lib.resources_of("aws_s3_bucket")
	null in s3.bucket_policies(bucket)
}

results contains lib.fail(bucket, msg) if {
	some bucket in lib.resources_of("aws_s3_bucket")
	some doc in s3.bucket_policies(bucket)
	doc != null
	not _compliant(doc)
	msg := "bucket policy has no Deny of s3:* for principal * with Bool aws:SecureTransport false"
}
