import {
  ImagingPipeline,
  ImagingPipelineProps,
  KEYS_SECRET_ROTATION_EXEMPTION,
} from "../../modules/pipeline";
import { AWS_REQUIRES_STAR } from "../../modules/pipeline/policies";
import { Block, Statement, only, resources, statements, synthJson } from "../helpers/tf";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/phi";
const TOPIC = "arn:aws:sns:us-east-1:111122223333:alarms";
const bucket = (purpose: string) => ({
  bucketName: `imgsec-test-${purpose}`,
  arn: `arn:aws:s3:::imgsec-test-${purpose}`,
  bucket: { id: `imgsec-test-${purpose}` },
});
const PROPS: ImagingPipelineProps = {
  namePrefix: "imgsec-test",
  accountId: "111122223333",
  partition: "aws",
  region: "us-east-1",
  kmsKeyArn: KEY,
  rawBucket: bucket("raw"),
  processedBucket: bucket("processed"),
  auditBucket: bucket("audit"),
  handlerEntry: "test/modules/fixtures/pipeline-handler.ts",
  dataset: "trial-a",
  alarmActions: [TOPIC],
};
const synth = (extra: Partial<ImagingPipelineProps> = {}) =>
  synthJson((s) => new ImagingPipeline(s, "p", { ...PROPS, ...extra }));

/** `${type.<address>.<attr>}` of the one resource of `type` whose address contains `part`. */
function ref(tf: Block, type: string, part: string, attr = "arn"): string {
  const ids = Object.keys(tf.resource[type] ?? {}).filter((id) => id.includes(part));
  if (ids.length !== 1) throw new Error(`${type} ${part}: ${ids.length} matches`);
  return `\${${type}.${ids[0]}.${attr}}`;
}
const policyOf = (tf: Block, role: string): Statement[] =>
  statements(
    (resources(tf, "aws_iam_role_policy").find((p) => p.role.includes(`${role}`)) as Block).policy,
  );
/** Sid → [actions, resources], both as sorted arrays. */
const table = (st: Statement[]) =>
  Object.fromEntries(
    st.map((s) => [
      s.Sid,
      [[s.Action].flat().sort(), [s.Resource].flat().sort()] as [string[], string[]],
    ]),
  );
const sorted = (...xs: string[]) => [...xs].sort();

const RAW = "arn:aws:s3:::imgsec-test-raw";
const PROCESSED = "arn:aws:s3:::imgsec-test-processed";
const AUDIT = "arn:aws:s3:::imgsec-test-audit";

