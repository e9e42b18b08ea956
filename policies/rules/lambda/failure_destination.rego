# METADATA
# title: Lambda functions keep failed events in a dead-letter queue or failure destination
# description: >-
#   An asynchronous invocation that fails all retries is dropped unless the function has a
#   dead-letter queue (dead_letter_config.target_arn) or an aws_lambda_function_event_invoke_config
#   referring to the function (by reference or literal name) with an on_failure destination. Without
#   one, a failed de-identification or ingestion silently loses a study.
# custom:
#   id: IMGSEC-LMB-001
#   severity: medium
#   controls:
#     - 164.308(a)(7)(i)
#     - 164.312(c)(1)
#   resource_types:
#     - aws_lambda_function
#     - aws_lambda_function_event_invoke_config
#   remediation: >-
#     Set dead_letter_config { target_arn = <KMS-encrypted SQS queue ARN> } on the function, or add an
#     aws_lambda_function_event_invoke_config with destination_config.on_failure.destination.
package imgsec.rules.lambda.failure_destination

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(fn, "dead_letter_config.target_arn is set: failed events go to a dead-letter queue") if {
	some fn in lib.resources_of("aws_lambda_function")
	attrs.nested_has_value(fn, "dead_letter_config", "target_arn")
}

results contains lib.pass(fn, concat("", ["failed events go to the on_failure destination of ", config.address])) if {
	some fn in lib.resources_of("aws_lambda_function")
	not attrs.nested_has_value(fn, "dead_letter_config", "target_arn")
	some config in _failure_configs(fn)
}

results contains lib.fail(
	fn,
	"no dead_letter_config.target_arn and no event invoke config with an on_failure destination: failed events are lost",
) if {
	some fn in lib.resources_of("aws_lambda_function")
	not attrs.nested_has_value(fn, "dead_letter_config", "target_arn")
	count(_failure_configs(fn)) == 0
}

# Event invoke configs of the function with an on_failure destination.
_failure_configs(fn) := [config |
	some config in lib.resources_of("aws_lambda_function_event_invoke_config")
	_configures(config, fn)
	_on_failure_set(config)
]

_configures(config, fn) if lib.refers_to(config, "function_name", fn)

_configures(config, fn) if {
	name := fn.values.function_name
	attrs.present(name)
	config.values.function_name in {name, concat(":", [name, object.get(config.values, "qualifier", "")])}
}

_on_failure_set(config) if {
	some destination in attrs.blocks(config, "destination_config")
	some on_failure in lib.as_array(object.get(destination, "on_failure", []))
	attrs.present(object.get(on_failure, "destination", null))
}

# Plan: the destination refers to a resource created in the same apply, so its value is unknown.
_on_failure_set(config) if {
	count(object.get(config.refs, "destination_config", [])) > 0
	some destination in attrs.blocks(config, "destination_config")
	some on_failure in lib.as_array(object.get(destination, "on_failure", []))
	is_object(on_failure)
}
