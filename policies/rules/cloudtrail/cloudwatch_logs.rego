# METADATA
# title: CloudTrail delivers events to CloudWatch Logs
# description: >-
#   A trail must send its events to a CloudWatch Logs group (cloud_watch_logs_group_arn and
#   cloud_watch_logs_role_arn both set) so that metric filters and alarms can review activity and
#   raise security incidents in near real time. A literal ARN counts, and so does a reference to a log
#   group (for the group) or an IAM role (for the role) in the same stack, also when a plan knows it
#   only after apply. A value that is not a literal (a variable, a function result) or that refers to
#   anything else is UNKNOWN, unless the other attribute is missing, which fails.
# custom:
#   id: IMGSEC-CT-004
#   severity: medium
#   controls:
#     - 164.308(a)(1)(ii)(D)
#     - 164.308(a)(6)(ii)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudtrail
#   inputs:
#     - cloud_watch_logs_group_arn
#     - cloud_watch_logs_role_arn
#   remediation: >-
#     Set cloud_watch_logs_group_arn (the log group ARN followed by ":*") and cloud_watch_logs_role_arn
#     (a role cloudtrail.amazonaws.com can assume, allowed logs:CreateLogStream and logs:PutLogEvents).
package imgsec.rules.cloudtrail.cloudwatch_logs

import data.imgsec.lib
import data.imgsec.lib.attrs

# Each attribute, with the resource types a reference to which gives it a meaning.
required := {
	"cloud_watch_logs_group_arn": {"aws_cloudwatch_log_group", "data.aws_cloudwatch_log_group"},
	"cloud_watch_logs_role_arn": {"aws_iam_role", "data.aws_iam_role"},
}

_states(trail) := {attr: _state(trail, attr, types) | some attr, types in required}

results contains lib.pass(trail, "events are delivered to CloudWatch Logs (log group and role set)") if {
	some trail in lib.resources_of("aws_cloudtrail")
	every state in _states(trail) {
		state == "set"
	}
}

results contains lib.fail(trail, concat("", [attr, " is not set: events do not reach CloudWatch Logs"])) if {
	some trail in lib.resources_of("aws_cloudtrail")
	some attr, state in _states(trail)
	state == "unset"
}

results contains lib.unknown(
	trail,
	concat("", [attr, " is unknown (not a literal): cannot show that events reach CloudWatch Logs"]),
) if {
	some trail in lib.resources_of("aws_cloudtrail")
	states := _states(trail)
	every state in states {
		state != "unset"
	}
	some attr, state in states
	state == "unknown"
}

# What a top-level attribute holds, three-valued: "set" when it is a literal, or a reference to a
# resource of `types` (whose value is never empty); "unknown" when part of it is unknown or it refers
# to anything else; "unset" when absent, null or empty. In a plan, an attribute absent from values
# but with references is the value of those references, known only after apply.
_state(r, attr, types) := _value(r.values[attr], types) if {
	_written(r.values, attr)
} else := _after_apply(object.get(r.refs, attr, []), types)

_written(obj, key) if {
	some k, _ in obj
	k == key
}

_value(v, types) := "unknown" if {
	lib.is_unknown(v)
} else := "set" if {
	is_string(v)
	not regex.match(`^\s*(\$\{[^}]*\}\s*)*$`, v)
} else := "set" if {
	is_string(v)
	contains(v, "${")
	every m in regex.find_all_string_submatch_n(`\$\{([^}]*)\}`, v, -1) {
		_type_of(m[1]) in types
	}
} else := "unknown" if {
	is_string(v)
	contains(v, "${")
} else := "set" if {
	not is_string(v)
	attrs.present(v)
} else := "unset"

_after_apply(refs, types) := "set" if {
	count(refs) > 0
	every a in refs {
		_type_of(a) in types
	}
} else := "unknown" if {
	count(refs) > 0
} else := "unset"

# The resource type a reference or config address names: aws_kms_key.k.arn, data.aws_kms_alias.a,
# module.m.aws_kms_key.k.
_type_of(ref) := m[0][1] if {
	m := regex.find_all_string_submatch_n(`^\s*(?:module\.[^.]+\.)*((?:data\.)?[A-Za-z0-9_-]+)`, ref, 1)
	count(m) == 1
}
