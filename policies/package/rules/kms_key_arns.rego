# METADATA
# title: AWS KMS encrypted data keys name a well-formed, allowed KMS key
# description: >-
#   Every aws-kms encrypted data key names its KMS key by ARN
#   (arn:aws[-partition]:kms:<region>:<12-digit account>:key/<id> or alias/<name>). When
#   input.params.allowed_kms_key_arns is not empty, each ARN must be one of them, so a package can
#   only be decrypted through the project's keys; when it is empty, any well-formed ARN passes.
#   Packages with no aws-kms key get no result. ARNs are not quoted; keys are numbered from 1 in
#   header order.
# custom:
#   id: IMGSEC-PKG-007
#   severity: high
#   controls:
#     - 164.312(a)(1)
#     - 164.312(a)(2)(iv)
#   resource_types:
#     - imgsec_package
#   remediation: >-
#     Re-encrypt with imgsec encrypt using the project's KMS key, or add the key's ARN to
#     allowed_kms_key_arns in the package params.
package imgsec.package.rules.kms_key_arns

import data.imgsec.package.lib

_arn_pattern := `^arn:aws[-a-z]*:kms:[a-z0-9-]{1,32}:[0-9]{12}:(key/[A-Za-z0-9-]{1,64}|alias/[A-Za-z0-9/_-]{1,256})$`

_allowed := {a | some a in lib.param("allowed_kms_key_arns")}

# The aws-kms encrypted data keys, by their position (from 0) in the header.
_kms[i] := edk if {
	some i, edk in lib.edks
	is_object(edk)
	object.get(edk, "provider_id", null) == "aws-kms"
}

_well_formed(arn) if {
	is_string(arn)
	regex.match(_arn_pattern, arn)
}

_problems contains msg if {
	some i, edk in _kms
	not _well_formed(object.get(edk, "provider_info", null))
	msg := sprintf("encrypted data key %d (aws-kms) does not name a well-formed KMS key ARN", [i + 1])
}

_problems contains msg if {
	count(_allowed) > 0
	some i, edk in _kms
	_well_formed(edk.provider_info)
	not edk.provider_info in _allowed
	msg := sprintf("encrypted data key %d (aws-kms) names a KMS key that is not in allowed_kms_key_arns", [i + 1])
}

results contains lib.pass(msg) if {
	count(_kms) > 0
	count(_problems) == 0
	count(_allowed) > 0
	msg := sprintf("%d AWS KMS key(s), each in allowed_kms_key_arns", [count(_kms)])
}

results contains lib.pass(msg) if {
	count(_kms) > 0
	count(_problems) == 0
	count(_allowed) == 0
	msg := sprintf(
		"%d AWS KMS key(s), each a well-formed KMS key ARN (allowed_kms_key_arns is empty: any key)",
		[count(_kms)],
	)
}

results contains lib.fail(msg) if some msg in _problems