describe("ImagingPipeline (defaults)", () => {
  const tf = synth();
  const fn = only(tf, "aws_lambda_function");
  const signingKey = ref(tf, "aws_kms_key", "audit-signing-key");
  const secret = ref(tf, "aws_secretsmanager_secret", "keys-secret");
  const dlq = ref(tf, "aws_sqs_queue", "dead-letter-queue");
  const functionLogs = ref(tf, "aws_cloudwatch_log_group", "function-logs");

  test("the function: Node.js 24 on arm64, sized, reserved, traced, its environment under the PHI key", () => {
    expect(fn).toMatchObject({
      function_name: "imgsec-test-process-object",
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
      memory_size: 2048,
      ephemeral_storage: { size: 2048 },
      timeout: 300,
      reserved_concurrent_executions: 20,
      tracing_config: { mode: "Active" },
      kms_key_arn: KEY,
      logging_config: { log_format: "JSON", log_group: expect.stringContaining("function-logs") },
    });
    expect(fn.filename).toMatch(/^assets\/.+\/[0-9a-f]{64}\.zip$/);
    expect(fn.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(fn.vpc_config).toBeUndefined();
  });

  test("environment variables hold names and ARNs only, never a secret value", () => {
    expect(fn.environment.variables).toEqual({
      IMGSEC_RAW_BUCKET: "imgsec-test-raw",
      IMGSEC_INCOMING_PREFIX: "incoming/",
      IMGSEC_QUARANTINE_PREFIX: "quarantine/",
      IMGSEC_PROCESSED_BUCKET: "imgsec-test-processed",
      IMGSEC_PROCESSED_PREFIX: "packages/",
      IMGSEC_AUDIT_S3: "s3://imgsec-test-audit/audit/",
      IMGSEC_AUDIT_SIGNING_KMS_KEY: signingKey,
      IMGSEC_KMS_KEY_ARN: KEY,
      IMGSEC_KEYS_SECRET_ARN: secret,
      IMGSEC_DATASET: "trial-a",
      POWERTOOLS_SERVICE_NAME: "imgsec-pipeline",
      POWERTOOLS_METRICS_NAMESPACE: "imgsec/imgsec-test",
    });
  });

  test("failed asynchronous invocations go to the KMS-encrypted dead-letter queue", () => {
    const config = only(tf, "aws_lambda_function_event_invoke_config");
    expect(config.function_name).toBe(ref(tf, "aws_lambda_function", "function", "function_name"));
    expect(config.destination_config.on_failure.destination).toBe(dlq);
    const queue = only(tf, "aws_sqs_queue");
    expect(queue).toMatchObject({
      kms_master_key_id: KEY,
      message_retention_seconds: 1209600,
    });
    expect(queue.sqs_managed_sse_enabled).toBeUndefined();
  });

  test("the function's role, statement by statement: the least-privilege table", () => {
    const st = policyOf(tf, "function-role");
    const incoming = `${RAW}/incoming/*`;
    const outputs = sorted(`${PROCESSED}/packages/*`, `${RAW}/quarantine/*`);
    expect(table(st)).toEqual({
      ReadIncomingObjects: [
        sorted("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"),
        [incoming],
      ],
      MoveQuarantinedObjects: [["s3:DeleteObject"], [incoming]],
      WritePackagesAndQuarantine: [sorted("s3:PutObject", "s3:PutObjectTagging"), outputs],
      ReadOwnOutputs: [["s3:GetObject"], outputs],
      TellMissingPackages: [["s3:ListBucket"], [PROCESSED]],
      WriteAuditSegments: [sorted("s3:GetObject", "s3:PutObject"), [`${AUDIT}/audit/*`]],
      UsePhiKeyThroughS3: [sorted("kms:Decrypt", "kms:GenerateDataKey"), [KEY]],
      EncryptPackages: [sorted("kms:Decrypt", "kms:GenerateDataKey"), [KEY]],
      ReadPipelineKeys: [
        sorted("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
        [secret],
      ],
      DecryptPipelineKeys: [["kms:Decrypt"], [KEY]],
      SignAuditCheckpoints: [["kms:Sign"], [signingKey]],
      ReadAuditPublicKey: [["kms:GetPublicKey"], [signingKey]],
      SendFailedInvocations: [["sqs:SendMessage"], [dlq]],
      EncryptFailedInvocations: [sorted("kms:Decrypt", "kms:GenerateDataKey"), [KEY]],
      WriteLogs: [
        sorted("logs:CreateLogStream", "logs:PutLogEvents"),
        [`${functionLogs}:log-stream:*`],
      ],
      WriteTraces: [sorted("xray:PutTelemetryRecords", "xray:PutTraceSegments"), ["*"]],
    });
  });

  test("every KMS use is conditioned: S3 and SQS through their service and resource, the secret by its ARN, packages by our encryption context", () => {
    const st = Object.fromEntries(policyOf(tf, "function-role").map((s) => [s.Sid, s]));
    expect(st.UsePhiKeyThroughS3.Condition).toEqual({
      StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
      StringLike: {
        "kms:EncryptionContext:aws:s3:arn": [
          RAW,
          `${RAW}/incoming/*`,
          `${RAW}/quarantine/*`,
          PROCESSED,
          `${PROCESSED}/packages/*`,
          AUDIT,
          `${AUDIT}/audit/*`,
        ],
      },
    });
    expect(st.EncryptPackages.Condition).toEqual({
      StringEquals: {
        "kms:EncryptionContext:imgsec:schema": "1",
        "kms:EncryptionContext:imgsec:dataset": "trial-a",
      },
      StringLike: {
        "kms:EncryptionContext:imgsec:modality": "?*",
        "kms:EncryptionContext:imgsec:policy-hash": "?*",
        "kms:EncryptionContext:imgsec:pixel-digest": "?*",
        "kms:EncryptionContext:imgsec:producer": "imgsec/*",
      },
      "ForAllValues:StringEquals": {
        "kms:EncryptionContextKeys": [
          "imgsec:schema",
          "imgsec:dataset",
          "imgsec:modality",
          "imgsec:policy-hash",
          "imgsec:pixel-digest",
          "imgsec:producer",
          "aws-crypto-public-key",
        ],
      },
    });
    expect(st.DecryptPipelineKeys.Condition).toEqual({
      StringEquals: {
        "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
        "kms:EncryptionContext:SecretARN": secret,
      },
    });
    expect(st.EncryptFailedInvocations.Condition).toEqual({
      StringEquals: {
        "kms:ViaService": "sqs.us-east-1.amazonaws.com",
        "kms:EncryptionContext:aws:sqs:arn": dlq,
      },
    });
    expect(st.SignAuditCheckpoints.Condition).toEqual({
      StringEquals: { "kms:SigningAlgorithm": "ECDSA_SHA_256", "kms:MessageType": "RAW" },
    });
  });

  test("the state machines' roles: invoke the one function, record failures, their own execution data; the backfill lists, writes results and runs its children", () => {
    const fnArn = "arn:aws:lambda:us-east-1:111122223333:function:imgsec-test-process-object";
    const common = {
      InvokeProcessingFunction: [["lambda:InvokeFunction"], sorted(fnArn, `${fnArn}:*`)],
      RecordFailures: [["sqs:SendMessage"], [dlq]],
      EncryptFailureRecords: [sorted("kms:Decrypt", "kms:GenerateDataKey"), [KEY]],
      EncryptExecutionData: [sorted("kms:Decrypt", "kms:GenerateDataKey"), [KEY]],
      DeliverLogs: [
        sorted(
          "logs:CreateLogDelivery",
          "logs:GetLogDelivery",
          "logs:UpdateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups",
        ),
        ["*"],
      ],
      WriteTraces: [
        sorted(
          "xray:PutTraceSegments",
          "xray:PutTelemetryRecords",
          "xray:GetSamplingRules",
          "xray:GetSamplingTargets",
        ),
        ["*"],
      ],
    };
    expect(table(policyOf(tf, "object-machine-role"))).toEqual(common);
    const machine = "arn:aws:states:us-east-1:111122223333:stateMachine:imgsec-test-backfill";
    const results = `${AUDIT}/backfill-results/*`;
    expect(table(policyOf(tf, "backfill-machine-role"))).toEqual({
      ...common,
      ListIncomingObjects: [["s3:ListBucket"], [RAW]],
      WriteBackfillResults: [
        sorted(
          "s3:PutObject",
          "s3:GetObject",
          "s3:ListMultipartUploadParts",
          "s3:AbortMultipartUpload",
        ),
        [results],
      ],
      UsePhiKeyForBackfillResults: [sorted("kms:Decrypt", "kms:GenerateDataKey"), [KEY]],
      StartChildWorkflows: [["states:StartExecution"], [machine]],
      ManageChildWorkflows: [
        sorted("states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"),
        ["arn:aws:states:us-east-1:111122223333:execution:imgsec-test-backfill/*"],
      ],
    });
    const backfill = Object.fromEntries(
      policyOf(tf, "backfill-machine-role").map((s) => [s.Sid, s]),
    );
    expect(backfill.ListIncomingObjects.Condition).toEqual({
      StringLike: { "s3:prefix": "incoming/*" },
    });
    expect(backfill.EncryptExecutionData.Condition).toEqual({
      StringLike: { "kms:EncryptionContext:aws:states:stateMachineArn": [machine, `${machine}/*`] },
    });
    expect(table(policyOf(tf, "events-role"))).toEqual({
      StartObjectExecutions: [
        ["states:StartExecution"],
        ["arn:aws:states:us-east-1:111122223333:stateMachine:imgsec-test-process-object"],
      ],
    });
  });

  test("no IAM statement allows a * action, iam:PassRole, or * resources where AWS offers narrower", () => {
    for (const p of resources(tf, "aws_iam_role_policy")) {
      for (const s of statements(p.policy)) {
        const actions = [s.Action].flat();
        expect(actions.filter((a) => a.includes("*"))).toEqual([]);
        expect(actions.filter((a) => a.startsWith("iam:"))).toEqual([]);
        if ([s.Resource].flat().includes("*")) {
          expect(actions.filter((a) => !(a in AWS_REQUIRES_STAR))).toEqual([]);
        }
      }
    }
    for (const role of resources(tf, "aws_iam_role")) {
      const [trust] = statements(role.assume_role_policy);
      expect(trust.Principal).toEqual({ Service: expect.stringMatching(/\.amazonaws\.com$/) });
    }
  });

  test("the audit signing key: ECC P-256 for signing; only the function role may sign", () => {
    const key = resources(tf, "aws_kms_key")[0];
    expect(key).toMatchObject({
      customer_master_key_spec: "ECC_NIST_P256",
      key_usage: "SIGN_VERIFY",
      deletion_window_in_days: 30,
    });
    const role = ref(tf, "aws_iam_role", "function-role");
    const st = statements(key.policy);
    const signers = st.filter((s) => [s.Action].flat().includes("kms:Sign"));
    expect(signers).toEqual([
      {
        Sid: "OnlyPipelineFunctionsSign",
        Effect: "Allow",
        Principal: { AWS: [role] },
        Action: ["kms:Sign", "kms:GetPublicKey"],
        Resource: "*",
      },
    ]);
    const admin = st.find((s) => s.Sid === "AccountAdministersKey") as Statement;
    expect(admin.Principal).toEqual({ AWS: "arn:aws:iam::111122223333:root" });
    expect([admin.Action].flat().filter((a) => a.includes("*"))).toEqual([]);
    expect(only(tf, "aws_kms_alias").name).toBe("alias/imgsec-test-audit-signing");
  });

  test("the keys secret: under the PHI key, rotation-exempt with the reason, readable by the function role only, no value in Terraform state", () => {
    const s = only(tf, "aws_secretsmanager_secret");
    expect(s).toMatchObject({
      name: "imgsec-test/pipeline/keys",
      kms_key_id: KEY,
      recovery_window_in_days: 30,
      tags: { "imgsec:rotation-exempt": KEYS_SECRET_ROTATION_EXEMPTION },
    });
    // Secrets Manager tag values: letters, digits, spaces and _ . : / = + - @ only.
    expect(KEYS_SECRET_ROTATION_EXEMPTION).toMatch(/^[\p{L}\p{N}\s_.:/=+\-@]+$/u);
    expect(resources(tf, "aws_secretsmanager_secret_version")).toEqual([]);
    const policy = only(tf, "aws_secretsmanager_secret_policy");
    expect(policy.block_public_policy).toBe(true);
    expect(statements(policy.policy)).toEqual([
      {
        Sid: "DenyReadExceptPipelineFunctions",
        Effect: "Deny",
        Principal: "*",
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        Condition: {
          StringNotEquals: { "aws:PrincipalArn": [ref(tf, "aws_iam_role", "function-role")] },
        },
      },
    ]);
  });

  test("the dead-letter queue's policy: TLS only; EventBridge only for the pipeline's rule", () => {
    const st = statements(only(tf, "aws_sqs_queue_policy").policy);
    expect(st).toEqual([
      {
        Sid: "AllowEventBridgeDeadLetters",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: dlq,
        Condition: {
          ArnEquals: {
            "aws:SourceArn":
              "arn:aws:events:us-east-1:111122223333:rule/imgsec-test-object-created",
          },
        },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: dlq,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  test("both state machines: Standard, encrypted with the PHI key, logging ALL without execution data, traced", () => {
    const machines = resources(tf, "aws_sfn_state_machine");
    expect(machines.map((m) => m.name).sort()).toEqual([
      "imgsec-test-backfill",
      "imgsec-test-process-object",
    ]);
    for (const m of machines) {
      expect(m).toMatchObject({
        type: "STANDARD",
        encryption_configuration: {
          type: "CUSTOMER_MANAGED_KMS_KEY",
          kms_key_id: KEY,
          kms_data_key_reuse_period_seconds: 300,
        },
        logging_configuration: {
          level: "ALL",
          include_execution_data: false,
          log_destination: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..+\.arn\}:\*$/),
        },
        tracing_configuration: { enabled: true },
      });
      expect(m.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\./)]);
    }
    for (const g of resources(tf, "aws_cloudwatch_log_group")) {
      expect(g).toMatchObject({ kms_key_id: KEY, retention_in_days: 2192 });
    }
  });

  test("the synthesized definitions are the typed ones, naming the function by reference", () => {
    const byName = Object.fromEntries(
      resources(tf, "aws_sfn_state_machine").map((m) => [m.name, JSON.parse(m.definition)]),
    );
    const defs = byName["imgsec-test-process-object"];
    expect(defs.States.ProcessObject.Parameters.FunctionName).toBe(
      ref(tf, "aws_lambda_function", "function"),
    );
    expect(defs.States.RecordFailure.Parameters.QueueUrl).toBe(
      ref(tf, "aws_sqs_queue", "dead-letter", "url"),
    );
    const map = byName["imgsec-test-backfill"].States.ProcessItems;
    expect(map.MaxConcurrency).toBe(16); // 80% of the reserved concurrency of 20
    expect(map.ItemBatcher.MaxItemsPerBatch).toBe(10);
    expect(map.ToleratedFailurePercentage).toBe(0);
    expect(map.ResultWriter.Parameters).toEqual({
      Bucket: "imgsec-test-audit",
      Prefix: "backfill-results/",
    });
  });

  test("S3 → EventBridge → one execution per object under the incoming prefix, with a dead-letter queue and retries", () => {
    expect(only(tf, "aws_s3_bucket_notification")).toMatchObject({
      bucket: "imgsec-test-raw",
      eventbridge: true,
    });
    const rule = only(tf, "aws_cloudwatch_event_rule");
    expect(rule.name).toBe("imgsec-test-object-created");
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: {
        bucket: { name: ["imgsec-test-raw"] },
        object: { key: [{ prefix: "incoming/" }] },
      },
    });
    const target = only(tf, "aws_cloudwatch_event_target");
    expect(target).toMatchObject({
      arn: ref(tf, "aws_sfn_state_machine", "object-machine"),
      role_arn: ref(tf, "aws_iam_role", "events-role"),
      dead_letter_config: { arn: dlq },
      retry_policy: { maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 },
      input_transformer: {
        input_paths: {
          bucket: "$.detail.bucket.name",
          key: "$.detail.object.key",
          versionId: "$.detail.object.version-id",
        },
        input_template: '{"bucket": <bucket>, "key": <key>, "versionId": <versionId>}',
      },
    });
    const events = resources(tf, "aws_iam_role").find(
      (r) => r.name === "imgsec-test-pipeline-events",
    );
    expect(statements(events?.assume_role_policy)[0].Condition).toEqual({
      StringEquals: {
        "aws:SourceAccount": "111122223333",
        "aws:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/imgsec-test-object-created",
      },
    });
  });

  test("alarms on function errors and throttles, dead letters and failed executions, each notifying", () => {
    const alarms = resources(tf, "aws_cloudwatch_metric_alarm");
    expect(alarms.map((a) => [a.namespace, a.metric_name]).sort()).toEqual([
      ["AWS/Lambda", "Errors"],
      ["AWS/Lambda", "Throttles"],
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible"],
      ["AWS/States", "ExecutionsFailed"],
      ["AWS/States", "ExecutionsFailed"],
    ]);
    for (const a of alarms) {
      expect(a).toMatchObject({ alarm_actions: [TOPIC], actions_enabled: true, threshold: 1 });
    }
  });

  test("nothing public: no function URL, no event bus policy, no Lambda permission for anyone", () => {
    for (const type of [
      "aws_lambda_function_url",
      "aws_cloudwatch_event_bus_policy",
      "aws_lambda_permission",
      "aws_vpc",
    ]) {
      expect(resources(tf, type)).toEqual([]);
    }
  });
});

describe("ImagingPipeline options", () => {
  test("sizes, concurrency and the backfill's batch, tolerance and share are typed options", () => {
    const tf = synth({
      function: {
        memorySize: 4096,
        ephemeralStorageSize: 8192,
        timeoutSeconds: 600,
        reservedConcurrency: 5,
      },
      backfill: { maxItemsPerBatch: 25, toleratedFailurePercentage: 2, concurrencyShare: 0.5 },
    });
    expect(only(tf, "aws_lambda_function")).toMatchObject({
      memory_size: 4096,
      ephemeral_storage: { size: 8192 },
      timeout: 600,
      reserved_concurrent_executions: 5,
    });
    const backfill = resources(tf, "aws_sfn_state_machine").find((m) =>
      String(m.name).endsWith("backfill"),
    ) as Block;
    const map = JSON.parse(backfill.definition).States.ProcessItems;
    expect(map).toMatchObject({
      MaxConcurrency: 2,
      ToleratedFailurePercentage: 2,
      ItemBatcher: { MaxItemsPerBatch: 25 },
      ItemProcessor: { States: { ProcessBatch: { TimeoutSeconds: 660 } } },
    });
  });

  test("a backfill from S3 Inventory reads the manifests' prefix instead of listing the bucket", () => {
    const tf = synth({
      backfill: {
        itemSource: {
          kind: "inventory-manifest",
          bucketName: "inventory-bucket",
          bucketArn: "arn:aws:s3:::inventory-bucket",
          prefix: "inventory/",
        },
      },
    });
    const st = table(policyOf(tf, "backfill-machine-role"));
    expect(st.ListIncomingObjects).toBeUndefined();
    expect(st.ReadInventoryManifests).toEqual([
      ["s3:GetObject"],
      ["arn:aws:s3:::inventory-bucket/inventory/*"],
    ]);
  });

  test.each<[string, Partial<ImagingPipelineProps>, RegExp]>([
    [
      "memory over Lambda's limit",
      { function: { memorySize: 20000 } },
      /memorySize must be a whole number from 128 to 10240; got 20000/,
    ],
    [
      "no reserved concurrency",
      { function: { reservedConcurrency: 0 } },
      /reservedConcurrency must be a whole number from 1/,
    ],
    [
      "a timeout over 15 minutes",
      { function: { timeoutSeconds: 901 } },
      /timeoutSeconds must be a whole number from 1 to 900/,
    ],
    [
      "a batch of 0",
      { backfill: { maxItemsPerBatch: 0 } },
      /maxItemsPerBatch must be a whole number from 1 to 100/,
    ],
    [
      "a share of 0",
      { backfill: { concurrencyShare: 0 } },
      /concurrencyShare must be above 0 and at most 1; got 0/,
    ],
    [
      "quarantine inside incoming",
      { prefixes: { quarantine: "incoming/quarantine/" } },
      /incoming \("incoming\/"\) and quarantine \("incoming\/quarantine\/"\) must not contain one another/,
    ],
    [
      "a prefix without a slash",
      { prefixes: { processed: "packages" } },
      /prefix processed "packages" must be/,
    ],
    [
      "a dataset id that looks like a record number",
      { dataset: "mrn-1234567" },
      /pipeline dataset: dataset id must not contain six or more digits/,
    ],
    ["no alarm action", { alarmActions: [] }, /at least one alarm action is required/],
    ["short log retention", { logRetentionDays: 30 }, /log retention 30 days is refused/],
    [
      "a signing key deletion window of 3 days",
      { signingKeyDeletionWindowDays: 3 },
      /signingKeyDeletionWindowDays must be a whole number from 7 to 30; got 3/,
    ],
    [
      "a missing entry point",
      { handlerEntry: "handlers/nope.ts" },
      /^Lambda entry point handlers\/nope\.ts does not exist/,
    ],
  ])("refuses %s with one line", (_what, extra, message) => {
    expect(() => synth(extra)).toThrow(message);
  });
});

describe("ImagingPipeline in VPC mode", () => {
  const tf = synth({ vpc: {} });
  const vpc = ref(tf, "aws_vpc", "vpc", "id");
  const functionSg = ref(tf, "aws_security_group", "function-sg", "id");
  const endpointSg = ref(tf, "aws_security_group", "endpoint-sg", "id");

  test("the function runs in two private subnets with its own security group", () => {
    const fn = only(tf, "aws_lambda_function");
    expect(fn.vpc_config.security_group_ids).toEqual([functionSg]);
    expect(fn.vpc_config.subnet_ids).toHaveLength(2);
    const subnets = resources(tf, "aws_subnet");
    expect(subnets.map((s) => s.cidr_block)).toEqual(["10.42.0.0/20", "10.42.16.0/20"]);
    for (const s of subnets)
      expect(s).toMatchObject({ vpc_id: vpc, map_public_ip_on_launch: false });
  });

  test("no way out but the endpoints: no NAT, no internet gateway, no route but the S3 gateway's", () => {
    for (const type of ["aws_nat_gateway", "aws_internet_gateway", "aws_route", "aws_eip"]) {
      expect(resources(tf, type)).toEqual([]);
    }
    expect(only(tf, "aws_route_table").route).toBeUndefined();
  });

  test("an S3 gateway endpoint for the pipeline's buckets only, and interface endpoints for KMS, Secrets Manager, STS, Logs and Step Functions", () => {
    const endpoints = resources(tf, "aws_vpc_endpoint");
    expect(endpoints.map((e) => e.service_name).sort()).toEqual(
      ["kms", "logs", "s3", "secretsmanager", "states", "sts"].map(
        (s) => `com.amazonaws.us-east-1.${s}`,
      ),
    );
    for (const e of endpoints) {
      const [st] = statements(e.policy);
      expect(st.Condition).toEqual({ StringEquals: { "aws:PrincipalAccount": "111122223333" } });
      expect([st.Action].flat().filter((a) => a.includes("*"))).toEqual([]);
      if (e.vpc_endpoint_type === "Interface") {
        expect(e).toMatchObject({ private_dns_enabled: true, security_group_ids: [endpointSg] });
      }
    }
    const s3 = endpoints.find((e) => e.vpc_endpoint_type === "Gateway") as Block;
    expect(statements(s3.policy)[0].Resource).toEqual([`${RAW}/*`, `${PROCESSED}/*`, `${AUDIT}/*`]);
  });

  test("security groups: nothing inbound to the function, HTTPS only from the function to the endpoints, no 0.0.0.0/0 or ::/0 anywhere", () => {
    for (const g of resources(tf, "aws_security_group")) {
      expect(g.ingress).toBeUndefined();
      expect(g.egress).toBeUndefined();
    }
    expect(resources(tf, "aws_vpc_security_group_ingress_rule")).toEqual([
      expect.objectContaining({
        security_group_id: endpointSg,
        referenced_security_group_id: functionSg,
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
      }),
    ]);
    const egress = resources(tf, "aws_vpc_security_group_egress_rule");
    expect(egress.map((r) => r.security_group_id)).toEqual([functionSg, functionSg]);
    expect(egress.map((r) => [r.from_port, r.to_port])).toEqual([
      [443, 443],
      [443, 443],
    ]);
    expect(JSON.stringify(tf)).not.toMatch(/0\.0\.0\.0\/0|::\/0/);
    const closed = only(tf, "aws_default_security_group");
    expect(closed.vpc_id).toBe(vpc);
    expect(closed.ingress).toBeUndefined();
    expect(closed.egress).toBeUndefined();
  });

  test("flow logs of all traffic to a KMS-encrypted log group, through a role only VPC flow logs of this account can assume", () => {
    const flow = only(tf, "aws_flow_log");
    expect(flow).toMatchObject({
      vpc_id: vpc,
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
      log_destination: ref(tf, "aws_cloudwatch_log_group", "flow-logs"),
    });
    const role = resources(tf, "aws_iam_role").find((r) =>
      String(r.assume_role_policy).includes("vpc-flow-logs"),
    ) as Block;
    expect(statements(role.assume_role_policy)[0].Condition?.StringEquals).toEqual({
      "aws:SourceAccount": "111122223333",
    });
  });

  test("the function may manage network interfaces only in its subnets and security group", () => {
    const st = table(policyOf(tf, "function-role"));
    const eni = "arn:aws:ec2:us-east-1:111122223333:network-interface/*";
    expect(st.CreateNetworkInterfaces[1]).toEqual(
      sorted(
        eni,
        `arn:aws:ec2:us-east-1:111122223333:security-group/${functionSg}`,
        ...resources(tf, "aws_subnet").map(
          (_s, i) =>
            `arn:aws:ec2:us-east-1:111122223333:subnet/${ref(tf, "aws_subnet", `private-${i}_`, "id")}`,
        ),
      ),
    );
    expect(st.ManageNetworkInterfaces).toEqual([
      sorted(
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ),
      [eni],
    ]);
    expect(st.DescribeNetworkInterfaces).toEqual([
      sorted("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"),
      ["*"],
    ]);
  });

  test("three zones and another CIDR are options; a bad CIDR is refused", () => {
    const three = synth({ vpc: { cidrBlock: "10.8.0.0/20", availabilityZoneCount: 3 } });
    expect(resources(three, "aws_subnet").map((s) => s.cidr_block)).toEqual([
      "10.8.0.0/24",
      "10.8.1.0/24",
      "10.8.2.0/24",
    ]);
    expect(() => synth({ vpc: { cidrBlock: "10.8.0.1/16" } })).toThrow(/has host bits set/);
    expect(() => synth({ vpc: { cidrBlock: "10.0.0.0/8" } })).toThrow(/from \/16 to \/24/);
    expect(() => synth({ vpc: { availabilityZoneCount: 1 } })).toThrow(/from 2 to 3/);
  });
});
