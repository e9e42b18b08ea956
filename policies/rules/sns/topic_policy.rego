# METADATA
# title: SNS topic policies deny publishing without TLS and do not open the topic to everyone
# description: >-
#   Alarm notifications and any message a topic carries must not cross the network in clear text, and
#   no one outside the account should publish to or subscribe to the topic. Every aws_sns_topic needs
#   a topic policy (an aws_sns_topic_policy whose arn refers to it, or the topic's own policy
#   attribute) with a Deny of "sns:Publish" (or "sns:*", "*") for principal "*" when
#   aws:SecureTransport is false (Bool or BoolIfExists), and with no Allow statement (a statement
#   without an Effect counts as one) for principal "*" (or NotPrincipal) without a Condition that
#   restricts it to an account, organization, source ARN or VPC endpoint (aws:SourceAccount,
#   aws:SourceArn, aws:PrincipalOrgID... with StringEquals/StringLike/ArnEquals/ArnLike and a value
#   other than "*"). A topic without a policy fails (the default policy has no TLS Deny), and so does
#   a policy that is not JSON. A policy written as an aws_iam_policy_document data source is read
#   from its statements. UNKNOWN, never PASS: a policy that is unknown, a statement whose unknown
#   Effect, Principal, Action or Condition value could make it the Deny or a public Allow, or an
#   aws_sns_topic_policy whose arn is unknown (it may be this topic's).
# custom:
#   id: IMGSEC-SNS-002
#   severity: high
#   controls:
#     - 164.312(e)(1)
#     - 164.312(e)(2)(i)
#     - 164.312(a)(1)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_sns_topic
#   inputs:
#     - policy
#     - policy.Effect
#     - policy.Principal
#     - policy.Action
#     - policy.Condition
#     - arn
#   peers: []
#   remediation: >-
#     Attach an aws_sns_topic_policy with a statement { Effect = "Deny", Principal = "*", Action =
#     "sns:Publish", Resource = <topic ARN>, Condition = { Bool = { "aws:SecureTransport" = "false" } } },
#     and grant publishers by name (a service principal with aws:SourceAccount or aws:SourceArn, as
#     Monitoring's alarm topic does).
package imgsec.rules.sns.topic_policy

import data.imgsec.lib
import data.imgsec.lib.relations
import data.imgsec.lib.s3
import data.imgsec.lib.transport

_actions := {"*", "sns:*", "sns:publish"}

# [address of the resource holding it, document] for every policy of the topic.
_documents(topic) := array.concat(
	[[p.address, lib.policy(p, "policy")] |
		some p in lib.related("aws_sns_topic_policy", "arn", topic)
	],
	[[topic.address, lib.policy(topic, "policy")] | _inline_policy(topic)],
)

_inline_policy(topic) if not object.get(topic.values, "policy", null) in {null, ""}

_inline_policy(topic) if {
	object.get(topic.values, "policy", null) == null
	count(object.get(topic.refs, "policy", [])) > 0
}

_known(doc) if {
	doc != null
	not lib.document_unknown(doc)
}

# Topic policies whose arn is unknown: they may be this topic's.
_unresolved := relations.unresolved("aws_sns_topic_policy", "arn", "aws_sns_topic")

_failures(topic) := {"no topic policy (aws_sns_topic_policy): publishing without TLS is not denied"} if {
	count(_documents(topic)) == 0
	count(_unresolved) == 0
} else := (_not_json(topic) | _tls_missing(topic)) | _public(topic)

_not_json(topic) := {"topic policy is not JSON: cannot show that it denies publishing without TLS" |
	some [_, doc] in _documents(topic)
	doc == null
}

_tls_missing(topic) := {"topic policy has no Deny of sns:Publish for principal * with Bool aws:SecureTransport false" |
	_tls(topic) == "missing"
}

_public(topic) := {msg |
	some [where, doc] in _documents(topic)
	_known(doc)
	some st in s3.public_statements(doc)
	msg := concat("", [_statement(where, st), " allows principal * without a restricting Condition"])
}

# Whether the topic's policies deny publishing without TLS: "denied", "unknown", "missing", or
# undefined when there is no document or one is not JSON (a failure of its own).
_tls(topic) := "denied" if {
	some [_, doc] in _documents(topic)
	_known(doc)
	transport.compliant(doc, _actions)
} else := "unknown" if {
	some [_, doc] in _documents(topic)
	lib.document_unknown(doc)
} else := "unknown" if {
	some [_, doc] in _documents(topic)
	_known(doc)
	count(transport.maybe_statements(doc, _actions)) > 0
} else := "missing" if {
	count(_documents(topic)) > 0
	every pair in _documents(topic) {
		_known(pair[1])
	}
}

_unknowns(topic) := (({msg |
	count(_documents(topic)) == 0
	some p in _unresolved
	msg := concat("", [
		"arn is unknown (not a literal) on ", p.address,
		": cannot show whether it is this topic's policy, which must deny publishing without TLS",
	])
} | {msg |
	some [where, doc] in _documents(topic)
	lib.document_unknown(doc)
	msg := concat("", [
		"policy is unknown (not a literal document) on ", where,
		": cannot show that it denies publishing without TLS and is not public",
	])
}) | {msg |
	_tls(topic) == "unknown"
	some [where, doc] in _documents(topic)
	_known(doc)
	some st in transport.maybe_statements(doc, _actions)
	some field in transport.open_fields(st)
	msg := concat("", [
		"policy.", field, " is unknown (not a literal) on ", where,
		": cannot show that a statement denies sns:Publish to principal * when aws:SecureTransport is false",
	])
}) | {msg |
	some [where, doc] in _documents(topic)
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

_compliant := "topic policy denies sns:Publish without TLS and allows no unrestricted principal *"

results contains lib.pass(topic, _compliant) if {
	some topic in lib.resources_of("aws_sns_topic")
	count(_failures(topic)) == 0
	count(_unknowns(topic)) == 0
}

results contains lib.fail(topic, msg) if {
	some topic in lib.resources_of("aws_sns_topic")
	some msg in _failures(topic)
}

results contains lib.unknown(topic, msg) if {
	some topic in lib.resources_of("aws_sns_topic")
	count(_failures(topic)) == 0
	some msg in _unknowns(topic)
}
