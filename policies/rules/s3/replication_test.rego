package imgsec.rules.s3.replication_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.replication

# A bucket with SSE-KMS and versioning as separate resources (named literally: the normalizer
# relates resources by a bucket's literal name too).
secure(name) := [
	f.res("aws_s3_bucket", name, {"bucket": name}),
	f.res(
		"aws_s3_bucket_versioning", concat("_", [name, "v"]),
		{"bucket": name, "versioning_configuration": {"status": "Enabled"}},
	),
	f.res("aws_s3_bucket_server_side_encryption_configuration", concat("_", [name, "sse"]), {
		"bucket": name,
		"rule": {"apply_server_side_encryption_by_default": {
			"sse_algorithm": "aws:kms",
			"kms_master_key_id": "${aws_kms_key.k.arn}",
		}},
	}),
]

rule := {
	"id": "all",
	"status": "Enabled",
	"source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
	"destination": {
		"bucket": "${aws_s3_bucket.replica.arn}",
		"encryption_configuration": {"replica_kms_key_id": "${aws_kms_key.replica.arn}"},
	},
}

configuration(r) := f.res_refs(
	"aws_s3_bucket_replication_configuration", "rep",
	{"bucket": "raw", "role": "${aws_iam_role.rep.arn}", "rule": [r]},
	{"rule": ["aws_s3_bucket.replica"]},
)

stk(r) := f.stack(array.flatten([secure("raw"), secure("replica"), [configuration(r)]]))

# The shipped params require replication; this turns the requirement off.
optional(inp) := object.union(inp, {"params": object.union(inp.params, {"require_replication": false})})

# Without the parameter at all, replication is required (strict by default).
no_param(inp) := object.union(
	object.remove(inp, ["params"]),
	{"params": object.remove(inp.params, ["require_replication"])},
)

exempt(inp, bucket, reason) := object.union(inp, {"resources": {bucket: {"values": {"tags": {
	"team": "imaging",
	"imgsec:replication-exempt": reason,
}}}}})

dev_reason := "development environment: test data that can be reloaded from its source"

status := f.statuses(replication.results, "aws_s3_bucket.raw")

messages contains r.message if some r in replication.results

test_replication_to_secure_bucket_passes if {
	status == {"PASS"} with input as stk(rule)
	status == {"PASS"} with input as optional(stk(rule))

	# The replica is the copy: no result of its own.
	f.statuses(replication.results, "aws_s3_bucket.replica") == set() with input as stk(rule)

	# An exemption tag on a bucket that replicates anyway is not used: the replication is judged.
	status == {"PASS"} with input as exempt(stk(rule), "aws_s3_bucket.raw", dev_reason)
}

test_destination_by_literal_arn_passes if {
	r := object.union(rule, {"destination": object.union(rule.destination, {"bucket": "arn:aws:s3:::replica"})})
	status == {"PASS"} with input as stk(r)
}

test_no_replication_fails_unless_optional if {
	inp := f.stack(secure("raw"))
	status == {"FAIL"} with input as inp
	status == {"FAIL"} with input as no_param(inp)
	status == set() with input as optional(inp)
	want := concat("", [
		"no replication: no Enabled aws_s3_bucket_replication_configuration rule for the bucket, ",
		"and no imgsec:replication-exempt tag saying why it keeps none",
	])
	messages == {want} with input as inp
	disabled := object.union(rule, {"status": "Disabled"})
	status == {"FAIL"} with input as stk(disabled)
}

# ---- the explicit exemption: tag imgsec:replication-exempt = "<reason>" -------------------------

test_exempt_with_reason_warns_with_its_reason_instead_of_failing if {
	inp := exempt(f.stack(secure("raw")), "aws_s3_bucket.raw", concat("", ["  ", dev_reason, " "]))
	status == {"WARN"} with input as inp
	messages == {concat("", ["no replication: exempt (tag imgsec:replication-exempt): ", dev_reason])} with input as inp

	# Reported in every run, whatever require_replication says; a disabled rule is no replication.
	status == {"WARN"} with input as optional(inp)
	disabled := exempt(stk(object.union(rule, {"status": "Disabled"})), "aws_s3_bucket.raw", dev_reason)
	status == {"WARN"} with input as disabled

	# A configuration whose bucket is unknown cannot undo an exemption: the bucket is accepted either way.
	unresolved := f.res("aws_s3_bucket_replication_configuration", "other", {"bucket": f.unknown, "rule": [rule]})
	with_unresolved := exempt(f.stack(array.concat(secure("raw"), [unresolved])), "aws_s3_bucket.raw", dev_reason)
	status == {"WARN"} with input as with_unresolved
}

test_exempt_in_a_plan_tags_all_warns if {
	planned := object.union(secure("raw")[0], {"values": {"tags_all": {"imgsec:replication-exempt": dev_reason}}})
	inp := f.stack(array.concat([planned], array.slice(secure("raw"), 1, 3)))
	status == {"WARN"} with input as inp
}

