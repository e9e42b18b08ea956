# METADATA
# title: Default security groups allow no traffic
# description: >-
#   Every VPC comes with a default security group that allows all traffic between its members and all
#   outbound traffic, and that any resource launched without a security group joins. Terraform leaves
#   it as AWS made it unless an aws_default_security_group adopts it. Every aws_vpc must have an
#   aws_default_security_group whose vpc_id refers to it, and every aws_default_security_group must
#   have no ingress and no egress rules (Terraform then removes AWS's). The VPC is judged on whether
#   its default group is adopted; the group on its rules. UNKNOWN: ingress or egress is unknown
#   (ingress = var.rules), or a VPC has no default group of its own while one has an unknown vpc_id.
# custom:
#   id: IMGSEC-VPC-002
#   severity: medium
#   controls:
#     - 164.312(a)(1)
#     - 164.312(e)(1)
#   resource_types:
#     - aws_vpc
#     - aws_default_security_group
#   inputs:
#     - vpc_id
#     - ingress
#     - egress
#   peers:
#     - cdk-nag:HIPAA.Security-VPCDefaultSecurityGroupClosed
#     - aws-config:vpc-default-security-group-closed
#   remediation: >-
#     Add resource "aws_default_security_group" { vpc_id = <VPC id> } with no ingress or egress
#     blocks, and give every resource a security group of its own.
package imgsec.rules.vpc.default_security_group_closed

import data.imgsec.lib
import data.imgsec.lib.relations

_vpcs := lib.resources_of("aws_vpc")

_groups := lib.resources_of("aws_default_security_group")

_defaults(vpc) := lib.related("aws_default_security_group", "vpc_id", vpc)

_unresolved := relations.unresolved("aws_default_security_group", "vpc_id", "aws_vpc")

# A group's rules of one direction: "none", "some" or "unknown".
# A rule block that is there is a rule, whatever unknown field it holds (a variable description):
# a definite FAIL wins over an UNKNOWN elsewhere in the resource.
_rules(group, direction) := "some" if {
	count([b | some b in lib.as_array(object.get(group.values, direction, [])); is_object(b)]) > 0
} else := "unknown" if {
	lib.is_unknown(object.get(group.values, direction, null))
} else := "unknown" if {
	object.get(group.values, direction, null) == null
	count(object.get(group.refs, direction, [])) > 0
} else := "some" if {
	count([b | some b in lib.as_array(object.get(group.values, direction, [])); b != null]) > 0
} else := "none"

_directions := ["ingress", "egress"]

results contains lib.pass(vpc, concat("", ["the default security group is adopted by ", g.address])) if {
	some vpc in _vpcs
	some g in _defaults(vpc)
}

results contains lib.unknown(vpc, msg) if {
	some vpc in _vpcs
	count(_defaults(vpc)) == 0
	some g in _unresolved
	msg := concat("", [
		"vpc_id is unknown (not a literal) on ", g.address,
		": cannot show whether it closes this VPC's default security group",
	])
}

results contains lib.fail(
	vpc,
	"no aws_default_security_group for the VPC: its default security group allows all traffic among members",
) if {
	count(_unresolved) == 0
	some vpc in _vpcs
	count(_defaults(vpc)) == 0
}

results contains lib.pass(g, "no ingress or egress rules: the default security group allows no traffic") if {
	some g in _groups
	every direction in _directions {
		_rules(g, direction) == "none"
	}
}

results contains lib.fail(g, msg) if {
	some g in _groups
	some direction in _directions
	_rules(g, direction) == "some"
	msg := concat("", [direction, " rules on the default security group: resources that join it by default get them"])
}

results contains lib.unknown(g, msg) if {
	some g in _groups
	every direction in _directions {
		_rules(g, direction) != "some"
	}
	some direction in _directions
	_rules(g, direction) == "unknown"
	msg := concat("", [direction, " is unknown (not a literal): cannot show that the default security group has no rules"])
}
