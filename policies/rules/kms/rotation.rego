# METADATA
# title: KMS keys rotate their key material
# description: >-
#   Every symmetric encryption key (key spec SYMMETRIC_DEFAULT, key usage ENCRYPT_DECRYPT, the
#   defaults) has enable_key_rotation = true, so AWS rotates its key material (yearly by default, or
#   every rotation_period_in_days) and limits the data encrypted under one key version. Asymmetric
#   and HMAC keys, which AWS cannot rotate, get no result.
# custom:
#   id: IMGSEC-KMS-001
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#   resource_types:
#     - aws_kms_key
#   remediation: Set enable_key_rotation = true on the key (PhiKey does this by default).
package imgsec.rules.kms.rotation

import data.imgsec.lib

# The key spec: customer_master_key_spec in the provider's schema, key_spec as the API calls it.
key_spec(key) := key.values.customer_master_key_spec if {
	is_string(key.values.customer_master_key_spec)
} else := key.values.key_spec if {
	is_string(key.values.key_spec)
} else := "SYMMETRIC_DEFAULT"

rotatable(key) if {
	key_spec(key) == "SYMMETRIC_DEFAULT"
	object.get(key.values, "key_usage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
}

results contains lib.pass(key, "enable_key_rotation is true") if {
	some key in lib.resources_of("aws_kms_key")
	rotatable(key)
	key.values.enable_key_rotation == true
}

results contains lib.fail(key, "enable_key_rotation is not true on a symmetric encryption key") if {
	some key in lib.resources_of("aws_kms_key")
	rotatable(key)
	not key.values.enable_key_rotation == true
}
