package imgsec.rules.vpc.no_internet_gateway_route_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.vpc.no_internet_gateway_route as rule

igw := "${aws_internet_gateway.igw.id}"

open_to(gateway) := route({"destination_cidr_block": "0.0.0.0/0", "gateway_id": gateway})

route(values) := f.res_refs(
	"aws_route", "r",
	object.union({"route_table_id": "${aws_route_table.t.id}"}, values),
	{"route_table_id": ["aws_route_table.t"]},
)

table(routes) := f.res("aws_route_table", "t", {"vpc_id": "${aws_vpc.v.id}", "route": routes})

route_status := f.statuses(rule.results, "aws_route.r")

table_status := f.statuses(rule.results, "aws_route_table.t")

test_private_routes_pass if {
	table_status == {"PASS"} with input as f.stack([table([])])
	local := {"cidr_block": "10.0.0.0/16", "gateway_id": "local"}
	nat := {"cidr_block": "0.0.0.0/0", "nat_gateway_id": "${aws_nat_gateway.n.id}"}
	table_status == {"PASS"} with input as f.stack([table([local, nat])])
	route_status == {"PASS"} with input as f.stack([route({"destination_cidr_block": "10.1.0.0/16", "gateway_id": igw})])
	route_status == {"PASS"} with input as f.stack([open_to("vgw-0123")])
}

test_default_route_to_internet_gateway_fails if {
	route_status == {"FAIL"} with input as f.stack([route({"destination_cidr_block": "0.0.0.0/0", "gateway_id": igw})])
	v6 := route({"destination_ipv6_cidr_block": "::/0", "gateway_id": "igw-0abc"})
	route_status == {"FAIL"} with input as f.stack([v6])
	table_status == {"FAIL"} with input as f.stack([table([{"cidr_block": "0.0.0.0/0", "gateway_id": igw}])])
	main_table := f.res("aws_default_route_table", "d", {"route": {"ipv6_cidr_block": "::/0", "gateway_id": igw}})
	f.statuses(rule.results, "aws_default_route_table.d") == {"FAIL"} with input as f.stack([main_table])
}

test_unknown_destination_cidr_block if {
	route_status == {"UNKNOWN"} with input as f.stack([route({"destination_cidr_block": f.unknown, "gateway_id": igw})])
	vpc := route({"destination_cidr_block": "${aws_vpc.v.cidr_block}", "gateway_id": igw})
	route_status == {"PASS"} with input as f.stack([vpc])
}

test_unknown_destination_ipv6_cidr_block if {
	v6 := route({"destination_ipv6_cidr_block": f.unknown, "gateway_id": igw})
	route_status == {"UNKNOWN"} with input as f.stack([v6])
}

test_unknown_gateway_id if {
	route_status == {"UNKNOWN"} with input as f.stack([open_to(f.unknown)])
	other := route({"destination_cidr_block": "0.0.0.0/0", "gateway_id": "${aws_ssm_parameter.gw.value}"})
	route_status == {"UNKNOWN"} with input as f.stack([other])

	# A plan leaves out the id of a gateway created in the same apply; the reference says what it is.
	planned := f.res_refs(
		"aws_route", "r",
		{"destination_cidr_block": "0.0.0.0/0"},
		{"gateway_id": ["aws_internet_gateway.igw"]},
	)
	route_status == {"FAIL"} with input as f.stack([planned])
}

test_unknown_route if {
	table_status == {"UNKNOWN"} with input as f.stack([table(f.unknown)])
	table_status == {"UNKNOWN"} with input as f.stack([table([f.unknown])])
}

test_unknown_route_cidr_block if {
	table_status == {"UNKNOWN"} with input as f.stack([table([{"cidr_block": f.unknown, "gateway_id": igw}])])
}

test_unknown_route_ipv6_cidr_block if {
	table_status == {"UNKNOWN"} with input as f.stack([table([{"ipv6_cidr_block": f.unknown, "gateway_id": igw}])])
}

test_unknown_route_gateway_id if {
	table_status == {"UNKNOWN"} with input as f.stack([table([{"cidr_block": "0.0.0.0/0", "gateway_id": f.unknown}])])
	planned := f.res_refs(
		"aws_route_table", "t",
		{"route": [{"cidr_block": "0.0.0.0/0"}]},
		{"route": ["aws_internet_gateway.igw"]},
	)
	plan := object.union(f.stack([planned]), {"source": "plan"})
	table_status == {"UNKNOWN"} with input as plan
}
