import { TerraformStack, Testing } from "cdktf";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { ImagingPipelineStack, PIPELINE_HANDLER_ENTRY } from "../../stacks/imaging-pipeline-stack";
import { DeploymentGate, Params, defaultParams } from "../../policies/engine/engine";
import { normalizeDocument } from "../../policies/engine/normalize";
import {
  DEFAULT_ENVIRONMENTS,
  DEV_REPLICATION_EXEMPT_REASON,
  EnvironmentInput,
  loadConfigFile,
  resolveEnvironments,
} from "../../stacks/config";
import { Block, SAMPLE_BUCKET, resources, statement } from "../helpers/tf";
import { formatSummary, summarizeStack } from "../../stacks/summary";
import { REPLICATION_EXEMPT_TAG, SecureBucket } from "../../modules/secure-bucket";
import { KEYS_SECRET_ROTATION_EXEMPTION } from "../../modules/pipeline";

/** The pipeline function's stand-in entry point until handlers/process-object.ts exists. */
const HANDLER_FIXTURE = "test/modules/fixtures/pipeline-handler.ts";

function synthEnv(
  name: string,
  input: EnvironmentInput = {},
): { json: string; tf: Block; stack: ImagingPipelineStack } {
  const [env] = resolveEnvironments({ [name]: input });
  const stack = new ImagingPipelineStack(Testing.app(), `imgsec-${name}`, env, {
    pipelineHandlerEntry: HANDLER_FIXTURE,
  });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json), stack };
}

const ref = (tf: Block, type: string, pred: (r: Block) => boolean) => {
  const hit = Object.entries(tf.resource[type] ?? {}).find(([, r]) => pred(r as Block));
  if (!hit) throw new Error(`no ${type} matched`);
  return hit[0];
};
const bucketId = (tf: Block, purpose: string) =>
  ref(
    tf,
    "aws_s3_bucket",
    (b) =>
      String(b.bucket).startsWith(`imgsec-dev-${purpose}-`) ||
      String(b.bucket).startsWith(`imgsec-prod-${purpose}-`),
  );
const forBucket = (tf: Block, type: string, id: string) =>
  resources(tf, type).find((r) => r.bucket === `\${aws_s3_bucket.${id}.id}`) as Block;

