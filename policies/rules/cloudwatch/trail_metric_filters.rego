# METADATA
# title: The trail's log group has CIS metric filters, each with an alarm that notifies (reported, not blocking)
# description: >-
#   Activity review needs someone to hear of misuse as it happens. For every aws_cloudtrail that
#   delivers to a CloudWatch log group, that log group needs an aws_cloudwatch_log_metric_filter for
#   each event class of the CIS AWS Foundations Benchmark's monitoring section: root account use,
#   unauthorized API calls, console sign-in failures, IAM policy changes, KMS keys disabled or
#   scheduled for deletion, CloudTrail configuration changes, S3 bucket policy changes, and network
#   changes (security groups, network ACLs, network gateways, route tables, VPCs); and each filter's
#   metric (metric_transformation name and namespace) needs an aws_cloudwatch_metric_alarm whose
#   actions run (alarm_actions set, actions_enabled not false, as IMGSEC-CW-003 reads them). A filter
#   covers a class when its pattern, with spaces and quotes ignored, has every comparison of the CIS
#   pattern (`$.eventName = CreateTrail`, `$.errorCode = "AccessDenied*"`, ...), as Prowler matches
#   them; more comparisons are fine. A warning, not a failure: neither cdk-nag's nor AWS Config's
#   HIPAA pack requires these alarms, and an organization often keeps them on its organization
#   trail in a security account, which a workload stack's gate cannot see. UNKNOWN: the trail's log
#   group, or a filter's log group, pattern or metric, or an alarm's metric or actions, is unknown
#   and could complete a missing class.
# custom:
#   id: IMGSEC-CW-004
#   severity: medium
#   level: warning
#   controls:
#     - 164.308(a)(1)(ii)(D)
#     - 164.308(a)(6)(ii)
#     - 164.308(a)(5)(ii)(C)
#     - 164.312(b)
#   resource_types:
#     - aws_cloudtrail
#   inputs:
#     - cloud_watch_logs_group_arn
#     - log_group_name
#     - pattern
#     - metric_transformation.name
#     - metric_transformation.namespace
#     - metric_name
#     - namespace
#     - alarm_actions
#     - actions_enabled
#   peers:
#     - prowler:cloudwatch_log_metric_filter_root_usage
#     - prowler:cloudwatch_log_metric_filter_authentication_failures
#     - prowler:cloudwatch_changes_to_network_acls_alarm_configured
#     - prowler:cloudwatch_changes_to_network_gateways_alarm_configured
#     - prowler:cloudwatch_changes_to_network_route_tables_alarm_configured
#     - prowler:cloudwatch_changes_to_vpcs_alarm_configured
#   remediation: >-
#     Add, on the trail's log group, a metric filter with the CIS pattern for each missing class and a
#     metric alarm on its metric whose alarm_actions name an SNS topic (Monitoring's securityAlarms
#     list in modules/monitoring.ts is where imgsec declares them).
package imgsec.rules.cloudwatch.trail_metric_filters

import data.imgsec.lib
import data.imgsec.lib.attrs
import data.imgsec.lib.iam
import data.imgsec.lib.relations
import data.imgsec.rules.cloudwatch.alarm_actions

# The CIS event classes, each as the comparisons its pattern must hold (spaces and quotes removed).
categories := [
	{"title": "root account use", "terms": _root_use},
	{"title": "unauthorized API calls", "terms": _unauthorized},
	{"title": "console sign-in failures", "terms": _sign_in_failures},
	{"title": "IAM policy changes", "terms": _iam_policy_changes},
	{"title": "KMS keys disabled or scheduled for deletion", "terms": _kms_changes},
	{"title": "CloudTrail configuration changes", "terms": _cloudtrail_changes},
	{"title": "S3 bucket policy changes", "terms": _bucket_policy_changes},
	{"title": "security group changes", "terms": _security_group_changes},
	{"title": "network ACL changes", "terms": _network_acl_changes},
	{"title": "network gateway changes", "terms": _gateway_changes},
	{"title": "route table changes", "terms": _route_table_changes},
	{"title": "VPC changes", "terms": _vpc_changes},
]

_root_use := ["$.userIdentity.type=Root", "$.userIdentity.invokedByNOTEXISTS", "$.eventType!=AwsServiceEvent"]

_unauthorized := ["$.errorCode=*UnauthorizedOperation", "$.errorCode=AccessDenied*"]

_sign_in_failures := ["$.eventName=ConsoleLogin", "$.errorMessage=Failedauthentication"]

_iam_policy_changes := _event_names([
	"DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
	"PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
	"AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
	"AttachGroupPolicy", "DetachGroupPolicy",
])

_kms_changes := array.concat(["$.eventSource=kms.amazonaws.com"], _event_names(["DisableKey", "ScheduleKeyDeletion"]))

_cloudtrail_changes := _event_names(["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"])

_bucket_policy_changes := array.concat(["$.eventSource=s3.amazonaws.com"], _event_names([
	"PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
	"DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication",
]))

