# METADATA
# description: >-
#   Builders for package rule tests. Not compiled into the WASM (the build ignores *_test.rego).
package imgsec.package.fixtures_test

# The accepted de-identification profile hash the tests configure.
policy_hash := "7f3c1e0a9b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e2f4a6b8c0d2e"

# The shipped defaults (policies/package/params.json; test/policies/package-gate.test.ts checks
# they match), with the test profile hash accepted.
params := {
	"required_context_keys": [
		"imgsec:schema",
		"imgsec:dataset",
		"imgsec:modality",
		"imgsec:policy-hash",
		"imgsec:pixel-digest",
		"imgsec:producer",
	],
	"allowed_context_keys": [
		"imgsec:schema",
		"imgsec:dataset",
		"imgsec:modality",
		"imgsec:policy-hash",
		"imgsec:pixel-digest",
		"imgsec:producer",
		"aws-crypto-public-key",
	],
	"context_value_patterns": {
		"imgsec:schema": "^1$",
		"imgsec:dataset": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
		"imgsec:modality": "^[A-Z0-9]{1,16}$",
		"imgsec:policy-hash": "^[0-9a-f]{64}$",
		"imgsec:pixel-digest": "^[0-9a-f]{64}$",
		"imgsec:producer": `^imgsec/[0-9]+\.[0-9]+\.[0-9]+$`,
	},
	"allowed_key_providers": ["imgsec-local", "aws-kms"],
	"allowed_kms_key_arns": [],
	"accepted_policy_hashes": [policy_hash],
	"require_signed_suite": true,
	"min_frame_length": 4096,
	"max_frame_length": 16777216,
}

kms_arn := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

# A package every rule passes: format 2, signed committing suite, framed, complete, signature valid.
package_doc := {
	"name": "package 1",
	"digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
	"size": 123456,
	"format": {"version": 2, "content_type": "framed", "frame_length": 1048576},
	"suite": {
		"id": 1400,
		"name": "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
		"committing": true,
		"signed": true,
		"known": true,
	},
	"encryption_context": {
		"imgsec:schema": "1",
		"imgsec:dataset": "trial-042",
		"imgsec:modality": "CT",
		"imgsec:policy-hash": policy_hash,
		"imgsec:pixel-digest": "9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
		"imgsec:producer": "imgsec/0.1.0",
		"aws-crypto-public-key": "A0Zx0vhMHh1dQ2Lw8i7cP4Wn4e0ZKpU3b5n1xq6m0cVh3Yt9wz7k2r8s1u5o6p4j2g",
	},
	"encrypted_data_keys": [
		{"provider_id": "imgsec-local", "provider_info": "0123456789abcdef"},
		{"provider_id": "aws-kms", "provider_info": kms_arn},
	],
	"body": {"complete": true, "frames": 12, "trailing_bytes": 0, "problem": null},
	"signature": {"present": true, "checked": true, "valid": true},
}

# The valid input: the package and the params.
valid := {"package": package_doc, "params": params}

# `obj` with `key` set to `value` (replaced, not merged as object.union would).
set(obj, key, value) := object.union(object.remove(obj, [key]), {key: value})

# The valid input with the package's `key` replaced by `value`.
with_package(key, value) := set(valid, "package", set(package_doc, key, value))

# The valid input with the package's `section` (format, suite, body, ...) merged with `patch`.
with_patch(section, patch) := with_package(section, object.union(package_doc[section], patch))

# The valid input with the encryption context replaced.
with_context(ctx) := with_package("encryption_context", ctx)

# The valid input with one context key set (added or replaced).
with_context_key(key, value) := with_context(set(package_doc.encryption_context, key, value))

# The valid input without one context key.
without_context_key(key) := with_context(object.remove(package_doc.encryption_context, [key]))

# The valid input with one parameter replaced.
with_param(name, value) := set(valid, "params", set(params, name, value))

# A valid unsigned committing package (suite 0x0478), as the ESDK writes it: no public key in the
# context and no signature.
unsigned := object.union(object.remove(package_doc, ["suite", "encryption_context", "signature"]), {
	"suite": {
		"id": 1144,
		"name": "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY",
		"committing": true,
		"signed": false,
		"known": true,
	},
	"encryption_context": object.remove(package_doc.encryption_context, ["aws-crypto-public-key"]),
	"signature": {"present": false, "checked": false, "valid": false},
})

unsigned_input := set(valid, "package", unsigned)

# The statuses and the messages among a rule's results.
statuses(results) := {r.status | some r in results}

messages(results) := {r.message | some r in results}
