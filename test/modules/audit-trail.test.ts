import { AuditTrail, cloudTrailDeliveryStatements, trailArn } from "../../modules/audit-trail";
import { COMMON, only, statement, synthJson } from "../helpers/tf";

const PROPS = {
  ...COMMON,
  trailName: "imgsec-test-trail",
  kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/abc",
  bucketName: "audit-bucket",
  dataEventBucketArns: ["arn:aws:s3:::raw", "arn:aws:s3:::processed"],
  logGroupName: "/imgsec/test/cloudtrail",
  logGroupArn: "arn:aws:logs:us-east-1:111122223333:log-group:/imgsec/test/cloudtrail",
};

describe("AuditTrail", () => {
  const tf = synthJson((s) => new AuditTrail(s, "trail", PROPS));
  const trail = only(tf, "aws_cloudtrail");

  test("is multi-region, validates log files, and is KMS-encrypted", () => {
    expect(trail).toMatchObject({
      is_multi_region_trail: true,
      enable_log_file_validation: true,
      include_global_service_events: true,
      enable_logging: true,
      kms_key_id: PROPS.kmsKeyArn,
      s3_bucket_name: "audit-bucket",
      s3_key_prefix: "cloudtrail",
    });
  });

  test("records management events and S3 data events (read and write) on every PHI bucket", () => {
    expect(trail.event_selector).toEqual([
      {
        read_write_type: "All",
        include_management_events: true,
        data_resource: [
          { type: "AWS::S3::Object", values: ["arn:aws:s3:::raw/", "arn:aws:s3:::processed/"] },
        ],
      },
    ]);
  });

  test("delivers to CloudWatch Logs through its own role, scoped to the log group", () => {
    expect(trail.cloud_watch_logs_group_arn).toBe(`${PROPS.logGroupArn}:*`);
    expect(trail.cloud_watch_logs_role_arn).toMatch(/^\$\{aws_iam_role\..+\.arn\}$/);
    const role = only(tf, "aws_iam_role");
    expect(statement(role.assume_role_policy, "TrustService")).toMatchObject({
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceArn": trailArn(PROPS) } },
    });
    const s = statement(only(tf, "aws_iam_role_policy").policy, "DeliverToTrailLogGroup");
    expect(s.Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect(s.Resource).toBe(`${PROPS.logGroupArn}:log-stream:*`);
  });

  test("the delivery grant on the audit bucket is bound to this trail", () => {
    const [acl, write] = cloudTrailDeliveryStatements(PROPS, "arn:aws:s3:::audit-bucket");
    expect(acl.Condition).toEqual({ StringEquals: { "aws:SourceArn": trailArn(PROPS) } });
    expect(write.Resource).toBe("arn:aws:s3:::audit-bucket/cloudtrail/AWSLogs/111122223333/*");
    expect(write.Condition?.StringEquals).toEqual({
      "aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/imgsec-test-trail",
      "s3:x-amz-acl": "bucket-owner-full-control",
    });
  });

  test("refuses a trail without PHI buckets", () => {
    expect(() =>
      synthJson((s) => new AuditTrail(s, "t", { ...PROPS, dataEventBucketArns: [] })),
    ).toThrow(/at least one PHI bucket/);
  });

  test("refuses an invalid trail name", () => {
    expect(() => synthJson((s) => new AuditTrail(s, "t", { ...PROPS, trailName: "a b" }))).toThrow(
      /trail name "a b"/,
    );
  });
});
