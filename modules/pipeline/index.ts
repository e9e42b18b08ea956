/**
 * The imaging pipeline in AWS: one Lambda function runs the per-object job (de-identify, encrypt,
 * audit, route), a Standard state machine runs it for every object created under the raw bucket's
 * incoming prefix (S3 → EventBridge → Step Functions), and a second one backfills a prefix with a
 * Distributed Map. Every default is the strict setting; see modules/pipeline/README.md.
 */
import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretPolicy } from "@cdktf/provider-aws/lib/secretsmanager-secret-policy";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { datasetIdProblem } from "../../handlers/crypto/context";
import { ImgsecConfigError, requireInteger } from "../errors";
import { policyDocument, serviceTrustPolicy } from "../iam";
import { DEFAULT_LOG_RETENTION_DAYS, validateLogRetention } from "../monitoring";
import {
  BackfillItemSource,
  StateMachineDefinition,
  backfillDefinition,
  definitionProblems,
  processObjectDefinition,
} from "./asl";
import { LAMBDA_NODE_RUNTIME, LambdaBundle, bundleLambda } from "./bundle";
import { PipelineNetwork } from "./network";
import {
  PipelineArns,
  backfillStateMachineStatements,
  deadLetterQueuePolicyStatements,
  eventRuleStatements,
  functionPolicyStatements,
  keysSecretPolicyStatements,
  objectStateMachineStatements,
  signingKeyPolicyStatements,
} from "./policies";

export { LAMBDA_NODE_RUNTIME } from "./bundle";

/** A bucket the pipeline uses: a SecureBucket satisfies this. */
export interface PipelineBucket {
  readonly bucketName: string;
  readonly arn: string;
  readonly bucket: { readonly id: string };
}

export interface PipelineFunctionOptions {
  /** MiB, 128-10240. Default 2048: the job's memory is bounded (about 130 MiB measured on 512 MB
   * objects), so memory buys CPU: 1769 MiB is one full vCPU, and the pixel digest runs in a
   * worker thread beside the main one. */
  readonly memorySize?: number;
  /** /tmp in MiB, 512-10240. Default 2048: the de-identified object is spooled there (wiped after
   * each object) before it is encrypted, so twice the largest expected object fits. */
  readonly ephemeralStorageSize?: number;
  /** Seconds, 1-900. Default 300: a 1 GB multi-frame object is well under a minute at the measured
   * rates; the rest is headroom for KMS and S3 retries. */
  readonly timeoutSeconds?: number;
  /** Reserved concurrency, at least 1. Default 20: caps concurrent access to PHI and the KMS and S3
   * request rates; the backfill's MaxConcurrency is derived from it. */
  readonly reservedConcurrency?: number;
}

export interface PipelineBackfillOptions {
  /** Objects per invocation (ItemBatcher MaxItemsPerBatch), 1-100. Default 10: one audit seal
   * (one KMS Sign) per batch. */
  readonly maxItemsPerBatch?: number;
  /** Percentage of failed items the backfill tolerates before it fails, 0-100. Default 0. */
  readonly toleratedFailurePercentage?: number;
  /** Share of the reserved concurrency the backfill may use, above 0 and at most 1. Default 0.8:
   * the rest stays free for steady traffic. */
  readonly concurrencyShare?: number;
  /** Default: a listing of a prefix under the incoming prefix. */
  readonly itemSource?:
    | { readonly kind: "prefix-listing" }
    | {
        readonly kind: "inventory-manifest";
        readonly bucketName: string;
        readonly bucketArn: string;
        /** Where the inventory manifests and files are, e.g. "inventory/" (ends with "/"). */
        readonly prefix: string;
      };
}

export interface PipelinePrefixes {
  /** Under the raw bucket: objects created here are processed. Default "incoming/". */
  readonly incoming?: string;
  /** Under the raw bucket: quarantined objects, with a PHI-free reason. Default "quarantine/". */
  readonly quarantine?: string;
  /** Under the processed bucket: encrypted packages. Default "packages/". */
  readonly processed?: string;
  /** Under the audit bucket: the functions' checkpoint-signed audit segments. Default "audit/". */
  readonly audit?: string;
  /** Under the audit bucket: the backfill's ResultWriter output. Default "backfill-results/". */
  readonly backfillResults?: string;
}