test_exempt_without_reason_fails if {
	want := concat("", [
		"no replication, and the tag imgsec:replication-exempt gives no reason: ",
		"an exemption must say why the bucket keeps no replica",
	])
	empty := exempt(f.stack(secure("raw")), "aws_s3_bucket.raw", "")
	status == {"FAIL"} with input as empty
	messages == {want} with input as empty
	blank := exempt(f.stack(secure("raw")), "aws_s3_bucket.raw", "   ")
	status == {"FAIL"} with input as blank
	messages == {want} with input as blank

	# Not a string: no reason either.
	status == {"FAIL"} with input as exempt(f.stack(secure("raw")), "aws_s3_bucket.raw", true)
}

test_exemption_of_another_bucket_fails if {
	tags := {"imgsec:replication-exempt": dev_reason}
	other := f.res("aws_s3_bucket", "processed", {"bucket": "processed", "tags": tags})
	status == {"FAIL"} with input as f.stack(array.concat(secure("raw"), [other]))
}

test_log_targets_need_no_replication if {
	logs := f.res("aws_s3_bucket", "logs", {"bucket": "logs"})
	logging := f.res("aws_s3_bucket_logging", "raw_logging", {"bucket": "raw", "target_bucket": "logs"})
	inp := f.stack(array.concat(secure("raw"), [logs, logging]))
	f.statuses(replication.results, "aws_s3_bucket.logs") == set() with input as inp
}

test_unversioned_or_unencrypted_destination_fails if {
	plain := [f.res("aws_s3_bucket", "replica", {"bucket": "replica"})]
	inp := f.stack(array.flatten([secure("raw"), plain, [configuration(rule)]]))
	status == {"FAIL"} with input as inp
	messages == {
		"destination aws_s3_bucket.replica has no versioning",
		"destination aws_s3_bucket.replica has no default encryption",
	} with input as inp
}

test_sse_s3_destination_fails if {
	sse_s3 := f.res("aws_s3_bucket_server_side_encryption_configuration", "replica_sse", {
		"bucket": "replica",
		"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
	})
	replica := [secure("replica")[0], secure("replica")[1], sse_s3]
	inp := f.stack(array.flatten([secure("raw"), replica, [configuration(rule)]]))
	status == {"FAIL"} with input as inp
}

test_sse_kms_objects_not_replicated_fails if {
	r := object.remove(rule, ["source_selection_criteria"])
	status == {"FAIL"} with input as stk(r)
	no_key := object.union(
		object.remove(rule, ["destination"]),
		{"destination": {"bucket": "${aws_s3_bucket.replica.arn}"}},
	)
	status == {"FAIL"} with input as stk(no_key)
	inp94 := stk(no_key)
	want := concat("", [
		"rule.destination.encryption_configuration.replica_kms_key_id on ",
		"aws_s3_bucket_replication_configuration.rep is not set: replicas of SSE-KMS objects need a KMS key",
	])
	messages == {want} with input as inp94
}

# ---- the deprecated inline replication_configuration block ----------------------------------------

inline_rule := {
	"id": "all",
	"status": "Enabled",
	"source_selection_criteria": {"sse_kms_encrypted_objects": {"enabled": true}},
	"destination": {"bucket": "${aws_s3_bucket.replica.arn}", "replica_kms_key_id": "${aws_kms_key.replica.arn}"},
}

inline_stack(r) := f.stack(array.flatten([
	[object.union(secure("raw")[0], {"values": {"replication_configuration": {"role": "x", "rules": [r]}}})],
	array.slice(secure("raw"), 1, 3),
	secure("replica"),
]))

test_inline_replication_passes if {
	status == {"PASS"} with input as inline_stack(inline_rule)
	status == {"PASS"} with input as optional(inline_stack(inline_rule))
	f.statuses(replication.results, "aws_s3_bucket.replica") == set() with input as inline_stack(inline_rule)
}

test_inline_replication_fails if {
	off := {"source_selection_criteria": {"sse_kms_encrypted_objects": {"enabled": false}}}
	status == {"FAIL"} with input as inline_stack(object.union(inline_rule, off))
	status == {"FAIL"} with input as inline_stack(object.union(inline_rule, {"status": "Disabled"}))
	status == {"WARN"} with input as exempt(
		inline_stack(object.union(inline_rule, {"status": "Disabled"})),
		"aws_s3_bucket.raw", dev_reason,
	)
}

# ---- unknown values -------------------------------------------------------------------------------

test_unknown_bucket if {
	unresolved := f.res("aws_s3_bucket_replication_configuration", "other", {"bucket": f.unknown, "rule": [rule]})
	inp := f.stack(array.concat(secure("raw"), [unresolved]))
	status == {"UNKNOWN"} with input as inp
	status == set() with input as optional(inp)
}

