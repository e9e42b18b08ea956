# METADATA
# title: IAM permissions are managed policies, not inline policies (reported, not blocking)
# description: >-
#   AWS recommends customer managed policies over inline ones: a managed policy is versioned (a
#   change can be rolled back), reusable, and listed and reviewed on its own, so access reviews
#   (164.308(a)(4)(ii)(C)) see every grant in one place. Every aws_iam_role_policy,
#   aws_iam_user_policy and aws_iam_group_policy, and every aws_iam_role with inline_policy blocks,
#   is reported; a role without inline policies passes. A warning, not a failure: imgsec's own
#   pipeline uses inline role policies on purpose. Each of its roles has exactly one least-privilege
#   policy written for that role alone (its statements name the role's own buckets, prefixes, keys
#   and queues), which is created and deleted with the role and can never be attached to another
#   principal, so it cannot widen anyone else's access; a managed policy would add an attachment
#   that can outlive the role or be reused. The warning keeps the choice visible to auditors. An
#   inline_policy attribute that is unknown (a variable, a plan value known only after apply) is
#   UNKNOWN: it may hold inline policies.
# custom:
#   id: IMGSEC-IAM-007
#   severity: low
#   level: warning
#   controls:
#     - 164.308(a)(4)(ii)(C)
#     - 164.308(a)(4)(ii)(B)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_iam_role_policy
#     - aws_iam_user_policy
#     - aws_iam_group_policy
#     - aws_iam_role
#   inputs:
#     - inline_policy
#   peers:
#     - cdk-nag:HIPAA.Security-IAMNoInlinePolicy
#     - aws-config:iam-no-inline-policy-check
#   remediation: >-
#     Move the statements into an aws_iam_policy and attach it with aws_iam_role_policy_attachment
#     (or aws_iam_user_policy_attachment, aws_iam_group_policy_attachment); or keep a role-bound
#     inline policy deliberately and record why, as imgsec's pipeline does.
package imgsec.rules.iam.no_inline_policies

import data.imgsec.lib

_inline_types := {"aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}

_advice := "use managed policies and attachments"

_unknown_message := "inline_policy is unknown (not a literal): cannot show that the role has no inline policies"

_owner := {"aws_iam_role_policy": "role", "aws_iam_user_policy": "user", "aws_iam_group_policy": "group"}

results contains lib.fail(r, msg) if {
	some type in _inline_types
	some r in lib.resources_of(type)
	msg := concat("", ["an inline policy of its ", _owner[r.type], ": use a managed policy and an attachment"])
}

results contains lib.pass(role, "the role has no inline_policy blocks") if {
	some role in lib.resources_of("aws_iam_role")
	count(_blocks(role)) == 0
	not _unknown(role)
}

results contains lib.fail(role, msg) if {
	some role in lib.resources_of("aws_iam_role")
	n := count(_blocks(role))
	n > 0
	msg := concat("", ["the role has ", format_int(n, 10), " inline_policy block(s): ", _advice])
}

results contains lib.unknown(role, _unknown_message) if {
	some role in lib.resources_of("aws_iam_role")
	count(_blocks(role)) == 0
	_unknown(role)
}

# The role's inline_policy blocks that define a policy (a block without one, as a plan shows for
# a role whose inline policies are managed elsewhere, defines none).
_blocks(role) := [b |
	some b in lib.as_array(object.get(role.values, "inline_policy", []))
	is_object(b)
	_defines_policy(b)
]

_defines_policy(b) if not object.get(b, "policy", "") in {"", null}

_defines_policy(b) if not object.get(b, "name", "") in {"", null}

_unknown(role) if {
	v := object.get(role.values, "inline_policy", null)
	not is_object(v)
	lib.is_unknown(v)
}

_unknown(role) if {
	some b in lib.as_array(object.get(role.values, "inline_policy", []))
	not is_object(b)
	lib.is_unknown(b)
}

_unknown(role) if {
	object.get(role.values, "inline_policy", null) == null
	count(object.get(role.refs, "inline_policy", [])) > 0
}
