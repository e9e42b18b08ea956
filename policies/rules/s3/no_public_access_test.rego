package imgsec.rules.s3.no_public_access_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.s3.no_public_access

bucket := f.res("aws_s3_bucket", "raw", {"bucket": "raw"})

policy_of(statements) := object.union(
	f.res_refs(
		"aws_s3_bucket_policy", "raw_policy",
		{"bucket": "${aws_s3_bucket.raw.id}", "policy": "{}"},
		{"bucket": ["aws_s3_bucket.raw"]},
	),
	{"policies": {"policy": {"Statement": statements}}},
)

deny_http := {
	"Effect": "Deny", "Principal": "*", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::raw/*"],
	"Condition": {"Bool": {"aws:SecureTransport": "false"}},
}

public_read := {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"]}

acl(values) := f.res_refs(
	"aws_s3_bucket_acl", "raw_acl",
	object.union({"bucket": "${aws_s3_bucket.raw.id}"}, values),
	{"bucket": ["aws_s3_bucket.raw"]},
)

test_private_bucket_passes if {
	inp := f.stack([bucket, policy_of([deny_http])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_bucket_without_policy_passes if {
	inp := f.stack([bucket])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_public_statement_fails if {
	inp := f.stack([bucket, policy_of([deny_http, public_read])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
	want := {"bucket policy statement PublicRead allows principal * without a restricting Condition"}
	{r.message | some r in no_public_access.results} == want with input as inp
}

test_not_principal_allow_fails if {
	st := {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": ["s3:*"]}
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_source_account_condition_passes if {
	st := object.union(public_read, {"Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_org_condition_passes if {
	st := object.union(public_read, {"Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-abc123"]}}})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_wildcard_condition_value_fails if {
	st := object.union(public_read, {"Condition": {"StringLike": {"aws:PrincipalAccount": "*"}}})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_negated_condition_fails if {
	st := object.union(public_read, {"Condition": {"StringNotEquals": {"aws:SourceAccount": "111122223333"}}})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_if_exists_condition_fails if {
	st := object.union(public_read, {"Condition": {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_unrelated_condition_fails if {
	st := object.union(public_read, {"Condition": {"Bool": {"aws:SecureTransport": "true"}}})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_source_ip_condition if {
	narrow := object.union(public_read, {"Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}})
	inp := f.stack([bucket, policy_of([narrow])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
	open := object.union(public_read, {"Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}})
	inp2 := f.stack([bucket, policy_of([open])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp2
}

test_unparseable_policy_fails if {
	inp := f.stack([bucket, object.union(policy_of([]), {"policies": {"policy": null}})])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_inline_public_acl_fails if {
	inp := f.stack([f.res("aws_s3_bucket", "raw", {"bucket": "raw", "acl": "public-read"})])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_inline_private_acl_passes if {
	inp := f.stack([f.res("aws_s3_bucket", "raw", {"bucket": "raw", "acl": "private"})])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_acl_resource_public_fails if {
	inp := f.stack([bucket, acl({"acl": "public-read-write"})])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_acl_resource_log_delivery_passes if {
	inp := f.stack([bucket, acl({"acl": "log-delivery-write"})])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_acl_resource_grant_to_all_users_fails if {
	grant := {"access_control_policy": [{
		"grant": [{
			"grantee": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}],
			"permission": "READ",
		}],
		"owner": [{"id": "owner"}],
	}]}
	inp := f.stack([bucket, acl(grant)])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_inline_grant_to_authenticated_users_fails if {
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "grant": [{
		"type": "Group",
		"uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
		"permissions": ["READ"],
	}]})
	inp := f.stack([legacy])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_plan_literal_acl_bucket_name_fails if {
	literal := f.res("aws_s3_bucket_acl", "raw_acl", {"bucket": "raw", "acl": "authenticated-read"})
	inp := f.stack([bucket, literal])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

plan(resources) := object.union(f.stack(resources), {"source": "plan"})

enforced := f.res_refs(
	"aws_s3_bucket_ownership_controls", "raw_ownership",
	{"bucket": "${aws_s3_bucket.raw.id}", "rule": {"object_ownership": "BucketOwnerEnforced"}},
	{"bucket": ["aws_s3_bucket.raw"]},
)

test_unknown_policy_principal if {
	# The issue's case: Principal {"AWS": "${var.x}"} must not pass.
	st := {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": f.unknown}, "Action": ["s3:GetObject"]}
	inp := f.stack([bucket, policy_of([deny_http, st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {concat("", [
		"policy.Principal is unknown (not a literal) on aws_s3_bucket_policy.raw_policy:",
		" cannot show that no statement allows principal * without a restricting Condition",
	])}
	{r.message | some r in no_public_access.results} == want with input as inp
}

test_unknown_policy_principal_bare if {
	st := object.union(public_read, {"Principal": f.unknown})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_partly_unknown_named_principal_passes if {
	st := object.union(public_read, {"Principal": {"AWS": "arn:aws:iam::${?}:root"}})
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([bucket, policy_of([st])])
}

test_unknown_policy_effect if {
	st := object.union(public_read, {"Effect": f.unknown})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_policy_condition if {
	st := object.union(public_read, {"Condition": {"StringEquals": {"aws:SourceAccount": f.unknown}}})
	inp := f.stack([bucket, policy_of([st])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_policy if {
	unknown := object.union(policy_of([]), {"policies": {"policy": {"unknown": true, "Statement": []}}})
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([bucket, unknown])
}

test_unknown_policy_inline if {
	legacy := f.res_policies(
		"aws_s3_bucket", "raw",
		{"bucket": "raw", "policy": f.unknown},
		{"policy": {"unknown": true, "Statement": []}},
	)
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([legacy])
}

test_plan_computed_inline_policy_is_left_to_the_policy_resource if {
	# A plan leaves a new bucket's computed inline policy out of values; the parsed document is unknown.
	planned := f.res_policies("aws_s3_bucket", "raw", {"bucket": "raw"}, {"policy": {"unknown": true, "Statement": []}})
	inp := plan([planned, policy_of([deny_http])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_unknown_acl if {
	inp := f.stack([f.res("aws_s3_bucket", "raw", {"bucket": "raw", "acl": f.unknown})])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
	want := {"acl is unknown (not a literal) on aws_s3_bucket.raw: cannot show that it is not a public canned ACL"}
	{r.message | some r in no_public_access.results} == want with input as inp
}

test_unknown_acl_resource if {
	inp := f.stack([bucket, acl({"acl": f.unknown})])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as inp
}

test_unknown_acl_with_acls_disabled_passes if {
	# BucketOwnerEnforced disables ACLs: whatever the acl is, it grants nothing (a public one fails to apply).
	inp := f.stack([f.res("aws_s3_bucket", "raw", {"bucket": "raw", "acl": f.unknown}), enforced])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_plan_computed_acl_and_grant_with_acls_disabled_pass if {
	computed := {"bucket": "raw", "acl": f.unknown, "grant": f.unknown, "policy": null}
	inp := plan([f.res("aws_s3_bucket", "raw", computed), enforced, policy_of([deny_http])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_plan_computed_inline_acl_with_acl_resource_is_left_to_it if {
	computed := {"bucket": "raw", "acl": f.unknown, "grant": [{"type": f.unknown, "uri": f.unknown}]}
	inp := plan([f.res("aws_s3_bucket", "raw", computed), acl({"acl": "private", "access_control_policy": f.unknown})])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as inp
}

test_unknown_grant_uri if {
	grant := [{"type": "Group", "uri": f.unknown, "permissions": ["READ"]}]
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "grant": grant})
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([legacy])
}

test_unknown_grant_uri_plan_computed_block if {
	planned := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "grant": f.unknown})
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([planned])
}

test_canonical_user_grant_passes if {
	grant := [{"type": "CanonicalUser", "id": f.unknown, "permissions": ["READ"]}]
	legacy := f.res("aws_s3_bucket", "raw", {"bucket": "raw", "grant": grant})
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([legacy])
}

test_unknown_access_control_policy_grant_grantee_uri if {
	grant := {"access_control_policy": [{
		"grant": [{"grantee": [{"type": "Group", "uri": f.unknown}], "permission": "READ"}],
		"owner": [{"id": "owner"}],
	}]}
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as f.stack([bucket, acl(grant)])
}

test_unknown_access_control_policy_grant_grantee_uri_plan if {
	# Known only after apply: absent from a plan's block that refers to a resource.
	grant := {"access_control_policy": [{"grant": [{"grantee": [{"type": "Group"}], "permission": "READ"}]}]}
	refs := {"access_control_policy": ["aws_ssm_parameter.g"]}
	planned := f.res_refs("aws_s3_bucket_acl", "raw_acl", object.union({"bucket": "raw"}, grant), refs)
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"UNKNOWN"} with input as plan([bucket, planned])
}

test_public_statement_fails_whatever_else_is_unknown if {
	inp := f.stack([f.res("aws_s3_bucket", "raw", {"bucket": "raw", "acl": f.unknown}), policy_of([public_read])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_public_acl_fails_even_with_acls_disabled if {
	inp := f.stack([bucket, enforced, acl({"acl": "public-read"})])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

# Fail closed: a statement without an Effect is read as Allow.
test_statement_without_effect_fails if {
	inp := f.stack([bucket, policy_of([deny_http, object.remove(public_read, ["Effect"])])])
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as inp
}

test_policy_from_data_source_fails if {
	source := f.policy_document_source("raw", {"Statement": [deny_http, public_read]})
	p := f.res_refs(
		"aws_s3_bucket_policy", "raw_policy",
		{"bucket": "${aws_s3_bucket.raw.id}", "policy": f.policy_document_ref("raw")},
		{"bucket": ["aws_s3_bucket.raw"], "policy": ["data.aws_iam_policy_document.raw"]},
	)
	holder := object.union(p, {"policies": {"policy": f.unknown_document}})
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([bucket, source, holder])
}

test_inline_public_policy_fails if {
	legacy := f.res_policies(
		"aws_s3_bucket", "raw",
		{"bucket": "raw", "policy": "{...}"},
		{"policy": {"Statement": [deny_http, public_read]}},
	)
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"FAIL"} with input as f.stack([legacy])
	private := f.res_policies(
		"aws_s3_bucket", "raw",
		{"bucket": "raw", "policy": "{...}"},
		{"policy": {"Statement": [deny_http]}},
	)
	f.statuses(no_public_access.results, "aws_s3_bucket.raw") == {"PASS"} with input as f.stack([private])
}
