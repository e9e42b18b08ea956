# METADATA
# title: KMS keys rotate their key material
# description: >-
#   Every symmetric encryption key (key spec SYMMETRIC_DEFAULT, key usage ENCRYPT_DECRYPT, the
#   defaults) has enable_key_rotation = true, so AWS rotates its key material (yearly by default, or
#   every rotation_period_in_days) and limits the data encrypted under one key version. Asymmetric
#   and HMAC keys, which AWS cannot rotate, get no result. An enable_key_rotation that is unknown (a
#   variable, a plan value known only after apply) is UNKNOWN (the provider's default is false), and
#   so is a key whose spec or usage is unknown unless rotation is known to be on.
# custom:
#   id: IMGSEC-KMS-001
#   severity: medium
#   controls:
#     - 164.312(a)(2)(iv)
#   resource_types:
#     - aws_kms_key
#   inputs:
#     - enable_key_rotation
#     - customer_master_key_spec
#     - key_spec
#     - key_usage
#   peers:
#     - prowler:kms_cmk_rotation_enabled
#   remediation: Set enable_key_rotation = true on the key (PhiKey does this by default).
package imgsec.rules.kms.rotation

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.s3

# The key spec: customer_master_key_spec in the provider's schema, key_spec as the API calls it
# ("unknown" when the one set is unknown).
key_spec(key) := _setting(key, "customer_master_key_spec") if {
	_setting(key, "customer_master_key_spec") != null
} else := _setting(key, "key_spec") if {
	_setting(key, "key_spec") != null
} else := "SYMMETRIC_DEFAULT"

_key_usage(key) := u if {
	u := _setting(key, "key_usage")
	u != null
} else := "ENCRYPT_DECRYPT"

# A string setting: its value, "unknown", or null when not set.
_setting(key, attr) := "unknown" if {
	s3.unknown_value(key, attr, s3.value(key, attr))
} else := v if {
	v := s3.value(key, attr)
	is_string(v)
	v != ""
} else := null

# Whether the key is a symmetric encryption key, which must rotate: "yes", "no" or "unknown".
_rotatable(key) := "no" if {
	not key_spec(key) in {"SYMMETRIC_DEFAULT", "unknown"}
} else := "no" if {
	not _key_usage(key) in {"ENCRYPT_DECRYPT", "unknown"}
} else := "unknown" if {
	"unknown" in {key_spec(key), _key_usage(key)}
} else := "yes"

rotatable(key) if _rotatable(key) == "yes"

# The provider's default is false: only a literal true turns rotation on.
_rotation(key) := attrs.bool(key, "enable_key_rotation", false)

results contains lib.pass(key, "enable_key_rotation is true") if {
	some key in lib.resources_of("aws_kms_key")
	_rotatable(key) != "no"
	_rotation(key) == true
}

results contains lib.fail(key, "enable_key_rotation is not true on a symmetric encryption key") if {
	some key in lib.resources_of("aws_kms_key")
	rotatable(key)
	_rotation(key) == false
}

results contains lib.unknown(key, msg) if {
	some key in lib.resources_of("aws_kms_key")
	rotatable(key)
	_rotation(key) == "unknown"
	msg := "enable_key_rotation is unknown (not a literal): cannot show that the key material rotates"
}

results contains lib.unknown(key, msg) if {
	some key in lib.resources_of("aws_kms_key")
	_rotatable(key) == "unknown"
	_rotation(key) != true
	some attr in ["customer_master_key_spec", "key_spec", "key_usage"]
	_setting(key, attr) == "unknown"
	msg := concat("", [
		attr, " is unknown (not a literal):",
		" cannot show that the key is not a symmetric encryption key that must rotate",
	])
}