export interface PipelineVpcOptions {
  /** IPv4 CIDR of the pipeline's VPC; default 10.42.0.0/16. */
  readonly cidrBlock?: string;
  /** Private subnets, one per availability zone: 2 (default) or 3. */
  readonly availabilityZoneCount?: number;
}

export interface ImagingPipelineProps {
  readonly namePrefix: string;
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  /** The customer managed PHI key: package data keys, SSE-KMS, the queue, the secret, the logs and
   * the state machines' execution data. */
  readonly kmsKeyArn: string;
  readonly rawBucket: PipelineBucket;
  readonly processedBucket: PipelineBucket;
  readonly auditBucket: PipelineBucket;
  /** The function's entry point (exports `handler`), relative to the project root. */
  readonly handlerEntry: string;
  /** The dataset id packages are encrypted for (`imgsec:dataset`); the KMS grant is bound to it. */
  readonly dataset: string;
  /** Where the function logs (JSON); default: a new KMS-encrypted log group. */
  readonly functionLogGroup?: { readonly name: string; readonly arn: string };
  /** Days, at least 365 and a CloudWatch value; default 2192. */
  readonly logRetentionDays?: number;
  /** Every alarm's action (the Monitoring topic). At least one. */
  readonly alarmActions: string[];
  readonly function?: PipelineFunctionOptions;
  readonly backfill?: PipelineBackfillOptions;
  readonly prefixes?: PipelinePrefixes;
  /** Run the function in a VPC with endpoints and no NAT. Off by default. */
  readonly vpc?: PipelineVpcOptions;
  /** Days before a scheduled deletion of the signing key takes effect: 7-30, default 30. */
  readonly signingKeyDeletionWindowDays?: number;
}

/** Why the keys secret is not rotated; the Secrets Manager rule reports it as a named relaxation. */
export const KEYS_SECRET_ROTATION_EXEMPTION =
  "pseudonymization key: rotating it breaks pseudonym linkage across studies";

/** The names and ARNs the pipeline's resources will have: the PHI key's policy names the rule
 * before the pipeline exists. */
export function pipelineNames(p: {
  namePrefix: string;
  partition: string;
  region: string;
  accountId: string;
}) {
  const arn = (service: string, resource: string) =>
    `arn:${p.partition}:${service}:${p.region}:${p.accountId}:${resource}`;
  const objectMachineName = `${p.namePrefix}-process-object`;
  const backfillMachineName = `${p.namePrefix}-backfill`;
  const ruleName = `${p.namePrefix}-object-created`;
  return {
    functionName: `${p.namePrefix}-process-object`,
    objectMachineName,
    backfillMachineName,
    ruleName,
    objectMachineArn: arn("states", `stateMachine:${objectMachineName}`),
    backfillMachineArn: arn("states", `stateMachine:${backfillMachineName}`),
    ruleArn: arn("events", `rule/${ruleName}`),
  };
}

const PREFIX = /^[a-z0-9][a-z0-9/_.-]{0,62}\/$/;

export interface ResolvedPipelineSettings {
  readonly memorySize: number;
  readonly ephemeralStorageSize: number;
  readonly timeoutSeconds: number;
  readonly reservedConcurrency: number;
  readonly maxItemsPerBatch: number;
  readonly toleratedFailurePercentage: number;
  readonly backfillMaxConcurrency: number;
  readonly logRetentionDays: number;
  readonly prefixes: Required<PipelinePrefixes>;
}

