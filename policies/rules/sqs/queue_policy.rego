# METADATA
# title: SQS queue policies deny requests without TLS and do not open the queue to everyone
# description: >-
#   Every aws_sqs_queue needs a queue policy (an aws_sqs_queue_policy whose queue_url refers to it, or
#   the queue's own policy attribute) with a Deny of "sqs:*" (or "*") for principal "*" when
#   aws:SecureTransport is false (Bool or BoolIfExists), so messages never cross the network in clear
#   text, and with no Allow statement for principal "*" (or NotPrincipal) without a Condition that
#   restricts it to an account, organization, source ARN or VPC endpoint (aws:SourceArn,
#   aws:SourceAccount, aws:PrincipalOrgID... with StringEquals/StringLike/ArnEquals/ArnLike and a
#   value other than "*"). A queue without a policy fails, and so does a policy that is not JSON. A
#   policy that is unknown (a variable, jsonencode(...), a data source's json, a plan value known only
#   after apply), a statement whose unknown Effect, Principal, Action or Condition value could make it
#   the Deny or a public Allow, or an aws_sqs_queue_policy whose queue_url is unknown (it may be this
#   queue's) is UNKNOWN.
# custom:
#   id: IMGSEC-SQS-002
#   severity: high
#   controls:
#     - 164.312(e)(1)
#     - 164.312(e)(2)(ii)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_sqs_queue
#   inputs:
#     - policy
#     - policy.Effect
#     - policy.Principal
#     - policy.Action
#     - policy.Condition
#     - queue_url
#   remediation: >-
#     Attach an aws_sqs_queue_policy with a statement { Effect = "Deny", Principal = "*", Action =
#     "sqs:*", Resource = <queue ARN>, Condition = { Bool = { "aws:SecureTransport" = "false" } } },
#     and grant senders by name (a role ARN, or a service principal with aws:SourceArn).
package imgsec.rules.sqs.queue_policy

import data.imgsec.lib
import data.imgsec.lib.relations
import data.imgsec.lib.s3
import data.imgsec.lib.transport

_actions := {"*", "sqs:*"}

# [address of the resource holding it, document] for every policy of the queue.
_documents(queue) := array.concat(
	[[p.address, lib.policy(p, "policy")] |
		some p in lib.related("aws_sqs_queue_policy", "queue_url", queue)
	],
	[[queue.address, lib.policy(queue, "policy")] | _inline_policy(queue)],
)

_inline_policy(queue) if not object.get(queue.values, "policy", null) in {null, ""}

_inline_policy(queue) if {
	object.get(queue.values, "policy", null) == null
	count(object.get(queue.refs, "policy", [])) > 0
}

_known(doc) if {
	doc != null
	not lib.document_unknown(doc)
}

# Queue policies whose queue_url is unknown: they may be this queue's.
_unresolved := relations.unresolved("aws_sqs_queue_policy", "queue_url", "aws_sqs_queue")

_failures(queue) := {"no queue policy (aws_sqs_queue_policy): requests without TLS are not denied"} if {
	count(_documents(queue)) == 0
	count(_unresolved) == 0
} else := (_not_json(queue) | _tls_missing(queue)) | _public(queue)

_not_json(queue) := {"queue policy is not JSON: cannot show that it denies requests without TLS" |
	some [_, doc] in _documents(queue)
	doc == null
}

_tls_missing(queue) := {"queue policy has no Deny of sqs:* for principal * with Bool aws:SecureTransport false" |
	_tls(queue) == "missing"
}

_public(queue) := {msg |
	some [where, doc] in _documents(queue)
	_known(doc)
	some st in s3.public_statements(doc)
	msg := concat("", [_statement(where, st), " allows principal * without a restricting Condition"])
}

# Whether the queue's policies deny requests without TLS: "denied" (one compliant document is
# enough: several policies are merged), "unknown" (a document, or a statement that may be the Deny,
# is unknown), "missing" (known documents without it), or undefined when there is no document or
# one is not JSON (a failure of its own).
_tls(queue) := "denied" if {
	some [_, doc] in _documents(queue)
	_known(doc)
	transport.compliant(doc, _actions)
} else := "unknown" if {
	some [_, doc] in _documents(queue)
	lib.document_unknown(doc)
} else := "unknown" if {
	some [_, doc] in _documents(queue)
	_known(doc)
	count(transport.maybe_statements(doc, _actions)) > 0
} else := "missing" if {
	count(_documents(queue)) > 0
	every pair in _documents(queue) {
		_known(pair[1])
	}
}

_unknowns(queue) := (({msg |
	count(_documents(queue)) == 0
	some p in _unresolved
	msg := concat("", [
		"queue_url is unknown (not a literal) on ", p.address,
		": cannot show whether it is this queue's policy, which must deny requests without TLS",
	])
} | {msg |
	some [where, doc] in _documents(queue)
	lib.document_unknown(doc)
	msg := concat("", [
		"policy is unknown (not a literal document) on ", where,
		": cannot show that it denies requests without TLS and is not public",
	])
}) | {msg |
	_tls(queue) == "unknown"
	some [where, doc] in _documents(queue)
	_known(doc)
	some st in transport.maybe_statements(doc, _actions)
	some field in transport.open_fields(st)
	msg := concat("", [
		"policy.", field, " is unknown (not a literal) on ", where,
		": cannot show that a statement denies sqs:* to principal * when aws:SecureTransport is false",
	])
}) | {msg |
	some [where, doc] in _documents(queue)
	_known(doc)
	some st in s3.maybe_public_statements(doc)
	msg := concat("", [
		_statement(where, st),
		" has an unknown Effect, Principal or Condition value that could allow principal * without a restriction",
	])
}

_statement(where, st) := concat("", ["policy statement \"", st.Sid, "\" on ", where]) if {
	is_string(st.Sid)
} else := concat("", ["a policy statement on ", where])

results contains lib.pass(queue, "queue policy denies sqs:* without TLS and allows no unrestricted principal *") if {
	some queue in lib.resources_of("aws_sqs_queue")
	count(_failures(queue)) == 0
	count(_unknowns(queue)) == 0
}

results contains lib.fail(queue, msg) if {
	some queue in lib.resources_of("aws_sqs_queue")
	some msg in _failures(queue)
}

results contains lib.unknown(queue, msg) if {
	some queue in lib.resources_of("aws_sqs_queue")
	count(_failures(queue)) == 0
	some msg in _unknowns(queue)
}
