# METADATA
# title: Lambda functions keep failed events in a dead-letter queue or failure destination
# description: >-
#   An asynchronous invocation that fails all retries is dropped unless the function has a
#   dead-letter queue (dead_letter_config.target_arn) or an aws_lambda_function_event_invoke_config
#   referring to the function (by reference or literal name) with an on_failure destination. Without
#   one, a failed de-identification or ingestion silently loses a study. A reference to a queue or
#   topic of the stack counts as set, and so does an ARN with only some parts unknown
#   ("arn:aws:sqs:${var.region}:..."). UNKNOWN, never PASS, when no destination is known but one
#   could be: a target_arn or on_failure destination that is wholly unknown (a variable could be
#   null), or an event invoke config whose function_name is unknown and could name the function.
# custom:
#   id: IMGSEC-LMB-001
#   severity: medium
#   controls:
#     - 164.308(a)(7)(i)
#     - 164.312(c)(1)
#   resource_types:
#     - aws_lambda_function
#     - aws_lambda_function_event_invoke_config
#   inputs:
#     - dead_letter_config.target_arn
#     - destination_config.on_failure.destination
#     - function_name
#   peers:
#     - cdk-nag:HIPAA.Security-LambdaDLQ
#     - aws-config:lambda-dlq-check
#   remediation: >-
#     Set dead_letter_config { target_arn = <KMS-encrypted SQS queue ARN> } on the function, or add an
#     aws_lambda_function_event_invoke_config with destination_config.on_failure.destination.
package imgsec.rules.lambda.failure_destination

import data.imgsec.lib
import data.imgsec.lib.attrs

results contains lib.pass(fn, "dead_letter_config.target_arn is set: failed events go to a dead-letter queue") if {
	some fn in lib.resources_of("aws_lambda_function")
	_dead_letter(fn) == "set"
}

results contains lib.pass(fn, concat("", ["failed events go to the on_failure destination of ", config.address])) if {
	some fn in lib.resources_of("aws_lambda_function")
	_dead_letter(fn) != "set"
	some config in _failure_configs(fn)
}

results contains lib.fail(
	fn,
	"no dead_letter_config.target_arn and no event invoke config with an on_failure destination: failed events are lost",
) if {
	some fn in lib.resources_of("aws_lambda_function")
	_dead_letter(fn) == "unset"
	count(_failure_configs(fn)) == 0
	count(_unknowns(fn)) == 0
}

results contains lib.unknown(fn, message) if {
	some fn in lib.resources_of("aws_lambda_function")
	_dead_letter(fn) != "set"
	count(_failure_configs(fn)) == 0
	some message in _unknowns(fn)
}

_unknowns(fn) := ({message |
	_dead_letter(fn) == "unknown"
	message := concat("", [
		"dead_letter_config.target_arn is unknown (not a literal): ",
		"cannot show that failed events go to a dead-letter queue",
	])
} | {message |
	some config in lib.resources_of("aws_lambda_function_event_invoke_config")
	_link(config, fn) == "yes"
	_on_failure(config) == "unknown"
	message := concat("", [
		config.address, " destination_config.on_failure.destination is unknown (not a literal): ",
		"cannot show that failed events go to a failure destination",
	])
}) | {message |
	some config in lib.resources_of("aws_lambda_function_event_invoke_config")
	_link(config, fn) == "maybe"
	_on_failure(config) in {"set", "unknown"}
	message := concat("", [
		config.address, " function_name is unknown (not a literal): ",
		"cannot show that its on_failure destination is for this function",
	])
}

# A value is set when it is written and cannot turn out empty: a literal, a reference, or a string
# with unknown parts around literal text. A wholly unknown value (a variable) could be null.
_set(v) := "unknown" if {
	is_string(v)
	lib.is_unknown(v)
	lib.could_be(trim_space(v), "")
} else := "set" if {
	attrs.present(v)
} else := "unset"

# A block that is itself unknown (dead_letter_config = var.x), or one of its instances.
_unknown_blocks(v) if {
	some b in lib.as_array(v)
	is_string(b)
	lib.is_unknown(b)
}

