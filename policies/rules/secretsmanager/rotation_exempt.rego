# METADATA
# title: Secrets exempt from rotation are reported with their reason
# description: >-
#   A secret that cannot rotate (the pseudonymization key: rotating it would give the same patient
#   different pseudonyms across studies) carries the tag imgsec:rotation-exempt whose value is the
#   reason. This warning reports every such secret that has no scheduled rotation, with the reason,
#   so that the relaxation is named and seen in every run rather than passed silently; compensating
#   controls (a customer managed key, IMGSEC-SM-001; narrow GetSecretValue grants; CloudTrail) then
#   carry the risk. Secrets without the tag, or whose rotation is scheduled anyway, pass (IMGSEC-SM-002
#   judges their rotation). A tag that is unknown (tags = var.tags) on a secret without scheduled
#   rotation is UNKNOWN.
# custom:
#   id: IMGSEC-SM-003
#   severity: low
#   level: warning
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.308(a)(5)(ii)(D)
#   resource_types:
#     - aws_secretsmanager_secret
#   inputs:
#     - tags.imgsec:rotation-exempt
#   remediation: >-
#     Keep the exemption only for secrets that cannot rotate, and say why in the tag's value; protect
#     such a secret with a customer managed key whose policy allows kms:Decrypt only to the roles that
#     need it, and review the exemption with each risk analysis.
package imgsec.rules.secretsmanager.rotation_exempt

import data.imgsec.lib
import data.imgsec.lib.rotation

_secrets := lib.resources_of("aws_secretsmanager_secret")

results contains lib.pass(secret, "rotation is scheduled: no exemption is used") if {
	some secret in _secrets
	rotation.scheduled_by(secret)
}

results contains lib.pass(secret, "not exempt from rotation") if {
	some secret in _secrets
	not rotation.scheduled_by(secret)
	rotation.exemption(secret) in {"none", "invalid"}
}

results contains lib.fail(secret, msg) if {
	some secret in _secrets
	not rotation.scheduled_by(secret)
	rotation.exemption(secret) == "exempt"
	msg := concat("", ["exempt from rotation (tag imgsec:rotation-exempt): ", rotation.reason(secret)])
}

results contains lib.unknown(
	secret,
	"tags.imgsec:rotation-exempt is unknown (not a literal): cannot show whether rotation is relaxed, and why",
) if {
	some secret in _secrets
	not rotation.scheduled_by(secret)
	rotation.exemption(secret) == "unknown"
}
