package imgsec.rules.vpc.no_open_ingress_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.vpc.no_open_ingress as rule

group(ingress) := f.stack([f.res("aws_security_group", "g", {"vpc_id": "${aws_vpc.v.id}", "ingress": ingress})])

group_status := f.statuses(rule.results, "aws_security_group.g")

sg_rule(values) := f.stack([f.res(
	"aws_security_group_rule", "r",
	object.union({"security_group_id": "${aws_security_group.g.id}", "from_port": 443, "to_port": 443}, values),
)])

rule_status := f.statuses(rule.results, "aws_security_group_rule.r")

ingress_rule(values) := f.stack([f.res(
	"aws_vpc_security_group_ingress_rule", "i",
	object.union({"security_group_id": "${aws_security_group.g.id}", "ip_protocol": "tcp"}, values),
)])

ingress_status := f.statuses(rule.results, "aws_vpc_security_group_ingress_rule.i")

https(cidrs) := {"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": cidrs}

test_narrow_ingress_passes if {
	group_status == {"PASS"} with input as group([https(["10.0.0.0/16"])])
	group_status == {"PASS"} with input as group([https(["${aws_vpc.v.cidr_block}"])])
	group_status == {"PASS"} with input as group([])
	group_status == {"PASS"} with input as f.stack([f.res("aws_security_group", "g", {"egress": [https(["0.0.0.0/0"])]})])
	rule_status == {"PASS"} with input as sg_rule({"type": "ingress", "cidr_blocks": ["10.0.0.0/8"]})
	ingress_status == {"PASS"} with input as ingress_rule({"cidr_ipv4": "10.0.0.0/16"})
	ingress_status == {"PASS"} with input as ingress_rule({"referenced_security_group_id": "${aws_security_group.lb.id}"})
}

test_egress_rule_has_no_result if {
	count(rule.results) == 0 with input as sg_rule({"type": "egress", "cidr_blocks": ["0.0.0.0/0"]})
}

test_open_ingress_fails if {
	group_status == {"FAIL"} with input as group([https(["10.0.0.0/16", "0.0.0.0/0"])])
	group_status == {"FAIL"} with input as group({"from_port": 22, "to_port": 22, "ipv6_cidr_blocks": ["::/0"]})
	rule_status == {"FAIL"} with input as sg_rule({"type": "ingress", "cidr_blocks": ["0.0.0.0/0"]})
	rule_status == {"FAIL"} with input as sg_rule({"type": "ingress", "ipv6_cidr_blocks": ["::/0"]})
	ingress_status == {"FAIL"} with input as ingress_rule({"cidr_ipv4": "0.0.0.0/0"})
	ingress_status == {"FAIL"} with input as ingress_rule({"cidr_ipv6": "::/0"})
}

test_open_ingress_fails_whatever_else_is_unknown if {
	group_status == {"FAIL"} with input as group([https([f.unknown]), https(["0.0.0.0/0"])])
}

test_unknown_ingress if {
	group_status == {"UNKNOWN"} with input as group(f.unknown)
	group_status == {"UNKNOWN"} with input as group([f.unknown])
}

test_unknown_ingress_cidr_blocks if {
	group_status == {"UNKNOWN"} with input as group([https([f.unknown])])
	group_status == {"UNKNOWN"} with input as group([https(f.unknown)])
	group_status == {"UNKNOWN"} with input as group([https(["${aws_ssm_parameter.cidr.value}"])])
}

test_unknown_ingress_ipv6_cidr_blocks if {
	group_status == {"UNKNOWN"} with input as group([{"from_port": 443, "to_port": 443, "ipv6_cidr_blocks": ["${?}/0"]}])
}

test_unknown_type if {
	rule_status == {"UNKNOWN"} with input as sg_rule({"type": f.unknown, "cidr_blocks": ["0.0.0.0/0"]})
	rule_status == {"PASS"} with input as sg_rule({"type": f.unknown, "cidr_blocks": ["10.0.0.0/8"]})
}

test_unknown_cidr_blocks if {
	rule_status == {"UNKNOWN"} with input as sg_rule({"type": "ingress", "cidr_blocks": [f.unknown]})
}

test_unknown_ipv6_cidr_blocks if {
	rule_status == {"UNKNOWN"} with input as sg_rule({"type": "ingress", "ipv6_cidr_blocks": f.unknown})
}

test_unknown_cidr_ipv4 if {
	ingress_status == {"UNKNOWN"} with input as ingress_rule({"cidr_ipv4": f.unknown})
	ingress_status == {"PASS"} with input as ingress_rule({"cidr_ipv4": "10.${?}/16"})
}

test_unknown_cidr_ipv6 if {
	ingress_status == {"UNKNOWN"} with input as ingress_rule({"cidr_ipv6": f.unknown})
}
