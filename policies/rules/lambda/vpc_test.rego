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
