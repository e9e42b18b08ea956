package imgsec.rules.lambda.vpc_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.lambda.vpc

stk(values, required) := object.union(
	f.stack([f.res("aws_lambda_function", "fn", values)]),
	{"params": {"lambda_require_vpc": required}},
)

status := f.statuses(vpc.results, "aws_lambda_function.fn")

in_vpc := {"vpc_config": {"subnet_ids": ["${aws_subnet.a.id}"], "security_group_ids": ["${aws_security_group.fn.id}"]}}

test_not_required_no_results if {
	count(vpc.results) == 0 with input as stk({}, false)
}

test_required_in_vpc_passes if {
	status == {"PASS"} with input as stk(in_vpc, true)
}

test_required_without_vpc_fails if {
	status == {"FAIL"} with input as stk({}, true)
}

test_required_without_security_groups_fails if {
	status == {"FAIL"} with input as stk({"vpc_config": [{"subnet_ids": ["subnet-1"], "security_group_ids": []}]}, true)
}

test_plan_unknown_ids_pass if {
	fn := f.res_refs("aws_lambda_function", "fn", {"vpc_config": [{}]}, {"vpc_config": ["aws_subnet.a"]})
	stack := object.union(f.stack([fn]), {"params": {"lambda_require_vpc": true}})
	status == {"PASS"} with input as stack
}

required(values) := stk(values, true)

test_unknown_vpc_config_subnet_ids if {
	status == {"UNKNOWN"} with input as required({"vpc_config": {"subnet_ids": f.unknown, "security_group_ids": ["sg-1"]}})
	unknown_id := {"vpc_config": {"subnet_ids": [f.unknown], "security_group_ids": ["sg-1"]}}
	status == {"UNKNOWN"} with input as required(unknown_id)
	want := {"vpc_config.subnet_ids is unknown (not a literal): cannot show that the function runs in the VPC"}
	inp := required({"vpc_config": {"subnet_ids": f.unknown, "security_group_ids": ["sg-1"]}})
	{r.message | some r in vpc.results} == want with input as inp
}

test_unknown_vpc_config_security_group_ids if {
	groups := {"vpc_config": {"subnet_ids": ["subnet-1"], "security_group_ids": f.unknown}}
	status == {"UNKNOWN"} with input as required(groups)
}

test_unknown_vpc_config_subnet_ids_whole_block if {
	# vpc_config = var.vpc: both lists are unknown.
	inp := required({"vpc_config": f.unknown})
	status == {"UNKNOWN"} with input as inp
	count(vpc.results) == 2 with input as inp
}

test_partly_unknown_ids_pass if {
	ids := {"subnet_ids": ["subnet-${?}"], "security_group_ids": [f.unknown, "${aws_security_group.fn.id}"]}
	status == {"PASS"} with input as required({"vpc_config": ids})
}

test_empty_list_fails_whatever_else_is_unknown if {
	status == {"FAIL"} with input as required({"vpc_config": {"subnet_ids": [], "security_group_ids": f.unknown}})
	status == {"FAIL"} with input as required({"vpc_config": {"security_group_ids": [f.unknown]}})
}

test_unknown_not_required_no_results if {
	count(vpc.results) == 0 with input as stk({"vpc_config": f.unknown}, false)
}