describe("dev stack (all defaults)", () => {
  const { json, tf } = synthEnv("dev");

  test("declares the provider in the configured region with PHI tags", () => {
    expect(tf.provider.aws[0].region).toBe("us-east-1");
    expect(tf.provider.aws[0].default_tags[0].tags).toMatchObject({
      Project: "imgsec",
      Environment: "dev",
      DataClassification: "PHI",
    });
    expect(tf.terraform.backend).toBeUndefined();
  });

  test("uses the cdktf matchers: a rotating KMS key, a multi-region validated trail", () => {
    expect(json).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: true,
      deletion_window_in_days: 30,
    });
    expect(json).toHaveResourceWithProperties(Cloudtrail, {
      is_multi_region_trail: true,
      enable_log_file_validation: true,
    });
    expect(json).toHaveResourceWithProperties(S3Bucket, { object_lock_enabled: true });
  });

  test("raw, processed and audit buckets are SSE-KMS with the PHI key; the log bucket is SSE-S3", () => {
    const keyArn = `\${${"aws_kms_key"}.${Object.keys(tf.resource.aws_kms_key)[0]}.arn}`;
    for (const purpose of ["raw", "processed", "audit"]) {
      const sse = forBucket(
        tf,
        "aws_s3_bucket_server_side_encryption_configuration",
        bucketId(tf, purpose),
      );
      expect(sse.rule[0].apply_server_side_encryption_by_default).toEqual({
        sse_algorithm: "aws:kms",
        kms_master_key_id: keyArn,
      });
      const logging = forBucket(tf, "aws_s3_bucket_logging", bucketId(tf, purpose));
      expect(logging.target_bucket).toBe(`\${aws_s3_bucket.${bucketId(tf, "access-logs")}.id}`);
      expect(logging.target_prefix).toBe(`${purpose}/`);
    }
    const logSse = forBucket(
      tf,
      "aws_s3_bucket_server_side_encryption_configuration",
      bucketId(tf, "access-logs"),
    );
    expect(logSse.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("AES256");
  });

  test("every bucket is versioned, private, ACL-free, TLS-only and lifecycle-managed", () => {
    const ids = Object.keys(tf.resource.aws_s3_bucket);
    expect(ids).toHaveLength(4);
    for (const id of ids) {
      expect(forBucket(tf, "aws_s3_bucket_versioning", id).versioning_configuration.status).toBe(
        "Enabled",
      );
      expect(forBucket(tf, "aws_s3_bucket_public_access_block", id).block_public_policy).toBe(true);
      expect(forBucket(tf, "aws_s3_bucket_ownership_controls", id).rule.object_ownership).toBe(
        "BucketOwnerEnforced",
      );
      expect(
        statement(forBucket(tf, "aws_s3_bucket_policy", id).policy, "DenyInsecureTransport").Effect,
      ).toBe("Deny");
      expect(
        forBucket(tf, "aws_s3_bucket_lifecycle_configuration", id).rule[0].expiration[0].days,
      ).toBe(2555);
    }
  });

  test("the audit bucket has Object Lock (COMPLIANCE, six years) and admits only this trail's delivery", () => {
    const audit = bucketId(tf, "audit");
    expect(tf.resource.aws_s3_bucket[audit].object_lock_enabled).toBe(true);
    expect(
      forBucket(tf, "aws_s3_bucket_object_lock_configuration", audit).rule.default_retention,
    ).toEqual({ mode: "COMPLIANCE", days: 2192 });
    const write = statement(
      forBucket(tf, "aws_s3_bucket_policy", audit).policy,
      "AllowCloudTrailWrite",
    );
    expect(write.Condition?.StringEquals?.["aws:SourceArn"]).toMatch(
      /:cloudtrail:us-east-1:.*:trail\/imgsec-dev-audit-trail$/,
    );
  });

  test("the trail records data events on raw, processed and audit, and the key lets only it encrypt", () => {
    const trail = Object.values(tf.resource.aws_cloudtrail)[0] as Block;
    const values: string[] = trail.event_selector[0].data_resource[0].values;
    expect(values.map((v) => v.replace(/^.*:::imgsec-dev-([a-z-]+)-\$.*$/, "$1")).sort()).toEqual([
      "audit",
      "processed",
      "raw",
    ]);
    expect(trail.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_s3_bucket_policy\.audit_policy/)]),
    );
    const key = Object.values(tf.resource.aws_kms_key)[0] as Block;
    expect(
      statement(key.policy, "AllowCloudTrailToEncryptLogs").Condition?.StringEquals?.[
        "aws:SourceArn"
      ],
    ).toMatch(/trail\/imgsec-dev-audit-trail$/);
  });

  test("log groups are encrypted with the PHI key and kept six years; thirteen security and five pipeline alarms notify the topic", () => {
    for (const g of resources(tf, "aws_cloudwatch_log_group")) {
      expect(g.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
      expect(g.retention_in_days).toBe(2192);
    }
    const alarms = resources(tf, "aws_cloudwatch_metric_alarm");
    expect(alarms).toHaveLength(18);
    const topic = `\${aws_sns_topic.${Object.keys(tf.resource.aws_sns_topic)[0]}.arn}`;
    for (const a of alarms) expect(a.alarm_actions).toEqual([topic]);
    expect((Object.values(tf.resource.aws_sns_topic)[0] as Block).kms_master_key_id).toMatch(
      /^\$\{aws_kms_key\./,
    );
  });

  test("no replication, and no exemption either: the strict default the gate fails until one is chosen", () => {
    expect(resources(tf, "aws_s3_bucket_replication_configuration")).toHaveLength(0);
    for (const b of resources(tf, "aws_s3_bucket"))
      expect(b.tags?.[REPLICATION_EXEMPT_TAG]).toBeUndefined();
  });
});

