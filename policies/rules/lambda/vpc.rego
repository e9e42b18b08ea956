# METADATA
# title: Lambda functions run in a VPC (when the project requires it)
# description: >-
#   Only when input.params.lambda_require_vpc is true: every aws_lambda_function must have a
#   vpc_config with non-empty subnet_ids and security_group_ids, so that its network access to PHI
#   stores goes through controlled subnets and endpoints. When the parameter is false (the shipped
#   default) the rule produces no results.
# custom:
#   id: IMGSEC-LMB-006
#   severity: medium
#   controls:
#     - 164.312(e)(1)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_lambda_function
#   remediation: >-
#     Add vpc_config { subnet_ids = [...private subnets...], security_group_ids = [...] } and allow the
#     execution role the ENI permissions (AWSLambdaVPCAccessExecutionRole's actions).
package imgsec.rules.lambda.vpc

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(fn, "vpc_config has subnet_ids and security_group_ids: the function runs in the VPC") if {
	lib.param("lambda_require_vpc") == true
	some fn in lib.resources_of("aws_lambda_function")
	_in_vpc(fn)
}

results contains lib.fail(
	fn,
	"no vpc_config with subnet_ids and security_group_ids, but lambda_require_vpc is true",
) if {
	lib.param("lambda_require_vpc") == true
	some fn in lib.resources_of("aws_lambda_function")
	not _in_vpc(fn)
}

_in_vpc(fn) if {
	some config in attrs.blocks(fn, "vpc_config")
	_listed(fn, config, "subnet_ids")
	_listed(fn, config, "security_group_ids")
}

_listed(_, config, attr) if {
	some id in lib.as_array(object.get(config, attr, []))
	attrs.present(id)
}

# Plan: ids of subnets and security groups created in the same apply are unknown until then.
_listed(fn, config, attr) if {
	not attrs.present(object.get(config, attr, null))
	count(object.get(fn.refs, "vpc_config", [])) > 0
}
