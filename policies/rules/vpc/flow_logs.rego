# METADATA
# title: VPCs record all their traffic in flow logs
# description: >-
#   In VPC mode the pipeline's functions reach S3, KMS and Secrets Manager through endpoints in the
#   VPC; flow logs are the record of which interfaces talked to which addresses, accepted or rejected,
#   for incident review. Every aws_vpc needs an aws_flow_log whose vpc_id refers to it with
#   traffic_type "ALL" (ACCEPT or REJECT alone leaves half the traffic unrecorded). A flow log whose
#   vpc_id is unknown may be this VPC's: a VPC without one of its own is then UNKNOWN, and so is one
#   whose flow log's traffic_type is unknown.
# custom:
#   id: IMGSEC-VPC-001
#   severity: medium
#   controls:
#     - 164.312(b)
#     - 164.308(a)(1)(ii)(D)
#   resource_types:
#     - aws_vpc
#   inputs:
#     - vpc_id
#     - traffic_type
#   peers:
#     - cdk-nag:HIPAA.Security-VPCFlowLogsEnabled
#     - aws-config:vpc-flow-logs-enabled
#     - prowler:vpc_flow_logs_enabled
#   remediation: >-
#     Add an aws_flow_log { vpc_id = <VPC id>, traffic_type = "ALL", log_destination = <KMS-encrypted
#     log group ARN>, iam_role_arn = <delivery role> } for the VPC.
package imgsec.rules.vpc.flow_logs

import data.imgsec.lib
import data.imgsec.lib.relations

_vpcs := lib.resources_of("aws_vpc")

_flow_logs(vpc) := lib.related("aws_flow_log", "vpc_id", vpc)

_unresolved := relations.unresolved("aws_flow_log", "vpc_id", "aws_vpc")

# A flow log's traffic_type: "ALL", "unknown", or what else it is.
_traffic(log) := "unknown" if {
	lib.is_unknown(object.get(log.values, "traffic_type", null))
} else := "unknown" if {
	object.get(log.values, "traffic_type", null) == null
	count(object.get(log.refs, "traffic_type", [])) > 0
} else := "unknown" if {
	t := object.get(log.values, "traffic_type", null)
	is_string(t)
	contains(t, "${")
} else := object.get(log.values, "traffic_type", "unset")

_all_traffic(vpc) := log if {
	some log in _flow_logs(vpc)
	_traffic(log) == "ALL"
}

results contains lib.pass(vpc, concat("", [log.address, " records ALL traffic"])) if {
	some vpc in _vpcs
	log := _all_traffic(vpc)
}

results contains lib.unknown(vpc, msg) if {
	some vpc in _vpcs
	not _all_traffic(vpc)
	some log in _flow_logs(vpc)
	_traffic(log) == "unknown"
	msg := concat("", [
		"traffic_type is unknown (not a literal) on ", log.address,
		": cannot show that it records ALL traffic",
	])
}

results contains lib.fail(vpc, msg) if {
	some vpc in _vpcs
	count(_flow_logs(vpc)) > 0
	every log in _flow_logs(vpc) {
		not _traffic(log) in {"ALL", "unknown"}
	}
	msg := concat("", [
		"no flow log records ALL traffic (traffic_type of ",
		concat(", ", sort([log.address | some log in _flow_logs(vpc)])), "): part of the traffic is not recorded",
	])
}

results contains lib.unknown(vpc, msg) if {
	some vpc in _vpcs
	count(_flow_logs(vpc)) == 0
	some log in _unresolved
	msg := concat("", [
		"vpc_id is unknown (not a literal) on ", log.address,
		": cannot show whether it records this VPC",
	])
}

results contains lib.fail(vpc, "no aws_flow_log for the VPC: its traffic is not recorded") if {
	count(_unresolved) == 0
	some vpc in _vpcs
	count(_flow_logs(vpc)) == 0
}
