/**
 * Mutations for the CloudTrail (IMGSEC-CT-001..005), CloudWatch (IMGSEC-CW-001..003), SNS
 * (IMGSEC-SNS-001), Lambda (IMGSEC-LMB-001..006), Step Functions (IMGSEC-SFN-001..002) and IAM
 * (IMGSEC-IAM-001..003) rules: each breaks the synthesized stack in exactly the way one rule targets.
 *
 * These mutations first inject a fully compliant function or state machine of their own
 * (addCompliantLambda, addCompliantStateMachine: no new bucket or key, so the S3 and KMS rules see
 * nothing new; compliant with the pipeline rules too: a supported runtime, a KMS-encrypted
 * dead-letter queue with a TLS-only policy, a state machine encrypted with the PHI key) and then
 * break one attribute.
 *
 * IMGSEC-LMB-006 only applies when params.lambda_require_vpc is true: its mutation carries `params`,
 * which the harness must merge over policies/params.json (`gate.evaluate(stack, {...defaultParams(),
 * ...m.params})`).
 */
import { Mutation, Tf, addResource, editPolicy, findResource, resourcesOf } from "./types";

/** A mutation that also overrides policies/params.json for its evaluation. */
export interface ParamMutation extends Mutation {
  params?: Record<string, unknown>;
}

const TRAIL = /^aws_cloudtrail\.audit-trail_/;
const RAW_BUCKET = /^aws_s3_bucket\.raw_bucket_/;
const RAW_REPLICA_BUCKET = /^aws_s3_bucket\.raw_replica_bucket_/;
const LAMBDA = /^aws_lambda_function\.deid$/;
const STATE_MACHINE = /^aws_sfn_state_machine\.pipeline$/;

const ACCOUNT = "${data.aws_caller_identity.caller.account_id}";
const PARTITION = "${data.aws_partition.partition.partition}";