test_unknown_tags_imgsec_replication_exempt if {
	inp := exempt(f.stack(secure("raw")), "aws_s3_bucket.raw", f.unknown)
	status == {"UNKNOWN"} with input as inp
	want := concat("", [
		"tags.imgsec:replication-exempt is unknown (not a literal): ",
		"cannot show whether the bucket is exempt from replication",
	])
	messages == {want} with input as inp

	# tags = var.tags: every tag is unknown.
	unknown_tags := object.union(secure("raw")[0], {"values": {"tags": f.unknown}})
	status == {"UNKNOWN"} with input as f.stack(array.concat([unknown_tags], array.slice(secure("raw"), 1, 3)))

	# Not required: the exemption changes nothing that blocks, so no result.
	status == set() with input as optional(inp)

	# A bucket that replicates is judged on its replication, whatever the tag.
	status == {"PASS"} with input as exempt(stk(rule), "aws_s3_bucket.raw", f.unknown)
}

test_unknown_rule_status if {
	status == {"UNKNOWN"} with input as stk(object.union(rule, {"status": f.unknown}))
}

test_unknown_rule_destination_bucket if {
	r := object.union(rule, {"destination": object.union(rule.destination, {"bucket": f.unknown})})
	loose := f.res("aws_s3_bucket_replication_configuration", "rep", {"bucket": "raw", "rule": [r]})
	inp := f.stack(array.concat(secure("raw"), [loose]))
	status == {"UNKNOWN"} with input as inp

	# A bucket outside the stack cannot be seen either.
	outside := object.union(rule, {"destination": object.union(rule.destination, {"bucket": "arn:aws:s3:::elsewhere"})})
	status == {"UNKNOWN"} with input as stk(outside)
}

test_unknown_rule_destination_encryption_configuration_replica_kms_key_id if {
	r := object.union(rule, {"destination": {"encryption_configuration": {"replica_kms_key_id": f.unknown}}})
	status == {"UNKNOWN"} with input as stk(r)
}

test_unknown_rule_source_selection_criteria_sse_kms_encrypted_objects_status if {
	r := object.union(rule, {"source_selection_criteria": {"sse_kms_encrypted_objects": {"status": f.unknown}}})
	status == {"UNKNOWN"} with input as stk(r)
}

test_unknown_replication_configuration_rules_status if {
	status == {"UNKNOWN"} with input as inline_stack(object.union(inline_rule, {"status": f.unknown}))
}

test_unknown_replication_configuration_rules_destination_bucket if {
	r := object.union(inline_rule, {"destination": object.union(inline_rule.destination, {"bucket": f.unknown})})
	status == {"UNKNOWN"} with input as inline_stack(r)
}

test_unknown_replication_configuration_rules_destination_replica_kms_key_id if {
	r := object.union(inline_rule, {"destination": {"replica_kms_key_id": f.unknown}})
	status == {"UNKNOWN"} with input as inline_stack(r)
}

test_unknown_replication_configuration_rules_source_selection_criteria_sse_kms_encrypted_objects_enabled if {
	r := object.union(inline_rule, {"source_selection_criteria": {"sse_kms_encrypted_objects": {"enabled": f.unknown}}})
	status == {"UNKNOWN"} with input as inline_stack(r)
}

test_unknown_versioning_configuration_status if {
	versioning := f.res(
		"aws_s3_bucket_versioning", "replica_v",
		{"bucket": "replica", "versioning_configuration": {"status": f.unknown}},
	)
	replica := [secure("replica")[0], versioning, secure("replica")[2]]
	inp := f.stack(array.flatten([secure("raw"), replica, [configuration(rule)]]))
	status == {"UNKNOWN"} with input as inp
}

test_unknown_rule_apply_server_side_encryption_by_default_sse_algorithm if {
	sse := f.res("aws_s3_bucket_server_side_encryption_configuration", "replica_sse", {
		"bucket": "replica",
		"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": f.unknown}},
	})
	replica := [secure("replica")[0], secure("replica")[1], sse]
	inp := f.stack(array.flatten([secure("raw"), replica, [configuration(rule)]]))
	status == {"UNKNOWN"} with input as inp
}

test_plan_destination_known_after_apply_passes if {
	# A plan leaves out the ARN of a bucket created in the same apply; the rule block refers to it.
	r := object.union(
		object.remove(rule, ["destination"]),
		{"destination": {"encryption_configuration": rule.destination.encryption_configuration}},
	)
	planned := f.res_refs(
		"aws_s3_bucket_replication_configuration", "rep",
		{"bucket": "raw", "rule": [r]},
		{"rule": ["aws_s3_bucket.replica"]},
	)
	inp := object.union(f.stack(array.flatten([secure("raw"), secure("replica"), [planned]])), {"source": "plan"})
	status == {"PASS"} with input as inp
}