describe("the built-in dev stack keeps no replica, explicitly", () => {
  const { tf } = synthEnv("dev", DEFAULT_ENVIRONMENTS.dev);

  test("each PHI bucket says why in imgsec:replication-exempt and names replication as relaxed", () => {
    expect(resources(tf, "aws_s3_bucket_replication_configuration")).toHaveLength(0);
    const tagged = Object.entries(tf.resource.aws_s3_bucket as Record<string, Block>)
      .map(([id, b]) => [id.replace(/_bucket_[0-9A-F]{8}$/, ""), b.tags] as const)
      .sort(([a], [b]) => a.localeCompare(b));
    expect(tagged).toEqual([
      ["access-logs", {}],
      [
        "audit",
        {
          "imgsec:relaxed": "replication",
          [REPLICATION_EXEMPT_TAG]: DEV_REPLICATION_EXEMPT_REASON,
        },
      ],
      [
        "processed",
        {
          "imgsec:relaxed": "replication",
          [REPLICATION_EXEMPT_TAG]: DEV_REPLICATION_EXEMPT_REASON,
        },
      ],
      [
        "raw",
        {
          "imgsec:relaxed": "replication",
          [REPLICATION_EXEMPT_TAG]: DEV_REPLICATION_EXEMPT_REASON,
        },
      ],
    ]);
  });

  test("the synth summary lists replication as relaxed on each PHI bucket", () => {
    const summary = summarizeStack("imgsec-dev", "f", tf);
    expect(summary.relaxed).toEqual([
      "audit: replication",
      "processed: replication",
      "raw: replication",
    ]);
    expect(formatSummary(summary)).toContain(
      "Relaxed     audit: replication; processed: replication; raw: replication",
    );
  });
});

describe("prod stack (replication on)", () => {
  const { tf, stack } = synthEnv("prod", { replication: { enabled: true, region: "us-west-2" } });

  test("replicates raw, processed and audit to us-west-2 under a regional replica key", () => {
    expect(resources(tf, "aws_s3_bucket_replication_configuration")).toHaveLength(3);
    const keys = resources(tf, "aws_kms_key");
    expect(keys.map((k) => [k.region ?? "provider", k.key_usage])).toEqual([
      ["provider", "ENCRYPT_DECRYPT"],
      ["provider", "SIGN_VERIFY"],
      ["us-west-2", "ENCRYPT_DECRYPT"],
    ]);
    const replicas = resources(tf, "aws_s3_bucket").filter((b) => b.region === "us-west-2");
    expect(
      replicas
        .map((b) => String(b.bucket).replace(/^imgsec-prod-([a-z-]+)-\$.*-us-west-2$/, "$1"))
        .sort(),
    ).toEqual(["access-logs", "audit", "processed", "raw"]);
    for (const b of replicas) expect(String(b.bucket)).toMatch(/-us-west-2$/);
  });

  test("the trail and the access-denied alarm cover the replicas too", () => {
    const trail = Object.values(tf.resource.aws_cloudtrail)[0] as Block;
    expect(trail.event_selector[0].data_resource[0].values).toHaveLength(6);
    expect(stack.phiBuckets()).toHaveLength(6);
  });
});

