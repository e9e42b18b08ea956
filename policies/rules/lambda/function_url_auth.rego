# METADATA
# title: Lambda function URLs require IAM authentication
# description: >-
#   A function URL with authorization_type "NONE" is a public HTTPS endpoint: anyone on the internet
#   who learns the URL can invoke the function, which in this pipeline reads and writes PHI. Every
#   aws_lambda_function_url must set authorization_type "AWS_IAM", so that only signed requests from
#   principals the function's resource policy allows get through. A value that is unknown and could be
#   "NONE" (a variable, a reference to another resource's attribute) is UNKNOWN; any other value fails.
# custom:
#   id: IMGSEC-LMB-008
#   severity: critical
#   controls:
#     - 164.312(a)(1)
#     - 164.312(d)
#     - 164.308(a)(4)(ii)(B)
#   resource_types:
#     - aws_lambda_function_url
#   inputs:
#     - authorization_type
#   peers:
#     - prowler:awslambda_function_url_public
#   remediation: >-
#     Set authorization_type = "AWS_IAM" and grant lambda:InvokeFunctionUrl to the callers by name;
#     put a public entry point, if one is ever needed, behind API Gateway with authentication.
package imgsec.rules.lambda.function_url_auth

import data.imgsec.lib

_urls := lib.resources_of("aws_lambda_function_url")

# "iam", "none", "unknown" or "other".
_auth(url) := "unknown" if {
	object.get(url.values, "authorization_type", null) == null
	count(object.get(url.refs, "authorization_type", [])) > 0
} else := "iam" if {
	url.values.authorization_type == "AWS_IAM"
} else := "none" if {
	url.values.authorization_type == "NONE"
} else := "unknown" if {
	v := object.get(url.values, "authorization_type", null)
	is_string(v)
	contains(v, "${")
	_may_be_none(v)
} else := "other"

# A value with unknown parts that could be "NONE", or a reference whose value no rule reads.
_may_be_none(v) if lib.could_be(v, "NONE")

_may_be_none(v) if not lib.is_unknown(v)

results contains lib.pass(url, "authorization_type is AWS_IAM: callers must sign their requests") if {
	some url in _urls
	_auth(url) == "iam"
}

results contains lib.fail(url, "authorization_type is NONE: anyone on the internet can invoke the function") if {
	some url in _urls
	_auth(url) == "none"
}

results contains lib.fail(url, "authorization_type is not AWS_IAM: the function URL is not authenticated") if {
	some url in _urls
	_auth(url) == "other"
}

results contains lib.unknown(
	url,
	"authorization_type is unknown (not a literal): cannot show that the function URL requires IAM authentication",
) if {
	some url in _urls
	_auth(url) == "unknown"
}
