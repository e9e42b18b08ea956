import { Construct } from "constructs";
import { S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { PhiKey } from "../modules/phi-key";
import { SecureBucket } from "../modules/secure-bucket";
import { AuditTrail, cloudTrailDeliveryStatements, trailArn } from "../modules/audit-trail";
import { Monitoring } from "../modules/monitoring";
import { ImagingPipeline, pipelineNames } from "../modules/pipeline";
import { EnvironmentConfig } from "./config";

export const PHI_BUCKET_PURPOSES = ["raw", "processed", "audit"] as const;
export type PhiBucketPurpose = (typeof PHI_BUCKET_PURPOSES)[number];

/** The pipeline function's entry point, relative to the project root. */
export const PIPELINE_HANDLER_ENTRY = "handlers/process-object.ts";

export interface ImagingPipelineStackOptions {
  /** Another entry point for the pipeline function (tests bundle a fixture). */
  readonly pipelineHandlerEntry?: string;
}

/**
 * The imaging pipeline for one environment: the PHI key, the raw, processed, audit and access-log
 * buckets, the audit trail, logging with alarms, and the Lambda and Step Functions pipeline that
 * runs the per-object job on them.
 */
export class ImagingPipelineStack extends TerraformStack {
  public readonly key: PhiKey;
  public readonly buckets: Record<PhiBucketPurpose, SecureBucket>;
  public readonly accessLogs: SecureBucket;
  public readonly trail: AuditTrail;
  public readonly monitoring: Monitoring;
  public readonly pipeline: ImagingPipeline;

  constructor(
    scope: Construct,
    id: string,
    config: EnvironmentConfig,
    options: ImagingPipelineStackOptions = {},
  ) {
    super(scope, id);
    const prefix = config.namePrefix;
    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [
        {
          tags: {
            ...config.tags,
            Project: "imgsec",
            Environment: config.name,
            DataClassification: "PHI",
          },
        },
      ],
    });
    if (config.remoteState) {
      const rs = config.remoteState;
      const backend = new S3Backend(this, {
        bucket: rs.bucket,
        key: rs.key,
        region: rs.region,
        encrypt: true,
        kmsKeyId: rs.kmsKeyId,
        dynamodbTable: rs.dynamodbTable,
      });
      // Terraform 1.10+ locks with a lock file beside the state when no DynamoDB table is named.
      if (!rs.dynamodbTable) backend.addOverride("use_lockfile", true);
    }

    const accountId = new DataAwsCallerIdentity(this, "caller").accountId;
    const partition = new DataAwsPartition(this, "partition").partition;
    const common = { accountId, partition, region: config.region };
    const bucketName = (purpose: string, region = config.region) =>
      `${prefix}-${purpose}-${accountId}-${region}`;
    const trailName = `${prefix}-audit-trail`;
    const trail = { ...common, trailName, s3KeyPrefix: "cloudtrail" };

    this.key = new PhiKey(this, "phi-key", {
      ...common,
      alias: `${prefix}-phi`,
      description: `imgsec ${config.name}: PHI images, audit records and logs`,
      deletionWindowInDays: config.kmsDeletionWindowDays,
      services: {
        s3: true,
        cloudwatchLogs: true,
        cloudtrailTrailArn: trailArn(trail),
        sns: true,
        eventBridgeRuleArns: [pipelineNames({ ...common, namePrefix: prefix }).ruleArn],
      },
    });

    const replicaSite = config.replication.enabled
      ? this.replicaSite(config, common, bucketName)
      : undefined;

    const sourceArns = PHI_BUCKET_PURPOSES.map((p) => `arn:${partition}:s3:::${bucketName(p)}`);
    this.accessLogs = new SecureBucket(this, "access-logs", {
      ...common,
      role: "access-log-target",
      bucketName: bucketName("access-logs"),
      lifecycle: config.lifecycle,
      logDeliverySourceBucketArns: sourceArns,
    });

    const dataBucket = (
      purpose: PhiBucketPurpose,
      extra: Partial<ConstructorParameters<typeof SecureBucket>[2]> = {},
    ) =>
      new SecureBucket(this, purpose, {
        ...common,
        bucketName: bucketName(purpose),
        kmsKeyArn: this.key.arn,
        accessLogs: { targetBucketName: this.accessLogs.bucket.id, targetPrefix: `${purpose}/` },
        lifecycle: config.lifecycle,
        replication: replicaSite && {
          region: config.replication.region,
          bucketName: bucketName(purpose, config.replication.region),
          kmsKeyArn: replicaSite.key.arn,
          accessLogsTargetBucketName: replicaSite.accessLogs.bucket.id,
        },
        replicationExemptReason: replicaSite ? undefined : config.replication.exemptReason,
        ...extra,
      });
    const raw = dataBucket("raw");
    const processed = dataBucket("processed");
    const auditArn = `arn:${partition}:s3:::${bucketName("audit")}`;
    const audit = dataBucket("audit", {
      objectLock: config.auditObjectLock,
      additionalPolicyStatements: cloudTrailDeliveryStatements(trail, auditArn),
    });
    this.buckets = { raw, processed, audit };

    this.monitoring = new Monitoring(this, "monitoring", {
      namePrefix: prefix,
      accountId,
      kmsKeyArn: this.key.arn,
      logRetentionDays: config.logRetentionDays,
      phiBucketNames: this.phiBuckets().map((b) => b.bucketName),
      alarmEmails: config.alarmEmails,
    });

    this.trail = new AuditTrail(this, "audit-trail", {
      ...trail,
      kmsKeyArn: this.key.arn,
      bucketName: audit.bucket.id,
      dataEventBucketArns: this.phiBuckets().map((b) => b.arn),
      logGroupName: this.monitoring.trailLogGroup.name,
      logGroupArn: this.monitoring.trailLogGroup.arn,
      dependsOn: [audit.policy],
    });

    const p = config.pipeline;
    this.pipeline = new ImagingPipeline(this, "pipeline", {
      ...common,
      namePrefix: prefix,
      kmsKeyArn: this.key.arn,
      rawBucket: raw,
      processedBucket: processed,
      auditBucket: audit,
      handlerEntry: options.pipelineHandlerEntry ?? PIPELINE_HANDLER_ENTRY,
      dataset: p.dataset ?? prefix,
      functionLogGroup: this.monitoring.pipelineLogGroup,
      logRetentionDays: config.logRetentionDays,
      alarmActions: [this.monitoring.topic.arn],
      function: {
        memorySize: p.memorySize,
        ephemeralStorageSize: p.ephemeralStorageSize,
        timeoutSeconds: p.timeoutSeconds,
        reservedConcurrency: p.reservedConcurrency,
      },
      backfill: p.backfill,
      vpc: p.vpc.enabled
        ? { cidrBlock: p.vpc.cidrBlock, availabilityZoneCount: p.vpc.availabilityZoneCount }
        : undefined,
      signingKeyDeletionWindowDays: config.kmsDeletionWindowDays,
    });

    new TerraformOutput(this, "phi_key_arn", { value: this.key.arn });
    new TerraformOutput(this, "raw_bucket", { value: raw.bucket.id });
    new TerraformOutput(this, "processed_bucket", { value: processed.bucket.id });
    new TerraformOutput(this, "audit_bucket", { value: audit.bucket.id });
    new TerraformOutput(this, "alarm_topic_arn", { value: this.monitoring.topic.arn });
    new TerraformOutput(this, "pipeline_function", { value: this.pipeline.function.functionName });
    new TerraformOutput(this, "pipeline_state_machine_arn", {
      value: this.pipeline.objectStateMachine.arn,
    });
    new TerraformOutput(this, "backfill_state_machine_arn", {
      value: this.pipeline.backfillStateMachine.arn,
    });
    new TerraformOutput(this, "dead_letter_queue_url", {
      value: this.pipeline.deadLetterQueue.url,
    });
    new TerraformOutput(this, "keys_secret_arn", { value: this.pipeline.keysSecret.arn });
    new TerraformOutput(this, "audit_signing_key_arn", { value: this.pipeline.signingKey.arn });
  }

  /** Every bucket that holds PHI or audit records, replicas included. */
  public phiBuckets(): SecureBucket[] {
    return Object.values(this.buckets).flatMap((b) => (b.replica ? [b, b.replica] : [b]));
  }

  /** The replica region's own key and access-log bucket: SSE-KMS keys and log targets are regional. */
  private replicaSite(
    config: EnvironmentConfig,
    common: { accountId: string; partition: string; region: string },
    bucketName: (purpose: string, region?: string) => string,
  ) {
    const region = config.replication.region;
    const site = { ...common, region, resourceRegion: region };
    const key = new PhiKey(this, "replica-phi-key", {
      ...site,
      alias: `${config.namePrefix}-phi-replica`,
      description: `imgsec ${config.name}: PHI replica key`,
      deletionWindowInDays: config.kmsDeletionWindowDays,
      services: { s3: true },
    });
    const accessLogs = new SecureBucket(this, "replica-access-logs", {
      ...site,
      role: "access-log-target",
      bucketName: bucketName("access-logs", region),
      lifecycle: config.lifecycle,
      logDeliverySourceBucketArns: PHI_BUCKET_PURPOSES.map(
        (p) => `arn:${common.partition}:s3:::${bucketName(p, region)}`,
      ),
    });
    return { key, accessLogs };
  }
}
