package imgsec.rules.sfn.tracing_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.sfn.tracing

stk(values) := f.stack([f.res("aws_sfn_state_machine", "sm", values)])

status := f.statuses(tracing.results, "aws_sfn_state_machine.sm")

test_enabled_passes if {
	status == {"PASS"} with input as stk({"tracing_configuration": {"enabled": true}})
}

test_disabled_fails if {
	status == {"FAIL"} with input as stk({"tracing_configuration": [{"enabled": false}]})
	status == {"FAIL"} with input as stk({})
}