/** The logical id of the one resource of `type` whose id starts with `idPrefix`. */
function idOf(tf: Tf, type: string, idPrefix: string): string {
  const ids = resourcesOf(tf, type)
    .map(([id]) => id)
    .filter((id) => id.startsWith(idPrefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting ${idPrefix}, found ${ids.length}`);
  return ids[0];
}

/** `${type.<logical id>.<attr>}` of the one resource of `type` whose id starts with `idPrefix`. */
const ref = (tf: Tf, type: string, idPrefix: string, attr: string): string =>
  `\${${type}.${idOf(tf, type, idPrefix)}.${attr}}`;

const trail = (tf: Tf): Tf => findResource(tf, "aws_cloudtrail", "audit-trail");
const phiKeyArn = (tf: Tf): string => ref(tf, "aws_kms_key", "phi-key_", "arn");

/** A trust policy for an AWS service, pinned to this account. */
function serviceTrust(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TrustService",
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
    ],
  });
}

/**
 * Adds a compliant de-identification function on nodejs24.x: a KMS-encrypted SQS dead-letter queue
 * whose policy denies requests without TLS, reserved
 * concurrency, active tracing, environment variables encrypted with the PHI key, a KMS-encrypted log
 * group kept six years, an execution role trusting lambda.amazonaws.com from this account with a
 * narrowly scoped policy, and an invoke permission for the raw bucket only. No VPC (the shipped
 * params do not require one). Adds aws_lambda_function.deid, aws_sqs_queue.deid_dlq, aws_sqs_queue_policy.deid_dlq_policy,
 * aws_cloudwatch_log_group.deid_logs, aws_iam_role.deid_role, aws_iam_role_policy.deid_policy and
 * aws_lambda_permission.deid_invoke.
 */
export function addCompliantLambda(tf: Tf): void {
  const key = phiKeyArn(tf);
  addResource(tf, "aws_sqs_queue", "deid_dlq", {
    name: "imgsec-deid-dlq",
    kms_master_key_id: key,
    message_retention_seconds: 1209600,
  });
  addResource(tf, "aws_sqs_queue_policy", "deid_dlq_policy", {
    queue_url: "${aws_sqs_queue.deid_dlq.url}",
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:*",
          Resource: "${aws_sqs_queue.deid_dlq.arn}",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    }),
  });
  addResource(tf, "aws_cloudwatch_log_group", "deid_logs", {
    name: "/aws/lambda/imgsec-deid",
    kms_key_id: key,
    retention_in_days: 2192,
  });
  addResource(tf, "aws_iam_role", "deid_role", {
    name_prefix: "imgsec-deid-",
    assume_role_policy: serviceTrust("lambda.amazonaws.com"),
  });
  addResource(tf, "aws_iam_role_policy", "deid_policy", {
    role: "${aws_iam_role.deid_role.id}",
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: "${aws_cloudwatch_log_group.deid_logs.arn}:*",
        },
        {
          Sid: "DeadLetters",
          Effect: "Allow",
          Action: "sqs:SendMessage",
          Resource: "${aws_sqs_queue.deid_dlq.arn}",
        },
        {
          Sid: "ReadRaw",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: `${ref(tf, "aws_s3_bucket", "raw_bucket", "arn")}/*`,
        },
        {
          Sid: "WriteProcessed",
          Effect: "Allow",
          Action: "s3:PutObject",
          Resource: `${ref(tf, "aws_s3_bucket", "processed_bucket", "arn")}/*`,
        },
        {
          Sid: "UsePhiKey",
          Effect: "Allow",
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: key,
        },
        {
          Sid: "Tracing",
          Effect: "Allow",
          Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
          Resource: "*",
        },
      ],
    }),
  });
  addResource(tf, "aws_lambda_function", "deid", {
    function_name: "imgsec-deid",
    role: "${aws_iam_role.deid_role.arn}",
    handler: "index.handler",
    runtime: "nodejs24.x",
    filename: "deid.zip",
    timeout: 60,
    reserved_concurrent_executions: 5,
    dead_letter_config: { target_arn: "${aws_sqs_queue.deid_dlq.arn}" },
    tracing_config: { mode: "Active" },
    environment: {
      variables: { PROCESSED_BUCKET: ref(tf, "aws_s3_bucket", "processed_bucket", "bucket") },
    },
    kms_key_arn: key,
    depends_on: ["aws_cloudwatch_log_group.deid_logs", "aws_iam_role_policy.deid_policy"],
  });
  addResource(tf, "aws_lambda_permission", "deid_invoke", {
    statement_id: "AllowRawBucket",
    action: "lambda:InvokeFunction",
    function_name: "${aws_lambda_function.deid.function_name}",
    principal: "s3.amazonaws.com",
    source_arn: ref(tf, "aws_s3_bucket", "raw_bucket", "arn"),
    source_account: ACCOUNT,
  });
}

/**
 * Adds a compliant state machine: logging level ALL without execution data to a KMS-encrypted log
 * group kept six years, X-Ray tracing, execution data encrypted with the PHI key, and a role trusting states.amazonaws.com from this account
 * with only the log-delivery and X-Ray actions (which AWS requires on "*"). Adds
 * aws_sfn_state_machine.pipeline, aws_cloudwatch_log_group.pipeline_sfn_logs,
 * aws_iam_role.pipeline_sfn_role and aws_iam_role_policy.pipeline_sfn_policy.
 */
export function addCompliantStateMachine(tf: Tf): void {
  addResource(tf, "aws_cloudwatch_log_group", "pipeline_sfn_logs", {
    name: "/aws/vendedlogs/states/imgsec-pipeline",
    kms_key_id: phiKeyArn(tf),
    retention_in_days: 2192,
  });
  addResource(tf, "aws_iam_role", "pipeline_sfn_role", {
    name_prefix: "imgsec-pipeline-",
    assume_role_policy: serviceTrust("states.amazonaws.com"),
  });
  addResource(tf, "aws_iam_role_policy", "pipeline_sfn_policy", {
    role: "${aws_iam_role.pipeline_sfn_role.id}",
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DeliverLogs",
          Effect: "Allow",
          Action: [
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
          ],
          Resource: "*",
        },
        {
          Sid: "Tracing",
          Effect: "Allow",
          Action: [
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
          ],
          Resource: "*",
        },
      ],
    }),
  });
  addResource(tf, "aws_sfn_state_machine", "pipeline", {
    name: "imgsec-pipeline",
    role_arn: "${aws_iam_role.pipeline_sfn_role.arn}",
    definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Pass", End: true } } }),
    logging_configuration: {
      level: "ALL",
      include_execution_data: false,
      log_destination: "${aws_cloudwatch_log_group.pipeline_sfn_logs.arn}:*",
    },
    tracing_configuration: { enabled: true },
    encryption_configuration: { type: "CUSTOMER_MANAGED_KMS_KEY", kms_key_id: phiKeyArn(tf) },
  });
}