describe("remote state", () => {
  test("S3 backend with encryption and native lock file", () => {
    const { tf } = synthEnv("dev", {
      remoteState: { bucket: "tf-state", key: "imgsec/dev.tfstate", region: "us-east-1" },
    });
    expect(tf.terraform.backend.s3).toEqual({
      bucket: "tf-state",
      key: "imgsec/dev.tfstate",
      region: "us-east-1",
      encrypt: true,
      use_lockfile: true,
    });
  });

  test("S3 backend with a KMS key and a DynamoDB lock table", () => {
    const { tf } = synthEnv("dev", {
      remoteState: {
        bucket: "tf-state",
        key: "k",
        region: "eu-west-1",
        kmsKeyId: "alias/tf",
        dynamodbTable: "locks",
      },
    });
    expect(tf.terraform.backend.s3).toMatchObject({
      encrypt: true,
      kms_key_id: "alias/tf",
      dynamodb_table: "locks",
    });
    expect(tf.terraform.backend.s3.use_lockfile).toBeUndefined();
  });
});

describe("configuration", () => {
  test("built-in environments are dev and prod, strict, prod replicated", () => {
    const envs = resolveEnvironments();
    expect(envs.map((e) => e.name)).toEqual(["dev", "prod"]);
    expect(envs[0]).toMatchObject({ namePrefix: "imgsec-dev", logRetentionDays: 2192 });
    // dev's one relaxation, named with its reason.
    expect(envs[0].replication).toEqual({
      enabled: false,
      region: "us-west-2",
      exemptReason: DEV_REPLICATION_EXEMPT_REASON,
    });
    expect(envs[1].replication).toEqual({ enabled: true, region: "us-west-2" });
    expect(envs[0].auditObjectLock).toEqual({ mode: "COMPLIANCE", retentionDays: 2192 });
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ["a bad region", { region: "mars-1" }, /configuration: environments\.x\.region: .*AWS region/],
    [
      "an unknown key",
      { retention: 5 },
      /configuration: environments\.x: Unrecognized key: "retention"/,
    ],
    ["an upper-case prefix", { namePrefix: "Imgsec" }, /namePrefix: lowercase letters/],
    [
      "a prefix too long for bucket names",
      { namePrefix: "a234567890123456789012345" },
      /namePrefix/,
    ],
    ["a non-integer retention", { logRetentionDays: 365.5 }, /logRetentionDays/],
    [
      "a replication exemption on an environment that replicates",
      { replication: { enabled: true, exemptReason: "dev" } },
      /configuration: environments\.x\.replication\.exemptReason: exemptReason is for an environment that does not replicate/,
    ],
    [
      "a blank replication exemption",
      { replication: { exemptReason: " " } },
      /environments\.x\.replication\.exemptReason: must say why the bucket keeps no replica/,
    ],
    [
      "a replication exemption S3 cannot tag (a comma)",
      { replication: { exemptReason: "dev, no copy" } },
      /environments\.x\.replication\.exemptReason: must be at most 256 letters/,
    ],
  ])("refuses %s", (_what, input, message) => {
    expect(() => resolveEnvironments({ x: input as EnvironmentInput })).toThrow(message);
  });

  test.each<[string, EnvironmentInput, RegExp]>([
    [
      "log retention under a year",
      { logRetentionDays: 90 },
      /log retention 90 days is refused: at least 365/,
    ],
    [
      "lifecycle out of order",
      { lifecycle: { glacierAfterDays: 100 } },
      /glacierAfterDays \(100\) must be at least 30 days after/,
    ],
    [
      "audit retention beyond expiry",
      { auditObjectLock: { retentionDays: 4000 } },
      /retentionDays \(4000\) must not exceed lifecycle expireAfterDays \(2555\)/,
    ],
    [
      "a KMS deletion window over 30",
      { kmsDeletionWindowDays: 45 },
      /deletionWindowInDays must be a whole number from 7 to 30; got 45/,
    ],
    [
      "replication to the same region",
      { replication: { enabled: true, region: "us-east-1" } },
      /replication region must differ/,
    ],
  ])("synth refuses %s", (_what, input, message) => {
    expect(() => synthEnv("dev", input)).toThrow(message);
  });

  test("a config file overrides named environments and keeps the others", () => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(
      file,
      JSON.stringify({
        environments: { dev: { region: "eu-west-1", logRetentionDays: 365 }, staging: {} },
      }),
    );
    const envs = resolveEnvironments(loadConfigFile(file));
    expect(envs.map((e) => e.name).sort()).toEqual(["dev", "prod", "staging"]);
    expect(envs.find((e) => e.name === "dev")).toMatchObject({
      region: "eu-west-1",
      logRetentionDays: 365,
    });
  });

  test("a config file that is not JSON, or not the right shape, is refused in one line", () => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-cfg-"));
    writeFileSync(join(dir, "bad.json"), "{ nope");
    expect(() => loadConfigFile(join(dir, "bad.json"))).toThrow(
      /config file .*bad\.json is not valid JSON/,
    );
    writeFileSync(join(dir, "shape.json"), JSON.stringify({ envs: {} }));
    expect(() => loadConfigFile(join(dir, "shape.json"))).toThrow(/config file .*shape\.json: /);
    expect(() => loadConfigFile(join(dir, "missing.json"))).toThrow(
      /cannot read config file .*missing\.json: ENOENT/,
    );
  });
});

