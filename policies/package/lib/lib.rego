# METADATA
# description: >-
#   Helpers shared by every package rule. The input is one package header document, as the
#   verify-package parser produces it without decrypting: input.package (format, suite, encryption
#   context, encrypted data keys, body, signature) and input.params (policies/package/params.json,
#   merged with the user's overrides). Everything under input.package comes from a file that may be
#   hostile: messages quote only values checked against a tight pattern or equal to a configured one.
package imgsec.package.lib

# The package under check.
pkg := object.get(input, "package", {})

# A field of the package by path, or `fallback` when it is absent: get(["suite", "signed"], false).
get(path, fallback) := object.get(pkg, path, fallback)

# True only when the field is the boolean true (absent, null or "true" are not).
is_true(path) if get(path, false) == true

# The resource every result names: the package's name as the caller gave it (a file name or
# "package N"; never read from the message itself).
default resource := "package"

resource := name if {
	name := pkg.name
	is_string(name)
	name != ""
}

# A rule's verdict on the package; the engine adds the rule's metadata from the catalog.
pass(message) := {"resource": resource, "status": "PASS", "message": message}

fail(message) := {"resource": resource, "status": "FAIL", "message": message}

# A parameter from input.params, which the engine fills from policies/package/params.json.
param(name) := input.params[name]

# The encryption context, when it is a map (undefined otherwise).
context := ctx if {
	ctx := get(["encryption_context"], null)
	is_object(ctx)
}

# The names of the keys in the encryption context (object.keys is not available under WASM).
context_keys contains k if some k, _ in context

# The encrypted data keys, when they are a list (undefined otherwise).
edks := keys if {
	keys := get(["encrypted_data_keys"], null)
	is_array(keys)
}

# The suite as a message may quote it: its ESDK name when the parser knows the suite, else its id.
# Names are checked against the ESDK's naming pattern so that nothing else can pass through.
default suite_label := "an algorithm suite without a numeric id"

suite_label := sprintf("algorithm suite %s (%d)", [name, id]) if {
	is_true(["suite", "known"])
	name := get(["suite", "name"], "")
	is_string(name)
	regex.match(`^ALG_[A-Z0-9_]{1,64}$`, name)
	id := get(["suite", "id"], null)
	is_number(id)
} else := sprintf("algorithm suite %d", [id]) if {
	id := get(["suite", "id"], null)
	is_number(id)
}

# A context key from the params (configuration, not the package): quoted when it looks like a key.
default config_key_label(_) := "a configured context key"

config_key_label(k) := k if {
	is_string(k)
	regex.match(`^[A-Za-z0-9:._-]{1,64}$`, k)
}

# A context key read from the package that may be quoted: a short name in the imgsec or AWS
# Encryption SDK namespace, which software writes. Any other name may be free text (even PHI).
quotable_context_key(k) if regex.match(`^(imgsec:|aws-crypto-)[a-z0-9-]{1,32}$`, k)

# The key the AWS Encryption SDK adds to the context of signed suites (the ECDSA public key).
public_key_name := "aws-crypto-public-key"
