# METADATA
# title: Route tables have no route from the whole internet's address space to an internet gateway
# description: >-
#   A default route (0.0.0.0/0 or ::/0) to an internet gateway makes a subnet public: whatever runs
#   there can reach, and be reached from, any address once a security group allows it. The
#   pipeline's VPC reaches AWS services through VPC endpoints and has no such route. Checks every
#   aws_route (destination_cidr_block, destination_ipv6_cidr_block, gateway_id) and the inline route
#   blocks of aws_route_table and aws_default_route_table (cidr_block, ipv6_cidr_block, gateway_id).
#   A route fails when its destination is 0.0.0.0/0 or ::/0 and its gateway is an internet gateway
#   (a reference to an aws_internet_gateway, or an id starting igw-); narrower destinations, NAT and
#   virtual private gateways, endpoints and peering pass. UNKNOWN, never PASS: a destination or
#   gateway that is unknown (a variable, a plan value known only after apply, a reference no rule
#   reads) and could make it such a route, or a route block list that is itself unknown.
# custom:
#   id: IMGSEC-VPC-005
#   severity: medium
#   controls:
#     - 164.312(e)(1)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_route
#     - aws_route_table
#     - aws_default_route_table
#   inputs:
#     - destination_cidr_block
#     - destination_ipv6_cidr_block
#     - gateway_id
#     - route
#     - route.cidr_block
#     - route.ipv6_cidr_block
#     - route.gateway_id
#   peers:
#     - cdk-nag:HIPAA.Security-VPCNoUnrestrictedRouteToIGW
#     - aws-config:no-unrestricted-route-to-igw
#   remediation: >-
#     Keep PHI workloads in private subnets without a default route to an internet gateway; reach AWS
#     services through VPC endpoints (the pipeline's VPC mode does), and anything else through a
#     narrower route or a proxy.
package imgsec.rules.vpc.no_internet_gateway_route

import data.imgsec.lib
import data.imgsec.lib.attrs

_open := {"0.0.0.0/0", "::/0"}

# Each route of a resource: its destinations, what its gateway is, and where it is written (for
# messages): the aws_route itself, or the inline route blocks of a route table.
_routes(r) := [{
	"destinations": [
		object.get(r.values, "destination_cidr_block", null),
		object.get(r.values, "destination_ipv6_cidr_block", null),
	],
	"gateway": _gateway(r, object.get(r.values, "gateway_id", null), "gateway_id"),
	"where": "",
}] if {
	r.type == "aws_route"
} else := [{
	"destinations": [object.get(b, "cidr_block", null), object.get(b, "ipv6_cidr_block", null)],
	"gateway": _gateway(r, object.get(b, "gateway_id", null), "route"),
	"where": "route ",
} |
	some b in lib.as_array(object.get(r.values, "route", []))
	is_object(b)
]

# What a gateway is: "igw", "other", or "unknown". In a plan, a gateway created in the same apply is
# absent but referenced.
_gateway(r, v, attr) := "igw" if {
	is_string(v)
	startswith(trim_space(v), "igw-")
} else := "igw" if {
	is_string(v)
	regex.match(`^\$\{(?:module\.[^.]+\.)*aws_internet_gateway\.[^}]+\}$`, trim_space(v))
} else := "other" if {
	is_string(v)
	not contains(v, "${")
} else := "other" if {
	is_string(v)
	regex.match(_other_gateway, trim_space(v))
} else := "unknown" if {
	is_string(v)
} else := "igw" if {
	v == null
	r.type == "aws_route"
	_refers_to_igw(r, attr)
} else := "unknown" if {
	v == null
	input.source == "plan"
	_refers_to_igw(r, attr)
} else := "other"

_other_gateway := concat("", [
	`^\$\{(?:module\.[^.]+\.)*(?:data\.)?aws_`,
	`(?:vpn_gateway|nat_gateway|ec2_transit_gateway|vpc_endpoint|egress_only_internet_gateway)\.[^}]+\}$`,
])

# In a plan, a gateway created in the same apply is absent from the values but referenced.
_refers_to_igw(r, attr) if {
	some ref in object.get(r.refs, attr, [])
	attrs.type_of(ref) == "aws_internet_gateway"
}

_destination(d) := "open" if {
	is_string(d)
	trim_space(d) in _open
} else := "unknown" if {
	is_string(d)
	some o in _open
	lib.could_be(d, o)
} else := "unknown" if {
	is_string(d)
	not lib.is_unknown(d)
	some m in regex.find_all_string_submatch_n(`\$\{([^}]*)\}`, d, -1)
	not _network_cidr(m[1])
} else := "closed"

# A reference to a VPC's or subnet's own CIDR, which is never /0.
_network_cidr(ref) if {
	attrs.type_of(ref) in {"aws_vpc", "aws_subnet", "data.aws_vpc", "data.aws_subnet"}
	parts := split(ref, ".")
	parts[count(parts) - 1] in {"cidr_block", "ipv6_cidr_block"}
}

_verdict(route) := "open" if {
	route.gateway == "igw"
	some d in route.destinations
	_destination(d) == "open"
} else := "unknown" if {
	route.gateway != "other"
	some d in route.destinations
	_destination(d) != "closed"
} else := "closed"

_subject_types := ["aws_route", "aws_route_table", "aws_default_route_table"]

_subjects := [r | some type in _subject_types; some r in lib.resources_of(type)]

_block_unknown(r) if {
	r.type != "aws_route"
	v := object.get(r.values, "route", null)
	not is_object(v)
	lib.is_unknown(v)
}

_block_unknown(r) if {
	r.type != "aws_route"
	some b in lib.as_array(object.get(r.values, "route", []))
	not is_object(b)
	lib.is_unknown(b)
}

_route_unknown := "route is unknown (not a literal): cannot show that no route goes to an internet gateway"

_fails(r) if {
	some route in _routes(r)
	_verdict(route) == "open"
}

results contains lib.pass(r, "no route from 0.0.0.0/0 or ::/0 to an internet gateway") if {
	some r in _subjects
	every route in _routes(r) {
		_verdict(route) == "closed"
	}
	not _block_unknown(r)
}

results contains lib.fail(r, msg) if {
	some r in _subjects
	some route in _routes(r)
	_verdict(route) == "open"
	msg := concat("", [
		"a ", route.where, "sends 0.0.0.0/0 or ::/0 to an internet gateway:",
		" the subnets it serves are public",
	])
}

results contains lib.unknown(r, msg) if {
	some r in _subjects
	not _fails(r)
	some route in _routes(r)
	_verdict(route) == "unknown"
	msg := concat("", [
		"a ", route.where, "destination or gateway_id is unknown (not a literal): ",
		"cannot show that it is no default route to an internet gateway",
	])
}

results contains lib.unknown(r, _route_unknown) if {
	some r in _subjects
	not _fails(r)
	_block_unknown(r)
}