/** Checks every option and fills in the defaults; throws one line naming the setting. */
export function resolvePipelineSettings(props: ImagingPipelineProps): ResolvedPipelineSettings {
  const f = props.function ?? {};
  const b = props.backfill ?? {};
  const memorySize = f.memorySize ?? 2048;
  requireInteger("pipeline function memorySize", memorySize, 128, 10240);
  const ephemeralStorageSize = f.ephemeralStorageSize ?? 2048;
  requireInteger("pipeline function ephemeralStorageSize", ephemeralStorageSize, 512, 10240);
  const timeoutSeconds = f.timeoutSeconds ?? 300;
  requireInteger("pipeline function timeoutSeconds", timeoutSeconds, 1, 900);
  const reservedConcurrency = f.reservedConcurrency ?? 20;
  requireInteger("pipeline function reservedConcurrency", reservedConcurrency, 1, 10000);
  const maxItemsPerBatch = b.maxItemsPerBatch ?? 10;
  requireInteger("pipeline backfill maxItemsPerBatch", maxItemsPerBatch, 1, 100);
  const toleratedFailurePercentage = b.toleratedFailurePercentage ?? 0;
  requireInteger(
    "pipeline backfill toleratedFailurePercentage",
    toleratedFailurePercentage,
    0,
    100,
  );
  const share = b.concurrencyShare ?? 0.8;
  if (!(share > 0 && share <= 1)) {
    throw new ImgsecConfigError(
      `pipeline backfill concurrencyShare must be above 0 and at most 1; got ${String(share)}`,
    );
  }
  const logRetentionDays = props.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
  validateLogRetention(logRetentionDays);
  const given = props.prefixes ?? {};
  const prefixes: Required<PipelinePrefixes> = {
    incoming: given.incoming ?? "incoming/",
    quarantine: given.quarantine ?? "quarantine/",
    processed: given.processed ?? "packages/",
    audit: given.audit ?? "audit/",
    backfillResults: given.backfillResults ?? "backfill-results/",
  };
  for (const [name, prefix] of Object.entries(prefixes)) {
    if (!PREFIX.test(prefix)) {
      throw new ImgsecConfigError(
        `pipeline prefix ${name} "${prefix}" must be lowercase letters, digits, '/', '_', '.' or '-', ending with '/'`,
      );
    }
  }
  const nested = (a: string, b2: string) => a.startsWith(b2) || b2.startsWith(a);
  // A quarantined copy under the incoming prefix would be processed again, forever.
  if (nested(prefixes.incoming, prefixes.quarantine)) {
    throw new ImgsecConfigError(
      `pipeline prefixes incoming ("${prefixes.incoming}") and quarantine ("${prefixes.quarantine}") must not contain one another`,
    );
  }
  if (nested(prefixes.audit, prefixes.backfillResults)) {
    throw new ImgsecConfigError(
      `pipeline prefixes audit ("${prefixes.audit}") and backfillResults ("${prefixes.backfillResults}") must not contain one another`,
    );
  }
  const problem = datasetIdProblem(props.dataset);
  if (problem) throw new ImgsecConfigError(`pipeline dataset: ${problem}`);
  if (props.alarmActions.length === 0) {
    throw new ImgsecConfigError("pipeline alarmActions: at least one alarm action is required");
  }
  return {
    memorySize,
    ephemeralStorageSize,
    timeoutSeconds,
    reservedConcurrency,
    maxItemsPerBatch,
    toleratedFailurePercentage,
    backfillMaxConcurrency: Math.max(1, Math.floor(reservedConcurrency * share)),
    logRetentionDays,
    prefixes,
  };
}

/**
 * The pipeline: the processing function with its role, bundle, log group and dead-letter handling;
 * the audit signing key; the keys secret; the dead-letter queue; the steady-traffic and backfill
 * state machines with their roles and logs; the S3 → EventBridge wiring; the alarms; and, in VPC
 * mode, the network.
 */
export class ImagingPipeline extends Construct {
  public readonly settings: ResolvedPipelineSettings;
  public readonly bundle: LambdaBundle;
  public readonly function: LambdaFunction;
  public readonly functionRole: IamRole;
  public readonly signingKey: KmsKey;
  public readonly keysSecret: SecretsmanagerSecret;
  public readonly deadLetterQueue: SqsQueue;
  public readonly objectStateMachine: SfnStateMachine;
  public readonly backfillStateMachine: SfnStateMachine;
  public readonly objectDefinition: StateMachineDefinition;
  public readonly backfillDefinition: StateMachineDefinition;
  public readonly eventRule: CloudwatchEventRule;
  public readonly alarms: CloudwatchMetricAlarm[] = [];
  public readonly network?: PipelineNetwork;

