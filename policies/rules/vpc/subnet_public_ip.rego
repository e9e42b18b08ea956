# METADATA
# title: Subnets do not give instances public IP addresses
# description: >-
#   A subnet with map_public_ip_on_launch gives every network interface launched in it (a Lambda
#   function's in VPC mode, an instance's) a public address, reachable from the internet as soon as
#   a route and a security group allow it. Every aws_subnet must leave map_public_ip_on_launch false
#   (the provider's default); true fails, and a value that is unknown (a variable, a plan value known
#   only after apply) is UNKNOWN.
# custom:
#   id: IMGSEC-VPC-004
#   severity: medium
#   controls:
#     - 164.312(a)(1)
#     - 164.312(e)(1)
#   resource_types:
#     - aws_subnet
#   inputs:
#     - map_public_ip_on_launch
#   peers:
#     - cdk-nag:HIPAA.Security-VPCSubnetAutoAssignPublicIpDisabled
#     - aws-config:subnet-auto-assign-public-ip-disabled
#   remediation: >-
#     Leave map_public_ip_on_launch unset (or false), as the pipeline's VPC mode does; reach AWS
#     services through VPC endpoints.
package imgsec.rules.vpc.subnet_public_ip

import data.imgsec.lib
import data.imgsec.lib.attrs

_public(subnet) := attrs.bool(subnet, "map_public_ip_on_launch", false)

results contains lib.pass(subnet, "map_public_ip_on_launch is false: no public addresses on launch") if {
	some subnet in lib.resources_of("aws_subnet")
	_public(subnet) == false
}

results contains lib.fail(subnet, "map_public_ip_on_launch is true: interfaces launched here get public addresses") if {
	some subnet in lib.resources_of("aws_subnet")
	_public(subnet) == true
}

results contains lib.unknown(
	subnet,
	"map_public_ip_on_launch is unknown (not a literal): cannot show that the subnet assigns no public addresses",
) if {
	some subnet in lib.resources_of("aws_subnet")
	_public(subnet) == "unknown"
}
