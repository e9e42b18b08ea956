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