  constructor(scope: Construct, id: string, props: ImagingPipelineProps) {
    super(scope, id);
    const s = resolvePipelineSettings(props);
    this.settings = s;
    const { namePrefix: prefix, partition, region, accountId, kmsKeyArn } = props;
    const arn = (service: string, resource: string) =>
      `arn:${partition}:${service}:${region}:${accountId}:${resource}`;
    // Named before they exist, so roles and key policies can name them without cycles.
    const names = pipelineNames(props);
    const { functionName, objectMachineName, backfillMachineName, ruleName, ruleArn } = names;
    const objectMachineArn = names.objectMachineArn;
    const backfillMachineArn = names.backfillMachineArn;

    this.bundle = bundleLambda({ entry: props.handlerEntry });
    const asset = new TerraformAsset(this, "function-code", {
      path: this.bundle.zipPath,
      type: AssetType.FILE,
      assetHash: this.bundle.sha256,
    });

    if (props.vpc) {
      this.network = new PipelineNetwork(this, "network", {
        namePrefix: prefix,
        accountId,
        partition,
        region,
        cidrBlock: props.vpc.cidrBlock,
        availabilityZoneCount: props.vpc.availabilityZoneCount,
        kmsKeyArn,
        logRetentionDays: s.logRetentionDays,
        bucketArns: [props.rawBucket.arn, props.processedBucket.arn, props.auditBucket.arn],
      });
    }

    this.functionRole = new IamRole(this, "function-role", {
      name: `${prefix}-pipeline-function`,
      description: "imgsec pipeline function: least privilege, see modules/pipeline/README.md",
      assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", undefined),
    });

    requireInteger(
      "pipeline signingKeyDeletionWindowDays",
      props.signingKeyDeletionWindowDays ?? 30,
      7,
      30,
    );
    this.signingKey = new KmsKey(this, "audit-signing-key", {
      description: `imgsec ${prefix}: audit checkpoint signatures (ECDSA P-256)`,
      customerMasterKeySpec: "ECC_NIST_P256",
      keyUsage: "SIGN_VERIFY",
      deletionWindowInDays: props.signingKeyDeletionWindowDays ?? 30,
      policy: policyDocument(
        signingKeyPolicyStatements({
          partition,
          accountId,
          signerRoleArns: [this.functionRole.arn],
        }),
      ),
    });
    new KmsAlias(this, "audit-signing-key-alias", {
      name: `alias/${prefix}-audit-signing`,
      targetKeyId: this.signingKey.keyId,
    });

    // The value (pseudonymization and audit HMAC keys) is put out of band, never in Terraform
    // state: see the README's `aws secretsmanager put-secret-value` step.
    this.keysSecret = new SecretsmanagerSecret(this, "keys-secret", {
      name: `${prefix}/pipeline/keys`,
      description: "imgsec pipeline: pseudonymization and audit HMAC keys (value set out of band)",
      kmsKeyId: kmsKeyArn,
      recoveryWindowInDays: 30,
      tags: { "imgsec:rotation-exempt": KEYS_SECRET_ROTATION_EXEMPTION },
    });
    new SecretsmanagerSecretPolicy(this, "keys-secret-policy", {
      secretArn: this.keysSecret.arn,
      blockPublicPolicy: true,
      policy: policyDocument(
        keysSecretPolicyStatements({ readerRoleArns: [this.functionRole.arn] }),
      ),
    });

    this.deadLetterQueue = new SqsQueue(this, "dead-letter-queue", {
      name: `${prefix}-pipeline-dlq`,
      kmsMasterKeyId: kmsKeyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      // The longest SQS keeps a message: two weeks to look at a failure and redrive it.
      messageRetentionSeconds: 1209600,
    });
    new SqsQueuePolicy(this, "dead-letter-queue-policy", {
      queueUrl: this.deadLetterQueue.url,
      policy: policyDocument(
        deadLetterQueuePolicyStatements({
          queueArn: this.deadLetterQueue.arn,
          eventRuleArn: ruleArn,
        }),
      ),
    });

    const functionLogGroup =
      props.functionLogGroup ??
      new CloudwatchLogGroup(this, "function-logs", {
        name: `/imgsec/${prefix}/pipeline-function`,
        kmsKeyId: kmsKeyArn,
        retentionInDays: s.logRetentionDays,
      });

    const backfillSource = props.backfill?.itemSource ?? { kind: "prefix-listing" as const };
    const arns: PipelineArns = {
      partition,
      region,
      accountId,
      phiKeyArn: kmsKeyArn,
      signingKeyArn: this.signingKey.arn,
      secretArn: this.keysSecret.arn,
      deadLetterQueueArn: this.deadLetterQueue.arn,
      functionArn: arn("lambda", `function:${functionName}`),
      functionRoleArn: this.functionRole.arn,
      functionLogGroupArn: functionLogGroup.arn,
      dataset: props.dataset,
      rawBucketArn: props.rawBucket.arn,
      incomingPrefix: s.prefixes.incoming,
      quarantinePrefix: s.prefixes.quarantine,
      processedBucketArn: props.processedBucket.arn,
      processedPrefix: s.prefixes.processed,
      auditBucketArn: props.auditBucket.arn,
      auditPrefix: s.prefixes.audit,
      backfillResultPrefix: s.prefixes.backfillResults,
      objectStateMachineArn: objectMachineArn,
      backfillStateMachineArn: backfillMachineArn,
      backfillExecutionsArn: arn("states", `execution:${backfillMachineName}`),
      eventRuleArn: ruleArn,
      vpc: this.network?.arns(partition, region, accountId),
      inventory:
        backfillSource.kind === "inventory-manifest"
          ? { bucketArn: backfillSource.bucketArn, prefix: backfillSource.prefix }
          : undefined,
    };

    const functionPolicy = new IamRolePolicy(this, "function-policy", {
      name: "least-privilege",
      role: this.functionRole.id,
      policy: policyDocument(functionPolicyStatements(arns)),
    });

    this.function = new LambdaFunction(this, "function", {
      functionName,
      description: "imgsec: de-identify, encrypt and audit objects (the per-object job)",
      role: this.functionRole.arn,
      runtime: LAMBDA_NODE_RUNTIME,
      architectures: ["arm64"],
      handler: this.bundle.handler,
      filename: asset.path,
      sourceCodeHash: this.bundle.sourceCodeHash,
      memorySize: s.memorySize,
      ephemeralStorage: { size: s.ephemeralStorageSize },
      timeout: s.timeoutSeconds,
      reservedConcurrentExecutions: s.reservedConcurrency,
      tracingConfig: { mode: "Active" },
      kmsKeyArn,
      // Names and ARNs only: key material comes from the secret at cold start.
      environment: {
        variables: {
          IMGSEC_RAW_BUCKET: props.rawBucket.bucketName,
          IMGSEC_INCOMING_PREFIX: s.prefixes.incoming,
          IMGSEC_QUARANTINE_PREFIX: s.prefixes.quarantine,
          IMGSEC_PROCESSED_BUCKET: props.processedBucket.bucketName,
          IMGSEC_PROCESSED_PREFIX: s.prefixes.processed,
          IMGSEC_AUDIT_S3: `s3://${props.auditBucket.bucketName}/${s.prefixes.audit}`,
          IMGSEC_AUDIT_SIGNING_KMS_KEY: this.signingKey.arn,
          IMGSEC_KMS_KEY_ARN: kmsKeyArn,
          IMGSEC_KEYS_SECRET_ARN: this.keysSecret.arn,
          IMGSEC_DATASET: props.dataset,
          POWERTOOLS_SERVICE_NAME: "imgsec-pipeline",
          POWERTOOLS_METRICS_NAMESPACE: `imgsec/${prefix}`,
        },
      },
      loggingConfig: {
        logFormat: "JSON",
        logGroup: functionLogGroup.name,
        applicationLogLevel: "INFO",
        systemLogLevel: "WARN",
      },
      vpcConfig: this.network && {
        subnetIds: this.network.subnets.map((n) => n.id),
        securityGroupIds: [this.network.functionSecurityGroup.id],
      },
      dependsOn: [functionPolicy],
    });
    // Step Functions invokes synchronously (Retry/Catch handle failures); an asynchronous
    // invocation that still fails lands in the dead-letter queue.
    new LambdaFunctionEventInvokeConfig(this, "function-async-failures", {
      functionName: this.function.functionName,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 3600,
      destinationConfig: { onFailure: { destination: this.deadLetterQueue.arn } },
    });

    const invoke = {
      partition,
      functionArn: this.function.arn,
      functionTimeoutSeconds: s.timeoutSeconds,
    };
    this.objectDefinition = processObjectDefinition({
      ...invoke,
      deadLetterQueueUrl: this.deadLetterQueue.url,
    });
    const itemSource: BackfillItemSource =
      backfillSource.kind === "inventory-manifest"
        ? { kind: "inventory-manifest", bucketName: backfillSource.bucketName }
        : { kind: "prefix-listing" };
    this.backfillDefinition = backfillDefinition({
      ...invoke,
      rawBucketName: props.rawBucket.bucketName,
      incomingPrefix: s.prefixes.incoming,
      itemSource,
      maxItemsPerBatch: s.maxItemsPerBatch,
      maxConcurrency: s.backfillMaxConcurrency,
      toleratedFailurePercentage: s.toleratedFailurePercentage,
      resultBucketName: props.auditBucket.bucketName,
      resultPrefix: s.prefixes.backfillResults,
      deadLetterQueueUrl: this.deadLetterQueue.url,
    });
    this.objectStateMachine = this.stateMachine("object", {
      name: objectMachineName,
      arn: objectMachineArn,
      definition: this.objectDefinition,
      statements: objectStateMachineStatements(arns),
      props,
      retention: s.logRetentionDays,
    });
    this.backfillStateMachine = this.stateMachine("backfill", {
      name: backfillMachineName,
      arn: backfillMachineArn,
      definition: this.backfillDefinition,
      statements: backfillStateMachineStatements(arns),
      props,
      retention: s.logRetentionDays,
    });

    // S3 → EventBridge → one execution per object created under the incoming prefix.
    new S3BucketNotification(this, "raw-bucket-events", {
      bucket: props.rawBucket.bucket.id,
      eventbridge: true,
    });
    this.eventRule = new CloudwatchEventRule(this, "object-created", {
      name: ruleName,
      description: "imgsec: objects created under the raw bucket's incoming prefix",
      state: "ENABLED",
      eventPattern: JSON.stringify({
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: {
          bucket: { name: [props.rawBucket.bucketName] },
          object: { key: [{ prefix: s.prefixes.incoming }] },
        },
      }),
    });
    const eventsRole = new IamRole(this, "events-role", {
      name: `${prefix}-pipeline-events`,
      assumeRolePolicy: serviceTrustPolicy("events.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": accountId, "aws:SourceArn": ruleArn },
      }),
    });
    const eventsPolicy = new IamRolePolicy(this, "events-policy", {
      name: "least-privilege",
      role: eventsRole.id,
      policy: policyDocument(eventRuleStatements(arns)),
    });
    new CloudwatchEventTarget(this, "object-created-target", {
      rule: this.eventRule.name,
      targetId: "process-object",
      arn: this.objectStateMachine.arn,
      roleArn: eventsRole.arn,
      // The execution's input is the object's reference, nothing else from the event.
      inputTransformer: {
        inputPaths: {
          bucket: "$.detail.bucket.name",
          key: "$.detail.object.key",
          versionId: "$.detail.object.version-id",
        },
        inputTemplate: '{"bucket": <bucket>, "key": <key>, "versionId": <versionId>}',
      },
      deadLetterConfig: { arn: this.deadLetterQueue.arn },
      retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
      dependsOn: [eventsPolicy],
    });

    this.addAlarms(prefix, props.alarmActions);
  }

  private stateMachine(
    kind: "object" | "backfill",
    p: {
      name: string;
      arn: string;
      definition: StateMachineDefinition;
      statements: ReturnType<typeof objectStateMachineStatements>;
      props: ImagingPipelineProps;
      retention: number;
    },
  ): SfnStateMachine {
    const problems = definitionProblems(p.definition);
    if (problems.length) throw new ImgsecConfigError(`${p.name} definition: ${problems[0]}`);
    const { partition, region, accountId } = p.props;
    const logs = new CloudwatchLogGroup(this, `${kind}-machine-logs`, {
      // The /aws/vendedlogs/ prefix keeps CloudWatch's log resource policy small.
      name: `/aws/vendedlogs/states/${p.name}`,
      kmsKeyId: p.props.kmsKeyArn,
      retentionInDays: p.retention,
    });
    const role = new IamRole(this, `${kind}-machine-role`, {
      name: `${p.name}-machine`,
      assumeRolePolicy: serviceTrustPolicy("states.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": accountId },
        ArnLike: { "aws:SourceArn": `arn:${partition}:states:${region}:${accountId}:*` },
      }),
    });
    // Created before the state machine: Step Functions checks log delivery and KMS access then.
    const policy = new IamRolePolicy(this, `${kind}-machine-policy`, {
      name: "least-privilege",
      role: role.id,
      policy: policyDocument(p.statements),
    });
    return new SfnStateMachine(this, `${kind}-machine`, {
      name: p.name,
      type: "STANDARD",
      roleArn: role.arn,
      definition: JSON.stringify(p.definition),
      loggingConfiguration: {
        level: "ALL",
        // Execution data would copy inputs and outputs into the logs.
        includeExecutionData: false,
        logDestination: `${logs.arn}:*`,
      },
      tracingConfiguration: { enabled: true },
      encryptionConfiguration: {
        type: "CUSTOMER_MANAGED_KMS_KEY",
        kmsKeyId: p.props.kmsKeyArn,
        kmsDataKeyReusePeriodSeconds: 300,
      },
      dependsOn: [policy],
    });
  }

  private addAlarms(prefix: string, actions: string[]): void {
    const alarm = (
      name: string,
      description: string,
      metric: {
        namespace: string;
        metricName: string;
        dimensions: Record<string, string>;
        statistic: "Sum" | "Maximum";
      },
      evaluationPeriods = 1,
    ) =>
      this.alarms.push(
        new CloudwatchMetricAlarm(this, `alarm-${name}`, {
          alarmName: `${prefix}-${name}`,
          alarmDescription: description,
          ...metric,
          period: 300,
          evaluationPeriods,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          actionsEnabled: true,
          alarmActions: actions,
        }),
      );
    const fn = { FunctionName: this.function.functionName };
    alarm("PipelineFunctionErrors", "The pipeline function returned errors", {
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: fn,
      statistic: "Sum",
    });
    alarm(
      "PipelineFunctionThrottles",
      "The pipeline function was throttled for 15 minutes in a row (reserved concurrency too low)",
      { namespace: "AWS/Lambda", metricName: "Throttles", dimensions: fn, statistic: "Sum" },
      3,
    );
    alarm("PipelineDeadLetters", "Failures are waiting in the pipeline's dead-letter queue", {
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: this.deadLetterQueue.name },
      statistic: "Maximum",
    });
    for (const [name, machine] of [
      ["ObjectExecutionsFailed", this.objectStateMachine],
      ["BackfillExecutionsFailed", this.backfillStateMachine],
    ] as const) {
      alarm(name, `Executions of ${machine.name} failed`, {
        namespace: "AWS/States",
        metricName: "ExecutionsFailed",
        dimensions: { StateMachineArn: machine.arn },
        statistic: "Sum",
      });
    }
  }
}