_security_group_changes := _event_names([
	"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
	"RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup",
])

_network_acl_changes := _event_names([
	"CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
	"ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation",
])

_gateway_changes := _event_names([
	"CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
	"DeleteInternetGateway", "DetachInternetGateway",
])

_route_table_changes := _event_names([
	"CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
	"DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable",
])

_vpc_changes := _event_names([
	"CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
	"CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
	"AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink",
])

_event_names(names) := [concat("", ["$.eventName=", n]) | some n in names]

# ---- the trail's log group -------------------------------------------------------------------------

_trails := [t | some t in lib.resources_of("aws_cloudtrail"); attrs.state(t, "cloud_watch_logs_group_arn") != "unset"]

# The log groups of the stack the trail delivers to (by reference, or by the name in its ARN).
_groups(trail) := {g |
	some g in lib.resources_of("aws_cloudwatch_log_group")
	g.config_address in object.get(trail.refs, "cloud_watch_logs_group_arn", [])
} | {g |
	name := _arn_group_name(trail)
	some g in lib.resources_of("aws_cloudwatch_log_group")
	object.get(g.values, "name", null) == name
}

# The log group name in a literal ARN: arn:<p>:logs:<region>:<account>:log-group:<name>[:*].
_arn_group_name(trail) := parts[6] if {
	arn := trail.values.cloud_watch_logs_group_arn
	is_string(arn)
	not contains(arn, "${")
	parts := split(arn, ":")
	count(parts) >= 7
	parts[5] == "log-group"
}

_group_unknown(trail) if {
	count(_groups(trail)) == 0
	not _arn_group_name(trail)
}

# The metric filters on the trail's log group: related to one of its groups, or naming its literal group.
_filters(trail) := {f |
	some g in _groups(trail)
	some f in lib.related("aws_cloudwatch_log_metric_filter", "log_group_name", g)
} | {f |
	name := _arn_group_name(trail)
	some f in lib.resources_of("aws_cloudwatch_log_metric_filter")
	object.get(f.values, "log_group_name", null) == name
}

# Filters whose log group is unknown: they may be on the trail's log group.
_unresolved_filters := [f |
	some f in lib.resources_of("aws_cloudwatch_log_metric_filter")
	relations.may_name_any(f, "log_group_name", "aws_cloudwatch_log_group")
]

# ---- patterns and alarms -----------------------------------------------------------------------------

# The comparisons of a filter pattern: spaces and double quotes removed, split at parentheses, braces,
# && and ||.
terms(pattern) := {m[0] |
	canonical := strings.replace_n({" ": "", "\t": "", "\n": "", "\r": "", "\"": ""}, pattern)
	some m in regex.find_all_string_submatch_n(`[^(){}&|]+`, canonical, -1)
}

# The comparisons of a filter's pattern, each unknown part (a variable, a reference: the value of a
# comparison, or more) written as a hole.
_tokens(f) := terms(replace(iam.opaque(f.values.pattern, "none"), lib.unknown_marker, _hole)) if {
	is_string(f.values.pattern)
} else := {_hole} if {
	lib.is_unknown(object.get(f.values, "pattern", null))
} else := set()

_hole := "\u0001"

_opaque(v) if lib.is_unknown(v)

_opaque(v) if {
	is_string(v)
	contains(v, "${")
}

# Computed once per filter, alarm and trail (functions are not memoized in WebAssembly).
_filter_tokens[f.address] := _tokens(f) if some f in lib.resources_of("aws_cloudwatch_log_metric_filter")

_alarm_state[a.address] := _notifies(a) if some a in lib.resources_of("aws_cloudwatch_metric_alarm")

_trail_filters[trail.address] := _filters(trail) if some trail in _trails

_covers(f, category) if {
	t := _filter_tokens[f.address]
	every term in category.terms {
		term in t
	}
}

# The filter covers the class, or may once its unknown parts are known: each comparison is there,
# or a comparison with a hole could be it.
_may_cover(f, category) if {
	t := _filter_tokens[f.address]
	every term in category.terms {
		_may_hold(t, term)
	}
}

_may_hold(tokens, term) if term in tokens

_may_hold(tokens, term) if {
	some token in tokens
	contains(token, _hole)
	lib.could_be(replace(token, _hole, lib.unknown_marker), term)
}

# The filter's metric: [name, namespace]; undefined when either is not a literal.
_metric(f) := [name, namespace] if {
	some mt in lib.as_array(object.get(f.values, "metric_transformation", []))
	is_object(mt)
	name := mt.name
	namespace := mt.namespace
	is_string(name)
	is_string(namespace)
	not _opaque(name)
	not _opaque(namespace)
}