_dead_letter(fn) := "set" if {
	some block in attrs.blocks(fn, "dead_letter_config")
	_set(object.get(block, "target_arn", null)) == "set"
} else := "set" if {
	# Plan: the queue is created in the same apply, so its ARN is absent but referenced.
	count(attrs.blocks(fn, "dead_letter_config")) > 0
	count(object.get(fn.refs, "dead_letter_config", [])) > 0
} else := "unknown" if {
	some block in attrs.blocks(fn, "dead_letter_config")
	_set(object.get(block, "target_arn", null)) == "unknown"
} else := "unknown" if {
	_unknown_blocks(object.get(fn.values, "dead_letter_config", null))
} else := "unknown" if {
	attrs.state(fn, "dead_letter_config") == "unknown"
} else := "unset"

# Event invoke configs of the function with an on_failure destination.
_failure_configs(fn) := [config |
	some config in lib.resources_of("aws_lambda_function_event_invoke_config")
	_link(config, fn) == "yes"
	_on_failure(config) == "set"
]

_on_failure(config) := "set" if {
	some destination in attrs.blocks(config, "destination_config")
	some on_failure in lib.as_array(object.get(destination, "on_failure", []))
	is_object(on_failure)
	_set(object.get(on_failure, "destination", null)) == "set"
} else := "set" if {
	# Plan: the destination refers to a resource created in the same apply, so its value is unknown.
	count(object.get(config.refs, "destination_config", [])) > 0
	some destination in attrs.blocks(config, "destination_config")
	some on_failure in lib.as_array(object.get(destination, "on_failure", []))
	is_object(on_failure)
} else := "unknown" if {
	some destination in attrs.blocks(config, "destination_config")
	some on_failure in lib.as_array(object.get(destination, "on_failure", []))
	is_object(on_failure)
	_set(object.get(on_failure, "destination", null)) == "unknown"
} else := "unknown" if {
	some destination in attrs.blocks(config, "destination_config")
	_unknown_blocks(object.get(destination, "on_failure", null))
} else := "unknown" if {
	_unknown_blocks(object.get(config.values, "destination_config", null))
} else := "unknown" if {
	object.get(config.values, "destination_config", null) == null
	count(object.get(config.refs, "destination_config", [])) > 0
} else := "unset"

# The config is for the function ("yes"), or may be once unknown names are known ("maybe").
_link(config, fn) := "yes" if {
	_configures(config, fn)
} else := "maybe" if {
	_may_configure(config, fn)
}

_configures(config, fn) if lib.refers_to(config, "function_name", fn)

_configures(config, fn) if {
	name := fn.values.function_name
	attrs.present(name)
	not lib.is_unknown(name)
	config.values.function_name in {name, concat(":", [name, object.get(config.values, "qualifier", "")])}
}

# Through an alias of the function.
_configures(config, fn) if {
	some alias in lib.resources_of("aws_lambda_alias")
	lib.refers_to(config, "function_name", alias)
	lib.refers_to(alias, "function_name", fn)
}

# A name with unknown parts on either side that could be the other (as a name, name:qualifier or
# function ARN), or a reference to something that is neither a function nor an alias.
_may_configure(config, fn) if {
	count(object.get(config.refs, "function_name", [])) == 0
	name := config.values.function_name
	is_string(name)
	own := object.get(fn.values, "function_name", lib.unknown_marker)
	is_string(own)
	some v in [name, own]
	lib.is_unknown(v)
	some form in _name_forms(own)
	_may_overlap(_wild(name), form)
}

_may_configure(config, _) if {
	some target in object.get(config.refs, "function_name", [])
	not _ref_type(target) in {"aws_lambda_function", "aws_lambda_alias"}
}

_ref_type(address) := parts[count(parts) - 2] if parts := split(address, ".")

_name_forms(name) := [
	_wild(name),
	concat("", [_wild(name), ":*"]),
	concat("", ["arn:*:lambda:*:*:function:", _wild(name)]),
	concat("", ["arn:*:lambda:*:*:function:", _wild(name), ":*"]),
]

_wild(v) := replace(v, lib.unknown_marker, "*")

# Two "*" patterns could match a common string: their literal prefixes and suffixes agree.
_may_overlap(a, b) if {
	pa := split(a, "*")
	pb := split(b, "*")
	_prefix_of_either(pa[0], pb[0])
	_suffix_of_either(pa[count(pa) - 1], pb[count(pb) - 1])
}

_prefix_of_either(x, y) if startswith(x, y)

_prefix_of_either(x, y) if startswith(y, x)

_suffix_of_either(x, y) if endswith(x, y)

_suffix_of_either(x, y) if endswith(y, x)
