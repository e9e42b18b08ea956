package imgsec.rules.vpc.flow_logs_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.vpc.flow_logs

vpc := f.res("aws_vpc", "v", {"cidr_block": "10.0.0.0/16"})

flow_log(values) := f.res_refs(
	"aws_flow_log", "l",
	object.union({"vpc_id": "${aws_vpc.v.id}", "log_destination": "${aws_cloudwatch_log_group.flow.arn}"}, values),
	{"vpc_id": ["aws_vpc.v"], "log_destination": ["aws_cloudwatch_log_group.flow"]},
)

status := f.statuses(flow_logs.results, "aws_vpc.v")

messages contains r.message if some r in flow_logs.results

test_all_traffic_passes if {
	status == {"PASS"} with input as f.stack([vpc, flow_log({"traffic_type": "ALL"})])
	messages == {"aws_flow_log.l records ALL traffic"} with input as f.stack([vpc, flow_log({"traffic_type": "ALL"})])
}

test_no_flow_log_fails if {
	status == {"FAIL"} with input as f.stack([vpc])
	messages == {"no aws_flow_log for the VPC: its traffic is not recorded"} with input as f.stack([vpc])
}

test_partial_traffic_fails if {
	status == {"FAIL"} with input as f.stack([vpc, flow_log({"traffic_type": "REJECT"})])
	status == {"FAIL"} with input as f.stack([vpc, flow_log({})])
}

test_flow_log_of_another_vpc_fails if {
	other := f.res_refs(
		"aws_flow_log", "l",
		{"vpc_id": "${aws_vpc.other.id}", "traffic_type": "ALL"},
		{"vpc_id": ["aws_vpc.other"]},
	)
	status == {"FAIL"} with input as f.stack([vpc, f.res("aws_vpc", "other", {}), other])
}

test_unknown_vpc_id if {
	l := f.res("aws_flow_log", "l", {"vpc_id": f.unknown, "traffic_type": "ALL"})
	status == {"UNKNOWN"} with input as f.stack([vpc, l])
}

test_unknown_traffic_type if {
	status == {"UNKNOWN"} with input as f.stack([vpc, flow_log({"traffic_type": f.unknown})])
	status == {"UNKNOWN"} with input as f.stack([vpc, flow_log({"traffic_type": "${aws_ssm_parameter.t.value}"})])
}