# The alarms on a metric, from an alarm's metric_name and namespace or a metric_query's metric.
_alarms(metric) := {a |
	some a in lib.resources_of("aws_cloudwatch_metric_alarm")
	[object.get(a.values, "metric_name", null), object.get(a.values, "namespace", null)] == metric
} | {a |
	some a in lib.resources_of("aws_cloudwatch_metric_alarm")
	some q in lib.as_array(object.get(a.values, "metric_query", []))
	is_object(q)
	some m in lib.as_array(object.get(q, "metric", []))
	is_object(m)
	[object.get(m, "metric_name", null), object.get(m, "namespace", null)] == metric
}

# Whether an alarm's actions run, as IMGSEC-CW-003 judges them: "yes", "no" or "unknown".
_notifies(alarm) := "yes" if {
	_cw003(alarm) == {"PASS"}
} else := "unknown" if {
	"UNKNOWN" in _cw003(alarm)
	not "FAIL" in _cw003(alarm)
} else := "no"

_cw003(alarm) := object.get(_cw003_statuses, alarm.address, set())

_cw003_statuses[r.resource] contains r.status if some r in alarm_actions.results

# Alarms whose metric is unknown: they may watch any filter's metric.
_alarms_unknown := [a |
	some a in lib.resources_of("aws_cloudwatch_metric_alarm")
	_alarm_metric_unknown(a)
]

_alarm_metric_unknown(a) if _opaque(object.get(a.values, "metric_name", null))

_alarm_metric_unknown(a) if _opaque(object.get(a.values, "namespace", null))

_alarm_metric_unknown(a) if {
	some attr in ["metric_name", "namespace"]
	object.get(a.values, attr, null) == null
	count(object.get(a.refs, attr, [])) > 0
}

# ---- verdict per class -----------------------------------------------------------------------------

# "yes" when a filter covers the class and an alarm on its metric notifies; "unknown" when unknown
# values could make it so; "no" otherwise (with the reason).
_verdict(trail, category) := {"state": "yes"} if {
	some f in _trail_filters[trail.address]
	_covers(f, category)
	some a in _alarms(_metric(f))
	_alarm_state[a.address] == "yes"
} else := {"state": "unknown", "why": why} if {
	why := _unknown_reasons(trail, category)
	count(why) > 0
} else := {"state": "no", "why": why} if {
	not _covered(trail, category)
	why := concat("", ["no metric filter on the trail's log group matches the CIS pattern for ", category.title])
} else := {"state": "no", "why": _no_alarm(category)}

_no_alarm(category) := concat("", ["the metric filter for ", category.title, " has no alarm whose actions run"])

_covered(trail, category) if {
	some f in _trail_filters[trail.address]
	_covers(f, category)
}

_unknown_reasons(trail, category) := (((_group_unknowns(trail, category) | _loose_filters(category)) | {msg |
	some f in _trail_filters[trail.address]
	not _covers(f, category)
	_may_cover(f, category)
	msg := concat("", ["pattern is unknown (not a literal) on ", f.address, ": it may be the filter for ", category.title])
}) | {msg |
	some f in _trail_filters[trail.address]
	_covers(f, category)
	not _metric(f)
	msg := concat("", [
		"metric_transformation.name or metric_transformation.namespace is unknown (not a literal) on ", f.address,
		": cannot show that an alarm watches the filter for ", category.title,
	])
}) | {msg |
	some f in _trail_filters[trail.address]
	_covers(f, category)
	metric := _metric(f)
	some msg in _alarm_unknowns(metric, category)
}

_group_unknowns(trail, category) := {msg |
	_group_unknown(trail)
	msg := concat("", [
		"cloud_watch_logs_group_arn is unknown (not a literal): cannot show that its log group has a filter for ",
		category.title,
	])
}

_loose_filters(category) := {msg |
	some f in _unresolved_filters
	_may_cover(f, category)
	msg := concat("", [
		"log_group_name is unknown (not a literal) on ", f.address, ": it may be the trail's filter for ",
		category.title,
	])
}

_alarm_unknowns(metric, category) := {msg |
	some a in _alarms_unknown
	msg := concat("", [
		"metric_name or namespace is unknown (not a literal) on ", a.address,
		": it may be the alarm for ", category.title,
	])
} | {msg |
	some a in _alarms(metric)
	_alarm_state[a.address] == "unknown"
	msg := concat("", [
		"alarm_actions or actions_enabled is unknown (not a literal) on ", a.address,
		": cannot show that the alarm for ", category.title, " notifies",
	])
}

_verdicts[trail.address] := [_verdict(trail, c) | some c in categories] if some trail in _trails

_complete := "the trail's log group has a metric filter and a notifying alarm for every CIS event class"

results contains lib.pass(trail, _complete) if {
	some trail in _trails
	every v in _verdicts[trail.address] {
		v.state == "yes"
	}
}

results contains lib.fail(trail, v.why) if {
	some trail in _trails
	some v in _verdicts[trail.address]
	v.state == "no"
}

results contains lib.unknown(trail, why) if {
	some trail in _trails
	not _any_no(trail)
	some v in _verdicts[trail.address]
	v.state == "unknown"
	some why in v.why
}

_any_no(trail) if {
	some v in _verdicts[trail.address]
	v.state == "no"
}
