# METADATA
# title: Security groups allow no ingress from the whole internet
# description: >-
#   The pipeline has no public endpoint: nothing in its VPC should accept connections from any
#   address. No ingress rule may allow 0.0.0.0/0 or ::/0: the inline ingress blocks of
#   aws_security_group (cidr_blocks, ipv6_cidr_blocks), aws_security_group_rule of type "ingress"
#   (egress rules get no result), and aws_vpc_security_group_ingress_rule (cidr_ipv4, cidr_ipv6).
#   Narrower sources (a VPC CIDR, a reference to a VPC's or subnet's own cidr_block, a prefix list,
#   another security group) pass. A CIDR, a list of them, an ingress block list or a rule's type that
#   is unknown and could open the group is UNKNOWN.
# custom:
#   id: IMGSEC-VPC-003
#   severity: high
#   controls:
#     - 164.312(a)(1)
#     - 164.312(e)(1)
#   resource_types:
#     - aws_security_group
#     - aws_security_group_rule
#     - aws_vpc_security_group_ingress_rule
#   inputs:
#     - ingress
#     - ingress.cidr_blocks
#     - ingress.ipv6_cidr_blocks
#     - type
#     - cidr_blocks
#     - ipv6_cidr_blocks
#     - cidr_ipv4
#     - cidr_ipv6
#   peers:
#     - cdk-nag:HIPAA.Security-EC2RestrictedSSH
#     - cdk-nag:HIPAA.Security-EC2RestrictedCommonPorts
#     - aws-config:restricted-ssh
#     - aws-config:restricted-common-ports
#     - aws-config:vpc-sg-open-only-to-authorized-ports
#     - prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22
#   remediation: >-
#     Allow ingress only from the sources that need it (the VPC's CIDR, a security group, a prefix
#     list); reach AWS services through VPC endpoints, not through open ports.
package imgsec.rules.vpc.no_open_ingress

import data.imgsec.lib
import data.imgsec.lib.attrs

_open := {"0.0.0.0/0", "::/0"}

# A CIDR or a list of them: "open", "unknown" or "closed". A wholly unknown list is the marker, a
# string like its elements.
_cidrs(v) := "open" if {
	some c in lib.as_array(v)
	is_string(c)
	trim_space(c) in _open
} else := "unknown" if {
	some c in lib.as_array(v)
	is_string(c)
	_may_be_open(c)
} else := "closed"

# A CIDR with unknown parts, or a reference no rule reads, could be 0.0.0.0/0.
_may_be_open(c) if {
	some o in _open
	lib.could_be(c, o)
}

_may_be_open(c) if {
	not lib.is_unknown(c)
	some m in regex.find_all_string_submatch_n(`\$\{([^}]*)\}`, c, -1)
	not _network_cidr(m[1])
}

# A reference to a VPC's or subnet's own CIDR, which is never /0.
_network_cidr(ref) if {
	attrs.type_of(ref) in {"aws_vpc", "aws_subnet", "data.aws_vpc", "data.aws_subnet"}
	parts := split(ref, ".")
	parts[count(parts) - 1] in {"cidr_block", "ipv6_cidr_block"}
}

# The verdict of a rule-like object on its CIDR attributes: "open", "unknown" or "closed", with the
# attributes that decide it.
_verdict(obj, attrs) := "open" if {
	some a in attrs
	_cidrs(object.get(obj, a, [])) == "open"
} else := "unknown" if {
	some a in attrs
	_cidrs(object.get(obj, a, [])) == "unknown"
} else := "closed"

_unknown_attrs(obj, attrs, prefix) := [concat("", [prefix, a]) |
	some a in attrs
	_cidrs(object.get(obj, a, [])) == "unknown"
]

_open_message := "allows ingress from 0.0.0.0/0 or ::/0: anyone on the internet can connect"

_safe := "cannot show that it allows no ingress from 0.0.0.0/0 or ::/0"

# ---- aws_security_group: inline ingress blocks -------------------------------------------------

_group_attrs := ["cidr_blocks", "ipv6_cidr_blocks"]

_ingress_unknown(g) if {
	v := object.get(g.values, "ingress", null)
	not is_array(v)
	not is_object(v)
	lib.is_unknown(v)
}

