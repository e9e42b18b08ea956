"use strict";
// Generates a Terraform plan JSON (the `terraform show -json` shape: planned_values +
// configuration with references) of a PHI storage estate: per site, a KMS key, a log bucket and
// data buckets with their controls, a trail, log groups and alarms. Used by tests and benchmarks.
// `generatePlan({ buckets: 100 })` → about 9 resources per bucket.

function generatePlan({
  buckets = 100,
  breakEvery = 0,
  region = "us-east-1",
  account = "111122223333",
} = {}) {
  const planned = [];
  const config = [];
  const add = (type, name, values, expressions, moduleAddr = "") => {
    const address = `${moduleAddr}${type}.${name}`;
    planned.push({
      address,
      mode: "managed",
      type,
      name,
      provider_name: "registry.terraform.io/hashicorp/aws",
      schema_version: 0,
      values,
      sensitive_values: {},
    });
    config.push({
      address: `${type}.${name}`,
      mode: "managed",
      type,
      name,
      provider_config_key: "aws",
      expressions,
      schema_version: 0,
    });
  };
  const ref = (...r) => ({ references: r });
  const keyArn = `arn:aws:kms:${region}:${account}:key/00000000-0000-0000-0000-000000000001`;
  add(
    "aws_kms_key",
    "phi",
    {
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      key_usage: "ENCRYPT_DECRYPT",
      customer_master_key_spec: "SYMMETRIC_DEFAULT",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "Root",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${account}:root` },
            Action: "kms:*",
            Resource: "*",
          },
        ],
      }),
    },
    { enable_key_rotation: { constant_value: true } },
  );
  const logBucket = "estate-access-logs";
  const bucketNames = [];
  const addBucket = (name, bucketName, opts) => {
    add(
      "aws_s3_bucket",
      name,
      {
        bucket: bucketName,
        force_destroy: false,
        object_lock_enabled: Boolean(opts.objectLock),
        tags: { "imgsec:purpose": opts.purpose },
      },
      { bucket: { constant_value: bucketName } },
    );
    const b = ref(`aws_s3_bucket.${name}.id`, `aws_s3_bucket.${name}`);
    const broken = opts.broken;
    add(
      "aws_s3_bucket_server_side_encryption_configuration",
      `${name}_sse`,
      {
        bucket: bucketName,
        expected_bucket_owner: "",
        rule: [
          {
            apply_server_side_encryption_by_default: [
              opts.log
                ? { sse_algorithm: "AES256", kms_master_key_id: "" }
                : { sse_algorithm: broken ? "AES256" : "aws:kms" },
            ],
            bucket_key_enabled: !opts.log,
          },
        ],
      },
      {
        bucket: b,
        rule: [
          {
            apply_server_side_encryption_by_default: [
              { kms_master_key_id: ref("aws_kms_key.phi.arn", "aws_kms_key.phi") },
            ],
          },
        ],
      },
    );
    add(
      "aws_s3_bucket_versioning",
      `${name}_versioning`,
      { bucket: bucketName, versioning_configuration: [{ status: "Enabled", mfa_delete: "" }] },
      { bucket: b },
    );
    add(
      "aws_s3_bucket_public_access_block",
      `${name}_pab`,
      {
        bucket: bucketName,
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      },
      { bucket: b },
    );
    add(
      "aws_s3_bucket_ownership_controls",
      `${name}_ownership`,
      { bucket: bucketName, rule: [{ object_ownership: "BucketOwnerEnforced" }] },
      { bucket: b },
    );
    const arn = `arn:aws:s3:::${bucketName}`;
    add(
      "aws_s3_bucket_policy",
      `${name}_policy`,
      {
        bucket: bucketName,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [arn, `${arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
              Sid: "DenyOutdatedTls",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [arn, `${arn}/*`],
              Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
            },
            ...(opts.log
              ? [
                  {
                    Sid: "AllowServerAccessLogDelivery",
                    Effect: "Allow",
                    Principal: { Service: "logging.s3.amazonaws.com" },
                    Action: "s3:PutObject",
                    Resource: `${arn}/*`,
                    Condition: { StringEquals: { "aws:SourceAccount": account } },
                  },
                ]
              : []),
          ],
        }),
      },
      { bucket: b },
    );
    if (!opts.log)
      add(
        "aws_s3_bucket_logging",
        `${name}_logging`,
        { bucket: bucketName, target_bucket: logBucket, target_prefix: `${name}/` },
        {
          bucket: b,
          target_bucket: ref("aws_s3_bucket.access_logs.id", "aws_s3_bucket.access_logs"),
        },
      );
    add(
      "aws_s3_bucket_lifecycle_configuration",
      `${name}_lifecycle`,
      {
        bucket: bucketName,
        rule: [
          {
            id: "retention",
            status: "Enabled",
            filter: [{ prefix: "" }],
            expiration: [{ days: 2555, expired_object_delete_marker: false }],
            transition: [{ days: 90, storage_class: "STANDARD_IA" }],
            noncurrent_version_expiration: [{ noncurrent_days: 90 }],
            abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
          },
        ],
      },
      { bucket: b },
    );
  };
  addBucket("access_logs", logBucket, { log: true, purpose: "access-logs" });
  // The trail's bucket holds audit records: Object Lock in compliance mode.
  const auditBucket = "estate-audit";
  addBucket("audit", auditBucket, { purpose: "audit", objectLock: true });
  add(
    "aws_s3_bucket_object_lock_configuration",
    "audit_lock",
    {
      bucket: auditBucket,
      rule: [{ default_retention: [{ mode: "COMPLIANCE", days: 2192, years: 0 }] }],
    },
    { bucket: ref("aws_s3_bucket.audit.id", "aws_s3_bucket.audit") },
  );
  for (let i = 0; i < buckets; i++) {
    const name = `phi_${String(i).padStart(4, "0")}`;
    const bucketName = `estate-phi-${String(i).padStart(4, "0")}`;
    bucketNames.push(bucketName);
    addBucket(name, bucketName, {
      purpose: "images",
      broken: breakEvery > 0 && i % breakEvery === breakEvery - 1,
    });
  }
  add(
    "aws_cloudwatch_log_group",
    "trail",
    { name: "/estate/cloudtrail", retention_in_days: 2192, kms_key_id: keyArn },
    { kms_key_id: ref("aws_kms_key.phi.arn", "aws_kms_key.phi") },
  );
  add(
    "aws_cloudtrail",
    "estate",
    {
      name: "estate",
      s3_bucket_name: auditBucket,
      is_multi_region_trail: true,
      enable_log_file_validation: true,
      include_global_service_events: true,
      kms_key_id: keyArn,
      cloud_watch_logs_group_arn: `arn:aws:logs:${region}:${account}:log-group:/estate/cloudtrail:*`,
      cloud_watch_logs_role_arn: `arn:aws:iam::${account}:role/trail-logs`,
      event_selector: [
        {
          read_write_type: "All",
          include_management_events: true,
          data_resource: [{ type: "AWS::S3::Object", values: ["arn:aws:s3"] }],
          exclude_management_event_sources: [],
        },
      ],
    },
    {
      kms_key_id: ref("aws_kms_key.phi.arn", "aws_kms_key.phi"),
      s3_bucket_name: ref("aws_s3_bucket.audit.id", "aws_s3_bucket.audit"),
    },
  );
  add(
    "aws_sns_topic",
    "alarms",
    { name: "estate-alarms", kms_master_key_id: keyArn },
    { kms_master_key_id: ref("aws_kms_key.phi.arn", "aws_kms_key.phi") },
  );
  add(
    "aws_cloudwatch_metric_alarm",
    "root_usage",
    {
      alarm_name: "root-usage",
      actions_enabled: true,
      alarm_actions: [`arn:aws:sns:${region}:${account}:estate-alarms`],
      comparison_operator: "GreaterThanOrEqualToThreshold",
      evaluation_periods: 1,
      threshold: 1,
    },
    { alarm_actions: ref("aws_sns_topic.alarms.arn", "aws_sns_topic.alarms") },
  );
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: { resources: planned } },
    resource_changes: [],
    configuration: {
      provider_config: { aws: { name: "aws", full_name: "registry.terraform.io/hashicorp/aws" } },
      root_module: { resources: config },
    },
  };
}

module.exports = { generatePlan };

if (require.main === module) {
  const n = Number(process.argv[2] || 120);
  process.stdout.write(JSON.stringify(generatePlan({ buckets: n })) + "\n");
}
