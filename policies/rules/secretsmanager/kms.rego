# METADATA
# title: Secrets Manager secrets are encrypted with a customer managed KMS key
# description: >-
#   The pipeline's secrets hold the pseudonymization and audit HMAC keys: whoever can decrypt them can
#   re-identify pseudonyms or forge audit records. Every aws_secretsmanager_secret must set kms_key_id
#   to a customer managed key, whose key policy limits decryption to the pipeline's functions; unset
#   means the AWS managed key alias/aws/secretsmanager, which any principal of the account with
#   secretsmanager:GetSecretValue can use. Each replica block needs its own kms_key_id for the same
#   reason. A reference to a key or alias of the stack counts, and so does a literal key ARN, id or
#   alias other than alias/aws/...; a data source counts by the literal it looks up. A value that is
#   unknown and could be empty or alias/aws/secretsmanager is UNKNOWN.
# custom:
#   id: IMGSEC-SM-001
#   severity: high
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_secretsmanager_secret
#   inputs:
#     - kms_key_id
#     - replica.kms_key_id
#   peers:
#     - cdk-nag:HIPAA.Security-SecretsManagerUsingKMSKey
#     - aws-config:secretsmanager-using-cmk
#   remediation: >-
#     Set kms_key_id (and replica { kms_key_id }) to a customer managed key whose key policy allows
#     kms:Decrypt only to the roles that read the secret, with kms:ViaService
#     secretsmanager.<region>.amazonaws.com.
package imgsec.rules.secretsmanager.kms

import data.imgsec.lib
import data.imgsec.lib.cmk

# {where: state} for the secret's key and each replica's key.
_keys(secret) := object.union(
	{"kms_key_id": cmk.state(secret, "kms_key_id", "secretsmanager")},
	{concat("", ["replica.", format_int(i, 10), ".kms_key_id"]): _replica_key(replica) |
		some i, replica in lib.as_array(object.get(secret.values, "replica", []))
	},
)

# A replica's key; a replica block that is itself unknown could hold anything.
_replica_key(replica) := cmk.value_state(object.get(replica, "kms_key_id", null), "secretsmanager") if {
	is_object(replica)
} else := "unknown"

_messages := {
	"unset": " is not set: the secret is encrypted with the AWS managed key alias/aws/secretsmanager",
	"aws_managed": " is an AWS managed key (alias/aws/...): use a customer managed key",
}

results contains lib.pass(secret, "kms_key_id names a customer managed KMS key (and so does every replica's)") if {
	some secret in lib.resources_of("aws_secretsmanager_secret")
	every _, state in _keys(secret) {
		state == "cmk"
	}
}

results contains lib.fail(secret, msg) if {
	some secret in lib.resources_of("aws_secretsmanager_secret")
	some where, state in _keys(secret)
	state in {"unset", "aws_managed"}
	msg := concat("", [where, _messages[state]])
}

results contains lib.unknown(
	secret,
	concat("", [where, " is unknown (not a literal): cannot show that it names a customer managed key"]),
) if {
	some secret in lib.resources_of("aws_secretsmanager_secret")
	not _failing(secret)
	some where, state in _keys(secret)
	state == "unknown"
}

_failing(secret) if {
	some state in _keys(secret)
	state in {"unset", "aws_managed"}
}