_ingress_unknown(g) if {
	some b in lib.as_array(object.get(g.values, "ingress", []))
	is_string(b)
	lib.is_unknown(b)
}

_ingress_unknown(g) if {
	object.get(g.values, "ingress", null) == null
	count(object.get(g.refs, "ingress", [])) > 0
}

_blocks(g) := [b | some b in lib.as_array(object.get(g.values, "ingress", [])); is_object(b)]

_group(g) := "open" if {
	some b in _blocks(g)
	_verdict(b, _group_attrs) == "open"
} else := "unknown" if {
	_ingress_unknown(g)
} else := "unknown" if {
	some b in _blocks(g)
	_verdict(b, _group_attrs) == "unknown"
} else := "closed"

# ---- aws_security_group_rule --------------------------------------------------------------------

_rule_attrs := ["cidr_blocks", "ipv6_cidr_blocks"]

# "ingress", "egress" or "unknown".
_type(r) := "ingress" if {
	r.values.type == "ingress"
} else := "egress" if {
	r.values.type == "egress"
} else := "unknown"

# ---- aws_vpc_security_group_ingress_rule ---------------------------------------------------------

_ingress_rule_attrs := ["cidr_ipv4", "cidr_ipv6"]

# ---- verdicts -----------------------------------------------------------------------------------

results contains lib.pass(g, "no inline ingress rule allows 0.0.0.0/0 or ::/0") if {
	some g in lib.resources_of("aws_security_group")
	_group(g) == "closed"
}

results contains lib.fail(g, concat("", ["an ingress block ", _open_message])) if {
	some g in lib.resources_of("aws_security_group")
	_group(g) == "open"
}

results contains lib.unknown(g, concat("", ["ingress is unknown (not a literal): ", _safe])) if {
	some g in lib.resources_of("aws_security_group")
	_group(g) == "unknown"
	_ingress_unknown(g)
}

results contains lib.unknown(g, concat("", [attr, " is unknown (not a literal): ", _safe])) if {
	some g in lib.resources_of("aws_security_group")
	_group(g) == "unknown"
	not _ingress_unknown(g)
	some b in _blocks(g)
	some attr in _unknown_attrs(b, _group_attrs, "ingress.")
}

results contains lib.pass(r, "the rule allows ingress from neither 0.0.0.0/0 nor ::/0") if {
	some r in lib.resources_of("aws_security_group_rule")
	_type(r) != "egress"
	_verdict(r.values, _rule_attrs) == "closed"
}

results contains lib.fail(r, concat("", ["the rule ", _open_message])) if {
	some r in lib.resources_of("aws_security_group_rule")
	_type(r) == "ingress"
	_verdict(r.values, _rule_attrs) == "open"
}

results contains lib.unknown(r, concat("", [attr, " is unknown (not a literal): ", _safe])) if {
	some r in lib.resources_of("aws_security_group_rule")
	_type(r) == "ingress"
	_verdict(r.values, _rule_attrs) == "unknown"
	some attr in _unknown_attrs(r.values, _rule_attrs, "")
}

# A rule whose type is unknown matters only when its CIDRs are (or may be) open.
results contains lib.unknown(r, concat("", ["type is unknown (not a literal): ", _safe])) if {
	some r in lib.resources_of("aws_security_group_rule")
	_type(r) == "unknown"
	_verdict(r.values, _rule_attrs) != "closed"
}

results contains lib.pass(r, "the ingress rule allows neither 0.0.0.0/0 nor ::/0") if {
	some r in lib.resources_of("aws_vpc_security_group_ingress_rule")
	_verdict(r.values, _ingress_rule_attrs) == "closed"
}

results contains lib.fail(r, concat("", ["the rule ", _open_message])) if {
	some r in lib.resources_of("aws_vpc_security_group_ingress_rule")
	_verdict(r.values, _ingress_rule_attrs) == "open"
}

results contains lib.unknown(r, concat("", [attr, " is unknown (not a literal): ", _safe])) if {
	some r in lib.resources_of("aws_vpc_security_group_ingress_rule")
	_verdict(r.values, _ingress_rule_attrs) == "unknown"
	some attr in _unknown_attrs(r.values, _ingress_rule_attrs, "")
}