const lambda = (tf: Tf): Tf => tf.resource.aws_lambda_function.deid;
const stateMachine = (tf: Tf): Tf => tf.resource.aws_sfn_state_machine.pipeline;

/** The basic event selector's S3 data resource of the trail. */
const s3DataResource = (tf: Tf): Tf =>
  trail(tf).event_selector[0].data_resource.find((d: Tf) => d.type === "AWS::S3::Object");

const withoutRaw = (values: string[]): string[] =>
  values.filter((v) => !/-raw-.*-us-east-1\/$/.test(v));

export const mutations: ParamMutation[] = [
  // ---- CloudTrail ----------------------------------------------------------------------------
  {
    rule: "IMGSEC-CT-001",
    what: "the audit trail records only its home region",
    resource: TRAIL,
    apply(tf) {
      trail(tf).is_multi_region_trail = false;
    },
  },
  {
    rule: "IMGSEC-CT-002",
    what: "the audit trail stops writing signed digest files",
    resource: TRAIL,
    apply(tf) {
      trail(tf).enable_log_file_validation = false;
    },
  },
  {
    rule: "IMGSEC-CT-003",
    what: "the audit trail no longer encrypts its log files with the PHI key",
    resource: TRAIL,
    apply(tf) {
      delete trail(tf).kms_key_id;
    },
  },
  {
    rule: "IMGSEC-CT-004",
    what: "the audit trail no longer delivers to its CloudWatch Logs group",
    resource: TRAIL,
    apply(tf) {
      delete trail(tf).cloud_watch_logs_group_arn;
    },
  },
  {
    rule: "IMGSEC-CT-004",
    what: "the audit trail has no role to deliver to CloudWatch Logs",
    resource: TRAIL,
    apply(tf) {
      delete trail(tf).cloud_watch_logs_role_arn;
    },
  },
  {
    rule: "IMGSEC-CT-005",
    what: "the raw bucket is dropped from the trail's S3 data event selector",
    resource: RAW_BUCKET,
    apply(tf) {
      const d = s3DataResource(tf);
      d.values = withoutRaw(d.values);
    },
  },
  {
    rule: "IMGSEC-CT-005",
    what: "the trail records only S3 data writes, not reads",
    alsoFails: ["IMGSEC-CT-006"],
    resource: /^aws_s3_bucket\.(raw|processed|audit)_bucket_/,
    apply(tf) {
      trail(tf).event_selector[0].read_write_type = "WriteOnly";
    },
  },
  {
    rule: "IMGSEC-CT-005",
    what: "the only trail recording data events has logging turned off",
    alsoFails: ["IMGSEC-CT-006"],
    resource: /^aws_s3_bucket\.(raw|processed|audit)_bucket_/,
    apply(tf) {
      trail(tf).enable_logging = false;
    },
  },
  {
    rule: "IMGSEC-CT-005",
    stack: "imgsec-prod",
    what: "the raw replica bucket (us-west-2) is dropped from the trail's data event selector",
    resource: RAW_REPLICA_BUCKET,
    apply(tf) {
      const d = s3DataResource(tf);
      d.values = d.values.filter((v: string) => !/-raw-.*-us-west-2\/$/.test(v));
    },
  },
  {
    rule: "IMGSEC-CT-005",
    what: "advanced event selectors replace the basic one but exclude the raw bucket",
    resource: RAW_BUCKET,
    apply(tf) {
      const t = trail(tf);
      const values: string[] = s3DataResource(tf).values;
      delete t.event_selector;
      t.advanced_event_selector = [
        {
          name: "Management",
          field_selector: [{ field: "eventCategory", equals: ["Management"] }],
        },
        {
          name: "PhiObjects",
          field_selector: [
            { field: "eventCategory", equals: ["Data"] },
            { field: "resources.type", equals: ["AWS::S3::Object"] },
            { field: "resources.ARN", starts_with: withoutRaw(values) },
          ],
        },
      ];
    },
  },

  // ---- CloudWatch and SNS ----------------------------------------------------------------------
  {
    rule: "IMGSEC-CW-001",
    what: "the pipeline log group loses its KMS key",
    resource: /^aws_cloudwatch_log_group\.monitoring_pipeline-logs_/,
    apply(tf) {
      delete findResource(tf, "aws_cloudwatch_log_group", "monitoring_pipeline-logs").kms_key_id;
    },
  },
  {
    rule: "IMGSEC-CW-002",
    what: "the CloudTrail log group keeps events for 90 days only",
    resource: /^aws_cloudwatch_log_group\.monitoring_trail-logs_/,
    apply(tf) {
      findResource(tf, "aws_cloudwatch_log_group", "monitoring_trail-logs").retention_in_days = 90;
    },
  },
  {
    rule: "IMGSEC-CW-003",
    what: "the root account usage alarm notifies no one",
    // The alarm is one of the CIS alarms: IMGSEC-CW-004 reports its class as unwatched too.
    alsoFails: ["IMGSEC-CW-004"],
    resource: /^aws_cloudwatch_metric_alarm\.monitoring_alarm-RootAccountUsage_/,
    apply(tf) {
      findResource(
        tf,
        "aws_cloudwatch_metric_alarm",
        "monitoring_alarm-RootAccountUsage",
      ).alarm_actions = [];
    },
  },
  {
    rule: "IMGSEC-CW-003",
    stack: "imgsec-prod",
    what: "the KMS key deletion alarm has its actions disabled",
    // The alarm is one of the CIS alarms: IMGSEC-CW-004 reports its class as unwatched too.
    alsoFails: ["IMGSEC-CW-004"],
    resource:
      /^aws_cloudwatch_metric_alarm\.monitoring_alarm-KmsKeyDisabledOrScheduledForDeletion_/,
    apply(tf) {
      findResource(tf, "aws_cloudwatch_metric_alarm", "monitoring_alarm-KmsKey").actions_enabled =
        false;
    },
  },
  {
    rule: "IMGSEC-SNS-001",
    what: "the security alarm topic is not encrypted with KMS",
    resource: /^aws_sns_topic\.monitoring_alarm-topic_/,
    apply(tf) {
      delete findResource(tf, "aws_sns_topic", "monitoring_alarm-topic").kms_master_key_id;
    },
  },

  // ---- Lambda (injected compliant function, then one attribute broken) -------------------------
  {
    rule: "IMGSEC-LMB-001",
    what: "a function without a dead-letter queue or failure destination",
    resource: LAMBDA,
    apply(tf) {
      addCompliantLambda(tf);
      delete lambda(tf).dead_letter_config;
    },
  },
  {
    rule: "IMGSEC-LMB-001",
    what: "a function whose event invoke config has only an on_success destination",
    resource: LAMBDA,
    apply(tf) {
      addCompliantLambda(tf);
      delete lambda(tf).dead_letter_config;
      addResource(tf, "aws_lambda_function_event_invoke_config", "deid_async", {
        function_name: "${aws_lambda_function.deid.function_name}",
        maximum_retry_attempts: 2,
        destination_config: { on_success: { destination: "${aws_sqs_queue.deid_dlq.arn}" } },
      });
    },
  },
  {
    rule: "IMGSEC-LMB-002",
    what: "a function without reserved concurrency",
    resource: LAMBDA,
    apply(tf) {
      addCompliantLambda(tf);
      delete lambda(tf).reserved_concurrent_executions;
    },
  },
  {
    rule: "IMGSEC-LMB-002",
    what: "a function with reserved concurrency 0 (disabled)",
    resource: LAMBDA,
    apply(tf) {
      addCompliantLambda(tf);
      lambda(tf).reserved_concurrent_executions = 0;
    },
  },
  {
    rule: "IMGSEC-LMB-003",
    what: "a function with PassThrough tracing",
    resource: LAMBDA,
    apply(tf) {
      addCompliantLambda(tf);
      lambda(tf).tracing_config = { mode: "PassThrough" };
    },
  },
  {
    rule: "IMGSEC-LMB-004",
    what: "a function with environment variables but no kms_key_arn",
    resource: LAMBDA,
    apply(tf) {
      addCompliantLambda(tf);
      delete lambda(tf).kms_key_arn;
    },
  },
  {
    rule: "IMGSEC-LMB-005",
    what: "an invoke permission for principal * without any source or organization condition",
    resource: /^aws_lambda_permission\.deid_invoke$/,
    apply(tf) {
      addCompliantLambda(tf);
      const p = tf.resource.aws_lambda_permission.deid_invoke;
      p.principal = "*";
      delete p.source_arn;
      delete p.source_account;
    },
  },
  {
    rule: "IMGSEC-LMB-005",
    what: "an invoke permission for s3.amazonaws.com without source_arn or source_account",
    resource: /^aws_lambda_permission\.deid_invoke$/,
    apply(tf) {
      addCompliantLambda(tf);
      const p = tf.resource.aws_lambda_permission.deid_invoke;
      delete p.source_arn;
      delete p.source_account;
    },
  },
  {
    rule: "IMGSEC-LMB-006",
    what: "a function outside any VPC when params.lambda_require_vpc is true",
    resource: LAMBDA,
    params: { lambda_require_vpc: true },
    apply(tf) {
      addCompliantLambda(tf);
    },
  },

  // ---- Step Functions (injected compliant state machine, then one attribute broken) -------------
  {
    rule: "IMGSEC-SFN-001",
    what: "a state machine that copies execution data (PHI) into its logs",
    resource: STATE_MACHINE,
    apply(tf) {
      addCompliantStateMachine(tf);
      stateMachine(tf).logging_configuration.include_execution_data = true;
    },
  },
  {
    rule: "IMGSEC-SFN-001",
    what: "a state machine that logs errors only",
    resource: STATE_MACHINE,
    apply(tf) {
      addCompliantStateMachine(tf);
      stateMachine(tf).logging_configuration.level = "ERROR";
    },
  },
  {
    rule: "IMGSEC-SFN-001",
    what: "a state machine that leaves include_execution_data to the default",
    resource: STATE_MACHINE,
    apply(tf) {
      addCompliantStateMachine(tf);
      delete stateMachine(tf).logging_configuration.include_execution_data;
    },
  },
  {
    rule: "IMGSEC-SFN-002",
    what: "a state machine without X-Ray tracing",
    resource: STATE_MACHINE,
    apply(tf) {
      addCompliantStateMachine(tf);
      stateMachine(tf).tracing_configuration = { enabled: false };
    },
  },

  // ---- IAM -------------------------------------------------------------------------------------
  {
    rule: "IMGSEC-IAM-001",
    what: "the trail log role's policy allows every action except S3, KMS and IAM on *",
    alsoFails: ["IMGSEC-IAM-005", "IMGSEC-IAM-008"],
    resource: /^aws_iam_role_policy\.audit-trail_logs-policy_/,
    apply(tf) {
      editPolicy(
        findResource(tf, "aws_iam_role_policy", "audit-trail_logs-policy"),
        "policy",
        (doc) => {
          doc.Statement.push({
            Sid: "Escalate",
            Effect: "Allow",
            NotAction: ["s3:*", "kms:*", "iam:*"],
            Resource: "*",
          });
        },
      );
    },
  },
  {
    rule: "IMGSEC-IAM-001",
    what: "the trail log role gets an inline policy allowing everything but S3, KMS and IAM on *",
    alsoFails: ["IMGSEC-IAM-005", "IMGSEC-IAM-008"],
    resource: /^aws_iam_role\.audit-trail_logs-role_/,
    apply(tf) {
      findResource(tf, "aws_iam_role", "audit-trail_logs-role").inline_policy = [
        {
          name: "break-glass",
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", NotAction: ["s3:*", "kms:*", "iam:*"], Resource: "*" }],
          }),
        },
      ];
    },
  },
  {
    rule: "IMGSEC-IAM-002",
    what: "the trail log role's policy grants s3:* on the raw bucket's objects",
    alsoFails: ["IMGSEC-IAM-005"],
    resource: /^aws_iam_role_policy\.audit-trail_logs-policy_/,
    apply(tf) {
      editPolicy(
        findResource(tf, "aws_iam_role_policy", "audit-trail_logs-policy"),
        "policy",
        (doc) => {
          doc.Statement.push({
            Sid: "RawAdmin",
            Effect: "Allow",
            Action: "s3:*",
            Resource: `arn:${PARTITION}:s3:::imgsec-dev-raw-${ACCOUNT}-us-east-1/*`,
          });
        },
      );
    },
  },
  {
    rule: "IMGSEC-IAM-002",
    what: "AmazonS3FullAccess is attached to the trail log role",
    alsoFails: ["IMGSEC-IAM-005"],
    resource: /^aws_iam_role_policy_attachment\.trail_s3_full$/,
    apply(tf) {
      addResource(tf, "aws_iam_role_policy_attachment", "trail_s3_full", {
        role: ref(tf, "aws_iam_role", "audit-trail_logs-role", "name"),
        policy_arn: `arn:${PARTITION}:iam::aws:policy/AmazonS3FullAccess`,
      });
    },
  },
  {
    rule: "IMGSEC-IAM-002",
    stack: "imgsec-prod",
    what: "the raw replication policy grants kms:* on the PHI key",
    alsoFails: ["IMGSEC-IAM-005"],
    resource: /^aws_iam_role_policy\.raw_replication-policy_/,
    apply(tf) {
      editPolicy(
        findResource(tf, "aws_iam_role_policy", "raw_replication-policy"),
        "policy",
        (doc) => {
          const s = doc.Statement.find((st: Tf) => st.Sid === "DecryptSource");
          if (!s) throw new Error("no DecryptSource statement in the raw replication policy");
          s.Action = "kms:*";
        },
      );
    },
  },
  {
    rule: "IMGSEC-IAM-003",
    what: "the trail log role trusts every AWS principal (SourceArn is no account pin)",
    resource: /^aws_iam_role\.audit-trail_logs-role_/,
    apply(tf) {
      editPolicy(
        findResource(tf, "aws_iam_role", "audit-trail_logs-role"),
        "assume_role_policy",
        (doc) => {
          doc.Statement[0].Principal = { AWS: "*" };
        },
      );
    },
  },
  {
    rule: "IMGSEC-IAM-003",
    stack: "imgsec-prod",
    what: "a replication role trusts * with a wildcard organization condition",
    resource: /^aws_iam_role\.raw_replication-role_/,
    apply(tf) {
      editPolicy(
        findResource(tf, "aws_iam_role", "raw_replication-role"),
        "assume_role_policy",
        (doc) => {
          doc.Statement[0].Principal = "*";
          doc.Statement[0].Condition = { StringLike: { "aws:PrincipalOrgID": "o-*" } };
        },
      );
    },
  },
];
