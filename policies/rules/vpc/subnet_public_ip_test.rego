package imgsec.rules.vpc.subnet_public_ip_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.vpc.subnet_public_ip as rule

subnet(values) := f.res("aws_subnet", "s", object.union(_base, values))

_base := {"vpc_id": "${aws_vpc.v.id}", "cidr_block": "10.0.1.0/24"}

status := f.statuses(rule.results, "aws_subnet.s")

test_private_subnet_passes if {
	status == {"PASS"} with input as f.stack([subnet({})])
	status == {"PASS"} with input as f.stack([subnet({"map_public_ip_on_launch": false})])
}

test_public_subnet_fails if {
	status == {"FAIL"} with input as f.stack([subnet({"map_public_ip_on_launch": true})])
	status == {"FAIL"} with input as f.stack([subnet({"map_public_ip_on_launch": "true"})])
}

test_unknown_map_public_ip_on_launch if {
	status == {"UNKNOWN"} with input as f.stack([subnet({"map_public_ip_on_launch": f.unknown})])
	planned := f.res_refs("aws_subnet", "s", {"vpc_id": "x"}, {"map_public_ip_on_launch": ["aws_ssm_parameter.p"]})
	status == {"UNKNOWN"} with input as f.stack([planned])
}