describe("stack summary", () => {
  test("reports relaxed controls by bucket and name", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    new SecureBucket(stack, "raw", { ...SAMPLE_BUCKET, attachDenyInsecureTransportPolicy: false });
    const tf = JSON.parse(Testing.synth(stack));
    const summary = summarizeStack("s", "f", tf);
    expect(summary.relaxed).toEqual(["raw: deny-insecure-transport"]);
    expect(formatSummary(summary)).toContain("Relaxed     raw: deny-insecure-transport");
  });
});

describe("the pipeline in the stack", () => {
  const { tf, stack } = synthEnv("dev");
  const phiKey = `\${aws_kms_key.${Object.keys(tf.resource.aws_kms_key)[0]}.arn}`;

  test("uses the stack's PHI key, buckets, pipeline log group and alarm topic", () => {
    const fn = Object.values(tf.resource.aws_lambda_function)[0] as Block;
    expect(fn.kms_key_arn).toBe(phiKey);
    expect(fn.logging_config.log_group).toMatch(
      /^\$\{aws_cloudwatch_log_group\.monitoring_pipeline-logs_/,
    );
    expect(fn.environment.variables).toMatchObject({
      IMGSEC_RAW_BUCKET: expect.stringMatching(/^imgsec-dev-raw-/),
      IMGSEC_PROCESSED_BUCKET: expect.stringMatching(/^imgsec-dev-processed-/),
      IMGSEC_AUDIT_S3: expect.stringMatching(/^s3:\/\/imgsec-dev-audit-.*\/audit\/$/),
      IMGSEC_DATASET: "imgsec-dev",
    });
    expect((Object.values(tf.resource.aws_s3_bucket_notification)[0] as Block).bucket).toBe(
      `\${aws_s3_bucket.${bucketId(tf, "raw")}.id}`,
    );
    expect(stack.pipeline.alarms).toHaveLength(5);
    expect(PIPELINE_HANDLER_ENTRY).toBe("handlers/process-object.ts");
  });

  test("the PHI key lets EventBridge use it only for the pipeline's rule (its dead-letter queue)", () => {
    const key = Object.values(tf.resource.aws_kms_key)[0] as Block;
    expect(statement(key.policy, "AllowEventBridgeDeadLetters")).toEqual({
      Sid: "AllowEventBridgeDeadLetters",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        ArnEquals: {
          "aws:SourceArn": [
            "arn:${data.aws_partition.partition.partition}:events:us-east-1:${data.aws_caller_identity.caller.account_id}:rule/imgsec-dev-object-created",
          ],
        },
      },
    });
    expect((Object.values(tf.resource.aws_cloudwatch_event_rule)[0] as Block).name).toBe(
      "imgsec-dev-object-created",
    );
  });

  test("pipeline settings come from the configuration, strict by default, unknown fields refused", () => {
    const { tf: tuned } = synthEnv("dev", {
      pipeline: {
        dataset: "trial-b",
        memorySize: 3008,
        reservedConcurrency: 4,
        backfill: { maxItemsPerBatch: 50 },
        vpc: { enabled: true },
      },
    });
    expect(Object.values(tuned.resource.aws_lambda_function)[0]).toMatchObject({
      memory_size: 3008,
      reserved_concurrent_executions: 4,
      environment: { variables: { IMGSEC_DATASET: "trial-b" } },
      vpc_config: { subnet_ids: expect.any(Array) },
    });
    expect(() =>
      resolveEnvironments({ x: { pipeline: { memory: 1 } } as EnvironmentInput }),
    ).toThrow(/configuration: environments\.x\.pipeline: Unrecognized key: "memory"/);
    expect(() => synthEnv("dev", { pipeline: { dataset: "2024-01-15" } })).toThrow(
      /pipeline dataset: dataset id must not contain/,
    );
  });

  test("a missing handler entry point stops synth with one line", () => {
    const [env] = resolveEnvironments({ dev: {} });
    expect(
      () =>
        new ImagingPipelineStack(Testing.app(), "imgsec-dev", env, {
          pipelineHandlerEntry: "handlers/missing.ts",
        }),
    ).toThrow(/^Lambda entry point handlers\/missing\.ts does not exist/);
  });

  test("the synth summary lists the pipeline", () => {
    const text = formatSummary(summarizeStack("imgsec-dev", "f", tf));
    expect(text).toContain(
      "Lambda      imgsec-dev-process-object: nodejs24.x arm64, 2048 MB, reserved concurrency 20, X-Ray, env KMS, no VPC",
    );
    expect(text).toMatch(
      /States {6}imgsec-dev-backfill \(STANDARD\), imgsec-dev-process-object \(STANDARD\): logs ALL without execution data, X-Ray, KMS CMK; 1 EventBridge rule/,
    );
    expect(text).toMatch(
      /Pipeline {4}queue imgsec-dev-pipeline-dlq \(KMS CMK\); secret imgsec-dev\/pipeline\/keys \(KMS CMK, rotation exempt: /,
    );
    expect(text).toContain(
      "KMS key     alias/imgsec-dev-audit-signing [us-east-1]: asymmetric ECC_NIST_P256",
    );
    expect(text).toMatch(
      /Alarms {6}13 alarms, 13 notify the SNS topic .*, and 5 pipeline alarms, 5 notify it/,
    );
    expect(text).toContain("Relaxed     none (strict defaults)");
  });
});

describe("the deployment gate on the stack with its pipeline", () => {
  const gate = DeploymentGate.load();
  /** The synthesized stack and the gate's results on it. */
  const synthAndCheck = (name: string, input: EnvironmentInput, params: Params = {}) => {
    const { tf } = synthEnv(name, input);
    const results = gate.evaluate(normalizeDocument(tf, `${name}.json`, `imgsec-${name}`), {
      ...defaultParams(),
      // As `imgsec check` runs it: runtime deprecation is judged against today.
      evaluation_date: new Date().toISOString().slice(0, 10),
      ...params,
    });
    return { tf, results };
  };
  const check = (name: string, input: EnvironmentInput, params: Params = {}) =>
    synthAndCheck(name, input, params).results;
  const problems = (results: ReturnType<typeof check>) =>
    results
      .filter((r) => r.status === "FAIL" || r.status === "UNKNOWN")
      .map((r) => `${r.status} ${r.rule} ${r.resource}: ${r.message}`);
  const warned = (results: ReturnType<typeof check>, rule: string) =>
    results.filter((r) => r.status === "WARN" && r.rule === rule);
  /**
   * The warnings rules give by design, each checked to be exactly that: the keys secret's rotation
   * exemption with its reason (IMGSEC-SM-003); every inline role policy, inline on purpose
   * (IMGSEC-IAM-007); and where the environment keeps no replica, each PHI bucket's exemption with
   * its reason (IMGSEC-S3-011). Anything else is returned.
   */
  const unexpectedWarnings = (results: ReturnType<typeof check>, tf: Block, exempt: boolean) => {
    const designed = (r: (typeof results)[number]) =>
      (r.rule === "IMGSEC-SM-003" &&
        /^aws_secretsmanager_secret\.pipeline_keys-secret_/.test(r.resource) &&
        r.message.endsWith(`: ${KEYS_SECRET_ROTATION_EXEMPTION}`)) ||
      (r.rule === "IMGSEC-IAM-007" && r.resource.startsWith("aws_iam_role_policy.")) ||
      (exempt &&
        r.rule === "IMGSEC-S3-011" &&
        r.message ===
          `no replication: exempt (tag ${REPLICATION_EXEMPT_TAG}): ${DEV_REPLICATION_EXEMPT_REASON}`);
    // Each designed warning is there, once per resource it names.
    expect(warned(results, "IMGSEC-SM-003")).toHaveLength(1);
    expect(
      warned(results, "IMGSEC-IAM-007")
        .map((r) => r.resource)
        .sort(),
    ).toEqual(
      Object.keys(tf.resource.aws_iam_role_policy)
        .map((id) => `aws_iam_role_policy.${id}`)
        .sort(),
    );
    expect(
      warned(results, "IMGSEC-S3-011").map((r) => r.resource.replace(/_[0-9A-F]{8}$/, "")),
    ).toEqual(
      exempt
        ? [
            "aws_s3_bucket.audit_bucket",
            "aws_s3_bucket.processed_bucket",
            "aws_s3_bucket.raw_bucket",
          ]
        : [],
    );
    return results
      .filter((r) => r.status === "WARN" && !designed(r))
      .map((r) => `${r.rule} ${r.resource}: ${r.message}`);
  };

  test.each<[string, EnvironmentInput, Params]>([
    ["dev", DEFAULT_ENVIRONMENTS.dev, {}],
    ["prod", DEFAULT_ENVIRONMENTS.prod, {}],
    [
      "vpc",
      { ...DEFAULT_ENVIRONMENTS.dev, pipeline: { vpc: { enabled: true } } },
      { lambda_require_vpc: true },
    ],
  ])(
    "%s: zero failures and zero unknowns, with PASS evidence for the pipeline's resources",
    (name, input, params) => {
      const { tf, results } = synthAndCheck(name, input, params);
      expect(problems(results)).toEqual([]);
      expect(unexpectedWarnings(results, tf, !input.replication?.enabled)).toEqual([]);
      const passed = new Set(
        results.filter((r) => r.status === "PASS").map((r) => r.resource.split(".")[0]),
      );
      for (const type of ["aws_lambda_function", "aws_sfn_state_machine", "aws_iam_role_policy"]) {
        expect(passed).toContain(type);
      }
      if (name === "vpc") {
        expect(results.some((r) => r.rule === "IMGSEC-LMB-006" && r.status === "PASS")).toBe(true);
      }
    },
  );

  test("an environment that neither replicates nor says why fails IMGSEC-S3-011, and only that", () => {
    const results = check("staging", {});
    expect(problems(results).map((p) => p.replace(/_[0-9A-F]{8}:.*$/, ""))).toEqual([
      "FAIL IMGSEC-S3-011 aws_s3_bucket.audit_bucket",
      "FAIL IMGSEC-S3-011 aws_s3_bucket.processed_bucket",
      "FAIL IMGSEC-S3-011 aws_s3_bucket.raw_bucket",
    ]);
    // Where the gate's parameters do not require replication, it has nothing to report.
    const optional = check("staging", {}, { require_replication: false });
    expect(problems(optional)).toEqual([]);
    expect(optional.filter((r) => r.rule === "IMGSEC-S3-011")).toEqual([]);
  });
});
