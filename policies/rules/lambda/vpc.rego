# METADATA
# title: Lambda functions run in a VPC (when the project requires it)
# description: >-
#   Only when input.params.lambda_require_vpc is true: every aws_lambda_function must have a
#   vpc_config with non-empty subnet_ids and security_group_ids, so that its network access to PHI
#   stores goes through controlled subnets and endpoints. When the parameter is false (the shipped
#   default) the rule produces no results. References to subnets and security groups of the stack
#   count as ids. UNKNOWN, never PASS: a vpc_config, subnet_ids or security_group_ids that is wholly
#   unknown (a variable could be an empty list) when the other list is not known to be empty.
# custom:
#   id: IMGSEC-LMB-006
#   severity: medium
#   controls:
#     - 164.312(e)(1)
#     - 164.312(a)(1)
#   resource_types:
#     - aws_lambda_function
#   inputs:
#     - vpc_config.subnet_ids
#     - vpc_config.security_group_ids
#   peers:
#     - cdk-nag:HIPAA.Security-LambdaInsideVPC
#     - aws-config:lambda-inside-vpc
#   remediation: >-
#     Add vpc_config { subnet_ids = [...private subnets...], security_group_ids = [...] } and allow the
#     execution role the ENI permissions (AWSLambdaVPCAccessExecutionRole's actions).
package imgsec.rules.lambda.vpc

import data.imgsec.lib
import data.imgsec.lib.attrs

_lists := ["subnet_ids", "security_group_ids"]

results contains lib.pass(fn, "vpc_config has subnet_ids and security_group_ids: the function runs in the VPC") if {
	lib.param("lambda_require_vpc") == true
	some fn in lib.resources_of("aws_lambda_function")
	_in_vpc(fn) == "yes"
}

results contains lib.fail(
	fn,
	"no vpc_config with subnet_ids and security_group_ids, but lambda_require_vpc is true",
) if {
	lib.param("lambda_require_vpc") == true
	some fn in lib.resources_of("aws_lambda_function")
	_in_vpc(fn) == "no"
}

results contains lib.unknown(fn, message) if {
	lib.param("lambda_require_vpc") == true
	some fn in lib.resources_of("aws_lambda_function")
	_in_vpc(fn) == "unknown"
	some attr in _unknown_parts(fn)
	message := concat("", ["vpc_config.", attr, _unknown_text])
}

_unknown_text := " is unknown (not a literal): cannot show that the function runs in the VPC"

# "yes" when some vpc_config lists both, "no" when none can, "unknown" otherwise.
_in_vpc(fn) := "yes" if {
	some config in attrs.blocks(fn, "vpc_config")
	every attr in _lists {
		_listed(fn, config, attr) == "set"
	}
} else := "unknown" if {
	count(_unknown_parts(fn)) > 0
} else := "no"

# The lists that are unknown in a vpc_config whose other list is not known to be empty, or both
# when vpc_config itself is unknown.
_unknown_parts(fn) := {attr |
	some config in attrs.blocks(fn, "vpc_config")
	not _empty(fn, config)
	some attr in _lists
	_listed(fn, config, attr) == "unknown"
} | {attr |
	_unknown_block(fn)
	some attr in _lists
}

_empty(fn, config) if {
	some attr in _lists
	_listed(fn, config, attr) == "unset"
}

# vpc_config = var.x (the block is unknown), or in a plan absent but referring to resources.
_unknown_block(fn) if {
	some config in lib.as_array(object.get(fn.values, "vpc_config", []))
	is_string(config)
	lib.is_unknown(config)
}

_unknown_block(fn) if {
	object.get(fn.values, "vpc_config", null) == null
	count(object.get(fn.refs, "vpc_config", [])) > 0
}

# A list of ids in a vpc_config: "set" when some id is written and cannot turn out empty,
# "unknown" when the list or its ids are wholly unknown, "unset" otherwise.
_listed(fn, config, attr) := "set" if {
	some id in lib.as_array(object.get(config, attr, []))
	_id(id) == "set"
} else := "set" if {
	# Plan: ids of subnets and security groups created in the same apply are unknown until then.
	not attrs.present(object.get(config, attr, null))
	count(object.get(fn.refs, "vpc_config", [])) > 0
} else := "unknown" if {
	some id in lib.as_array(object.get(config, attr, []))
	_id(id) == "unknown"
} else := "unset"

_id(v) := "unknown" if {
	is_string(v)
	lib.is_unknown(v)
	lib.could_be(trim_space(v), "")
} else := "set" if {
	attrs.present(v)
} else := "unset"
