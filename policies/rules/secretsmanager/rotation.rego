# METADATA
# title: Secrets Manager secrets rotate automatically, unless explicitly exempt
# description: >-
#   A key that never changes stays useful to whoever copied it. Every aws_secretsmanager_secret needs
#   an aws_secretsmanager_secret_rotation whose secret_id refers to it, with rotation_rules that
#   schedule rotation (automatically_after_days above 0, or a schedule_expression). Some secrets must
#   not rotate: the pseudonymization key maps a patient to the same pseudonym in every study, and a
#   new key would give returning patients new pseudonyms, breaking longitudinal linkage (and old
#   pseudonyms could no longer be recomputed for re-identification requests under 164.514(c)). Such a
#   secret carries the tag imgsec:rotation-exempt with the reason as its value; it gets no result here
#   and is reported as a WARN by IMGSEC-SM-003 (a named, reported relaxation, never a silent PASS).
#   The tag without a reason is not an exemption. UNKNOWN, never PASS or FAIL: rotation_rules, their
#   values or the exemption tag are unknown, or a rotation's secret_id is unknown (it may rotate this
#   secret) and nothing else rotates or exempts the secret.
# custom:
#   id: IMGSEC-SM-002
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#     - 164.308(a)(5)(ii)(D)
#   resource_types:
#     - aws_secretsmanager_secret
#   inputs:
#     - secret_id
#     - rotation_rules
#     - rotation_rules.automatically_after_days
#     - rotation_rules.schedule_expression
#     - tags.imgsec:rotation-exempt
#   peers:
#     - cdk-nag:HIPAA.Security-SecretsManagerRotationEnabled
#     - aws-config:secretsmanager-rotation-enabled-check
#     - prowler:secretsmanager_automatic_rotation_enabled
#   remediation: >-
#     Add an aws_secretsmanager_secret_rotation for the secret (rotation_lambda_arn and rotation_rules
#     { automatically_after_days = 90 }); for a secret that cannot rotate, tag it
#     imgsec:rotation-exempt = "<why it cannot rotate>".
package imgsec.rules.secretsmanager.rotation

import data.imgsec.lib
import data.imgsec.lib.rotation

_secrets := lib.resources_of("aws_secretsmanager_secret")

results contains lib.pass(secret, concat("", ["rotation is scheduled by ", r.address])) if {
	some secret in _secrets
	r := rotation.scheduled_by(secret)
}

# A rotation whose schedule is unknown.
results contains lib.unknown(secret, msg) if {
	some secret in _secrets
	not rotation.scheduled_by(secret)
	some r in rotation.for_secret(secret)
	rotation.schedule(r) == "unknown"
	msg := concat("", [
		"rotation_rules is unknown (not a literal) on ", r.address,
		": cannot show that it schedules rotation",
	])
}

results contains lib.fail(secret, msg) if {
	some secret in _secrets
	count(rotation.for_secret(secret)) > 0
	every r in rotation.for_secret(secret) {
		rotation.schedule(r) == "unset"
	}
	rotation.exemption(secret) != "exempt"
	msg := concat("", [
		"no rotation_rules schedule (automatically_after_days above 0 or schedule_expression) on ",
		concat(", ", sort([r.address | some r in rotation.for_secret(secret)])),
	])
}

# No rotation resource: unknown while an unresolved rotation may be this secret's, or while the
# exemption is unknown; a failure otherwise, unless the secret is exempt (IMGSEC-SM-003 reports it).
results contains lib.unknown(secret, msg) if {
	some secret in _secrets
	count(rotation.for_secret(secret)) == 0
	rotation.exemption(secret) != "exempt"
	some r in rotation.unresolved
	msg := concat("", [
		"secret_id is unknown (not a literal) on ", r.address,
		": cannot show whether it rotates this secret",
	])
}

results contains lib.unknown(
	secret,
	"tags.imgsec:rotation-exempt is unknown (not a literal): cannot show whether the secret is exempt from rotation",
) if {
	count(rotation.unresolved) == 0
	some secret in _secrets
	count(rotation.for_secret(secret)) == 0
	rotation.exemption(secret) == "unknown"
}

results contains lib.fail(secret, msg) if {
	count(rotation.unresolved) == 0
	some secret in _secrets
	count(rotation.for_secret(secret)) == 0
	msg := _no_rotation[rotation.exemption(secret)]
}

_no_rotation := {
	"none": concat("", [
		"no aws_secretsmanager_secret_rotation: the secret never rotates ",
		"(a secret that cannot rotate needs the tag imgsec:rotation-exempt with the reason)",
	]),
	"invalid": concat("", [
		"no aws_secretsmanager_secret_rotation, and the tag imgsec:rotation-exempt gives no reason: ",
		"an exemption must say why the secret cannot rotate",
	]),
}
