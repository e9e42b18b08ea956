package imgsec.rules.vpc.default_security_group_closed_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.vpc.default_security_group_closed as rule

vpc := f.res("aws_vpc", "v", {"cidr_block": "10.0.0.0/16"})

default_group(values) := f.res_refs(
	"aws_default_security_group", "d",
	object.union({"vpc_id": "${aws_vpc.v.id}"}, values),
	{"vpc_id": ["aws_vpc.v"]},
)

vpc_status := f.statuses(rule.results, "aws_vpc.v")

group_status := f.statuses(rule.results, "aws_default_security_group.d")

all_egress := {"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}

test_adopted_closed_group_passes if {
	inp := f.stack([vpc, default_group({})])
	vpc_status == {"PASS"} with input as inp
	group_status == {"PASS"} with input as inp
	group_status == {"PASS"} with input as f.stack([vpc, default_group({"ingress": [], "egress": []})])
}

test_unadopted_default_group_fails if {
	vpc_status == {"FAIL"} with input as f.stack([vpc])
}

test_rules_on_default_group_fail if {
	inp := f.stack([vpc, default_group({"egress": [all_egress]})])
	group_status == {"FAIL"} with input as inp
	vpc_status == {"PASS"} with input as inp
	group_status == {"FAIL"} with input as f.stack([vpc, default_group({"ingress": {"self": true, "protocol": "-1"}})])
}

test_rules_fail_whatever_else_is_unknown if {
	group_status == {"FAIL"} with input as f.stack([vpc, default_group({"egress": [all_egress], "ingress": f.unknown})])
}

test_unknown_vpc_id if {
	g := f.res("aws_default_security_group", "d", {"vpc_id": f.unknown})
	vpc_status == {"UNKNOWN"} with input as f.stack([vpc, g])
}

test_unknown_ingress if {
	group_status == {"UNKNOWN"} with input as f.stack([vpc, default_group({"ingress": f.unknown})])
}

test_unknown_egress if {
	group_status == {"UNKNOWN"} with input as f.stack([vpc, default_group({"egress": f.unknown})])
	plan := f.res_refs("aws_default_security_group", "d", {"vpc_id": "${aws_vpc.v.id}"}, {
		"vpc_id": ["aws_vpc.v"],
		"egress": ["aws_ssm_parameter.rules"],
	})
	group_status == {"UNKNOWN"} with input as f.stack([vpc, plan])
}

test_rule_fails_with_an_unknown_field_inside_it if {
	rule_with_unknown := object.union(all_egress, {"description": f.unknown})
	group_status == {"FAIL"} with input as f.stack([vpc, default_group({"egress": [rule_with_unknown]})])
}
