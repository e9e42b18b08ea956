import {
  REPLICATION_EXEMPT_TAG,
  SecureBucket,
  SecureBucketProps,
} from "../../modules/secure-bucket";
import { Block, COMMON, only, resources, statement, statements, synthJson } from "../helpers/tf";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/abc";
const BASE: SecureBucketProps = {
  ...COMMON,
  bucketName: "phi-raw",
  kmsKeyArn: KEY,
  accessLogs: { targetBucketName: "logs-bucket" },
};
const synthBucket = (props: Partial<SecureBucketProps> = {}) =>
  synthJson((s) => new SecureBucket(s, "raw", { ...BASE, ...props }));

describe("SecureBucket defaults", () => {
  const tf = synthBucket();

  test("is SSE-KMS with the PHI key and an S3 bucket key", () => {
    const rule = only(tf, "aws_s3_bucket_server_side_encryption_configuration").rule[0];
    expect(rule.apply_server_side_encryption_by_default).toEqual({
      sse_algorithm: "aws:kms",
      kms_master_key_id: KEY,
    });
    expect(rule.bucket_key_enabled).toBe(true);
  });

  test("is versioned", () => {
    expect(only(tf, "aws_s3_bucket_versioning").versioning_configuration.status).toBe("Enabled");
  });

  test("blocks all public access with all four flags", () => {
    expect(only(tf, "aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  test("disables ACLs (BucketOwnerEnforced)", () => {
    expect(only(tf, "aws_s3_bucket_ownership_controls").rule.object_ownership).toBe(
      "BucketOwnerEnforced",
    );
  });

  test("is never force-destroyed and carries no relaxed or exemption tag", () => {
    const b = only(tf, "aws_s3_bucket");
    expect(b.force_destroy).toBe(false);
    expect(b.tags?.["imgsec:relaxed"]).toBeUndefined();
    // No replication and no reason: the gate fails it (IMGSEC-S3-011) until one is given.
    expect(b.tags?.[REPLICATION_EXEMPT_TAG]).toBeUndefined();
  });

  test("logs server access to the log bucket under a per-bucket prefix", () => {
    expect(only(tf, "aws_s3_bucket_logging")).toMatchObject({
      target_bucket: "logs-bucket",
      target_prefix: "raw/",
    });
  });

  describe("bucket policy", () => {
    const policy = only(tf, "aws_s3_bucket_policy").policy as string;
    const arn = "arn:aws:s3:::phi-raw";

    test("denies requests that are not TLS", () => {
      const s = statement(policy, "DenyInsecureTransport");
      expect(s).toMatchObject({
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
      });
      expect(s.Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    });

    test("denies TLS older than 1.2", () => {
      expect(statement(policy, "DenyOutdatedTls").Condition).toEqual({
        NumericLessThan: { "s3:TlsVersion": "1.2" },
      });
    });

    test("denies uploads that ask for other encryption; the default (SSE-KMS) covers the rest", () => {
      const s = statement(policy, "DenyUploadsWithoutSseKms");
      expect(s).toMatchObject({ Effect: "Deny", Action: "s3:PutObject", Resource: `${arn}/*` });
      // IfExists: multipart UploadPart requests carry no encryption header and must pass.
      expect(s.Condition).toEqual({
        StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" },
      });
    });

    test("denies uploads that name another KMS key", () => {
      expect(statement(policy, "DenyUploadsWithAnotherKmsKey").Condition).toEqual({
        StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY },
      });
    });

    test("is applied after the public access block", () => {
      expect(only(tf, "aws_s3_bucket_policy").depends_on[0]).toMatch(
        /^aws_s3_bucket_public_access_block\./,
      );
    });
  });

  test("lifecycle: STANDARD_IA at 90, GLACIER at 180, expiry at 2555, noncurrent and multipart cleanup", () => {
    const rule = only(tf, "aws_s3_bucket_lifecycle_configuration").rule[0];
    expect(rule.status).toBe("Enabled");
    expect(rule.transition).toEqual([
      { days: 90, storage_class: "STANDARD_IA" },
      { days: 180, storage_class: "GLACIER" },
    ]);
    expect(rule.expiration).toEqual([{ days: 2555 }]);
    expect(rule.noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
    expect(rule.abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 7 }]);
  });

  test("has no Object Lock or replication unless asked", () => {
    expect(resources(tf, "aws_s3_bucket_object_lock_configuration")).toHaveLength(0);
    expect(resources(tf, "aws_s3_bucket_replication_configuration")).toHaveLength(0);
    expect(only(tf, "aws_s3_bucket").object_lock_enabled).toBeUndefined();
  });
});

describe("SecureBucket options", () => {
  test("every lifecycle number is configurable", () => {
    const rule = only(
      synthBucket({
        lifecycle: {
          infrequentAccessAfterDays: 30,
          glacierAfterDays: 60,
          expireAfterDays: 400,
          noncurrentVersionExpireAfterDays: 10,
          abortIncompleteMultipartUploadAfterDays: 2,
        },
      }),
      "aws_s3_bucket_lifecycle_configuration",
    ).rule[0];
    expect(rule.transition.map((t: Block) => t.days)).toEqual([30, 60]);
    expect(rule.expiration[0].days).toBe(400);
    expect(rule.noncurrent_version_expiration[0].noncurrent_days).toBe(10);
    expect(rule.abort_incomplete_multipart_upload[0].days_after_initiation).toBe(2);
  });

  test("Object Lock in compliance mode with retention days", () => {
    const tf = synthBucket({ objectLock: { retentionDays: 2192 } });
    expect(only(tf, "aws_s3_bucket").object_lock_enabled).toBe(true);
    expect(only(tf, "aws_s3_bucket_object_lock_configuration").rule.default_retention).toEqual({
      mode: "COMPLIANCE",
      days: 2192,
    });
  });

  test("Object Lock governance mode when named", () => {
    const tf = synthBucket({ objectLock: { mode: "GOVERNANCE", retentionDays: 30 } });
    expect(only(tf, "aws_s3_bucket_object_lock_configuration").rule.default_retention.mode).toBe(
      "GOVERNANCE",
    );
  });

  describe("cross-region replication", () => {
    const REPLICA_KEY = "arn:aws:kms:us-west-2:111122223333:key/def";
    const tf = synthBucket({
      objectLock: { retentionDays: 100 },
      replication: {
        region: "us-west-2",
        bucketName: "phi-raw-replica",
        kmsKeyArn: REPLICA_KEY,
        accessLogsTargetBucketName: "logs-west",
      },
    });
    const byName = (name: string) =>
      resources(tf, "aws_s3_bucket").find((b) => b.bucket === name) as Block;

    test("creates a replica bucket in the second region with the same controls", () => {
      const replica = byName("phi-raw-replica");
      expect(replica.region).toBe("us-west-2");
      // Neither the source nor its copy is exempt from replication.
      for (const b of resources(tf, "aws_s3_bucket"))
        expect(b.tags?.[REPLICATION_EXEMPT_TAG]).toBeUndefined();
      expect(replica.object_lock_enabled).toBe(true);
      const replicaRef = (type: string) =>
        resources(tf, type).find((r) =>
          String(r.bucket).includes(
            Object.keys(tf.resource.aws_s3_bucket).find(
              (k) => tf.resource.aws_s3_bucket[k] === replica,
            ) as string,
          ),
        ) as Block;
      const sse = replicaRef("aws_s3_bucket_server_side_encryption_configuration");
      expect(sse.region).toBe("us-west-2");
      expect(sse.rule[0].apply_server_side_encryption_by_default.kms_master_key_id).toBe(
        REPLICA_KEY,
      );
      expect(replicaRef("aws_s3_bucket_versioning").versioning_configuration.status).toBe(
        "Enabled",
      );
      expect(replicaRef("aws_s3_bucket_public_access_block").restrict_public_buckets).toBe(true);
      expect(replicaRef("aws_s3_bucket_logging").target_bucket).toBe("logs-west");
      expect(replicaRef("aws_s3_bucket_lifecycle_configuration").rule[0].expiration[0].days).toBe(
        2555,
      );
      expect(
        replicaRef("aws_s3_bucket_object_lock_configuration").rule.default_retention.days,
      ).toBe(100);
      const replicaPolicy = replicaRef("aws_s3_bucket_policy").policy;
      expect(statements(replicaPolicy).map((s) => s.Sid)).toEqual([
        "DenyInsecureTransport",
        "DenyOutdatedTls",
        "DenyUploadsWithoutSseKms",
        "DenyUploadsWithAnotherKmsKey",
      ]);
      expect(
        statement(replicaPolicy, "DenyUploadsWithAnotherKmsKey").Condition?.StringNotEqualsIfExists,
      ).toEqual({
        "s3:x-amz-server-side-encryption-aws-kms-key-id": REPLICA_KEY,
      });
    });

    test("replicates KMS-encrypted objects with the replica key through a scoped role", () => {
      const rep = only(tf, "aws_s3_bucket_replication_configuration");
      const rule = rep.rule[0];
      expect(rule.status).toBe("Enabled");
      expect(rule.destination.bucket).toBe("arn:aws:s3:::phi-raw-replica");
      expect(rule.destination.encryption_configuration.replica_kms_key_id).toBe(REPLICA_KEY);
      expect(rule.source_selection_criteria.sse_kms_encrypted_objects.status).toBe("Enabled");
      expect(rep.depends_on).toHaveLength(2);
      const role = only(tf, "aws_iam_role");
      expect(statement(role.assume_role_policy, "TrustService")).toMatchObject({
        Principal: { Service: "s3.amazonaws.com" },
        Condition: { StringEquals: { "aws:SourceAccount": "111122223333" } },
      });
      const policy = only(tf, "aws_iam_role_policy").policy;
      expect(statement(policy, "DecryptSource").Resource).toBe(KEY);
      expect(statement(policy, "EncryptReplica").Resource).toBe(REPLICA_KEY);
      for (const s of statements(policy)) expect(s.Resource).not.toBe("*");
    });
  });

  test("an access-log target uses SSE-S3, does not log to itself, and admits only S3 log delivery", () => {
    const tf = synthJson(
      (s) =>
        new SecureBucket(s, "logs", {
          ...COMMON,
          bucketName: "phi-logs",
          role: "access-log-target",
          logDeliverySourceBucketArns: ["arn:aws:s3:::phi-raw"],
        }),
    );
    expect(
      only(tf, "aws_s3_bucket_server_side_encryption_configuration").rule[0]
        .apply_server_side_encryption_by_default,
    ).toEqual({ sse_algorithm: "AES256" });
    expect(resources(tf, "aws_s3_bucket_logging")).toHaveLength(0);
    expect(only(tf, "aws_s3_bucket_versioning").versioning_configuration.status).toBe("Enabled");
    expect(only(tf, "aws_s3_bucket_lifecycle_configuration").rule[0].expiration[0].days).toBe(2555);
    const policy = only(tf, "aws_s3_bucket_policy").policy;
    expect(statement(policy, "DenyInsecureTransport").Effect).toBe("Deny");
    expect(statement(policy, "AllowServerAccessLogDelivery")).toMatchObject({
      Principal: { Service: "logging.s3.amazonaws.com" },
      Condition: {
        StringEquals: { "aws:SourceAccount": "111122223333" },
        ArnLike: { "aws:SourceArn": ["arn:aws:s3:::phi-raw"] },
      },
    });
  });

  test("a relaxed control is named in relaxedControls and in the imgsec:relaxed tag", () => {
    let bucket: SecureBucket | undefined;
    const tf = synthJson((s) => {
      bucket = new SecureBucket(s, "raw", {
        ...BASE,
        attachRequireLatestTlsPolicy: false,
        attachDenyIncorrectKmsKey: false,
      });
    });
    expect(bucket?.relaxedControls).toEqual(["require-tls-1.2", "deny-incorrect-kms-key"]);
    expect(only(tf, "aws_s3_bucket").tags["imgsec:relaxed"]).toBe(
      "require-tls-1.2 deny-incorrect-kms-key",
    );
    const sids = statements(only(tf, "aws_s3_bucket_policy").policy).map((s) => s.Sid);
    expect(sids).toEqual(["DenyInsecureTransport", "DenyUploadsWithoutSseKms"]);
  });
});

describe("SecureBucket without a replica, explicitly", () => {
  const REASON = "development environment: test data reloadable from its source";

  test("names the reason in the imgsec:replication-exempt tag and replication as relaxed", () => {
    let bucket: SecureBucket | undefined;
    const tf = synthJson((s) => {
      bucket = new SecureBucket(s, "raw", {
        ...BASE,
        attachRequireLatestTlsPolicy: false,
        replicationExemptReason: `  ${REASON} `,
        tags: { team: "imaging" },
      });
    });
    expect(bucket?.relaxedControls).toEqual(["require-tls-1.2", "replication"]);
    expect(only(tf, "aws_s3_bucket").tags).toEqual({
      team: "imaging",
      "imgsec:relaxed": "require-tls-1.2 replication",
      [REPLICATION_EXEMPT_TAG]: REASON,
    });
    expect(resources(tf, "aws_s3_bucket_replication_configuration")).toHaveLength(0);
  });

  test.each<[string, Partial<SecureBucketProps>, RegExp]>([
    [
      "a blank reason",
      { replicationExemptReason: "  " },
      /^bucket "raw": replicationExemptReason must say why the bucket keeps no replica$/,
    ],
    [
      "a reason S3 cannot hold in a tag value (a comma)",
      { replicationExemptReason: "dev, no replica" },
      /^bucket "raw": replicationExemptReason must be at most 256 letters, digits, spaces or/,
    ],
    [
      "a reason longer than a tag value",
      { replicationExemptReason: "a".repeat(257) },
      /replicationExemptReason must be at most 256/,
    ],
    [
      "a reason on a bucket that replicates",
      {
        replicationExemptReason: REASON,
        replication: {
          region: "us-west-2",
          bucketName: "phi-raw-replica",
          kmsKeyArn: KEY,
          accessLogsTargetBucketName: "logs-west",
        },
      },
      /^bucket "raw": replicationExemptReason is for a bucket without replication, and this one replicates$/,
    ],
  ])("refuses %s", (_what, bad, message) => {
    expect(() => synthBucket(bad)).toThrow(message);
  });

  test("refuses a reason on an access-log target, which needs no replica", () => {
    expect(() =>
      synthJson(
        (s) =>
          new SecureBucket(s, "logs", {
            ...COMMON,
            bucketName: "phi-logs",
            role: "access-log-target",
            replicationExemptReason: REASON,
          }),
      ),
    ).toThrow(/^bucket "logs": replicationExemptReason is for a data bucket/);
  });

  test("accepts the longest reason a tag holds, in any script", () => {
    const tags = (reason: string) =>
      only(synthBucket({ replicationExemptReason: reason }), "aws_s3_bucket").tags;
    expect(tags("é".repeat(256))[REPLICATION_EXEMPT_TAG]).toBe("é".repeat(256));
    expect(tags("dev: see SEC-123 / risk@example.org + 2027")[REPLICATION_EXEMPT_TAG]).toBe(
      "dev: see SEC-123 / risk@example.org + 2027",
    );
  });
});

describe("SecureBucket refuses invalid configuration", () => {
  test.each<[string, Partial<SecureBucketProps>, RegExp]>([
    [
      "STANDARD_IA before 30 days",
      { lifecycle: { infrequentAccessAfterDays: 20 } },
      /infrequentAccessAfterDays must be a whole number at least 30; got 20/,
    ],
    [
      "GLACIER too soon after STANDARD_IA",
      { lifecycle: { infrequentAccessAfterDays: 90, glacierAfterDays: 100 } },
      /glacierAfterDays \(100\) must be at least 30 days after infrequentAccessAfterDays \(90\)/,
    ],
    [
      "expiry before the last transition",
      { lifecycle: { expireAfterDays: 180 } },
      /expireAfterDays \(180\) must come after the last transition, glacierAfterDays \(180\)/,
    ],
    [
      "a fractional day count",
      { lifecycle: { noncurrentVersionExpireAfterDays: 1.5 } },
      /noncurrentVersionExpireAfterDays must be a whole number/,
    ],
    [
      "zero multipart days",
      { lifecycle: { abortIncompleteMultipartUploadAfterDays: 0 } },
      /abortIncompleteMultipartUploadAfterDays must be a whole number at least 1; got 0/,
    ],
    [
      "retention longer than expiry",
      { objectLock: { retentionDays: 3000 } },
      /retentionDays \(3000\) must not exceed lifecycle expireAfterDays \(2555\)/,
    ],
    [
      "zero retention",
      { objectLock: { retentionDays: 0 } },
      /objectLock retentionDays must be a whole number from 1 to 36500; got 0/,
    ],
    ["a data bucket without a KMS key", { kmsKeyArn: undefined }, /needs kmsKeyArn \(SSE-KMS\)/],
    ["a data bucket without access logs", { accessLogs: undefined }, /needs accessLogs/],
    [
      "replication to the same region",
      {
        replication: {
          region: "us-east-1",
          bucketName: "x-replica",
          kmsKeyArn: KEY,
          accessLogsTargetBucketName: "l",
        },
      },
      /replication region must differ/,
    ],
    [
      "an invalid bucket name",
      { bucketName: "Bad_Name" },
      /bucket name "Bad_Name" is not a valid S3 bucket name/,
    ],
    ["a too-short bucket name", { bucketName: "ab" }, /not a valid S3 bucket name/],
  ])("%s", (_what, bad, message) => {
    expect(() => synthBucket(bad)).toThrow(message);
  });

  test("an access-log target that logs elsewhere", () => {
    expect(() =>
      synthJson(
        (s) =>
          new SecureBucket(s, "l", {
            ...COMMON,
            bucketName: "phi-logs",
            role: "access-log-target",
            accessLogs: { targetBucketName: "x" },
          }),
      ),
    ).toThrow(/must not log to another bucket/);
  });
});
