/**
 * A one-screen summary of what a synthesized stack declares, read back from its cdk.tf.json so
 * that it reports what Terraform will see, not what the code meant to write.
 */
type Block = Record<string, unknown>;
type Resources = Record<string, Record<string, Block>>;

export interface StackSummary {
  stack: string;
  file: string;
  region: string;
  backend: string;
  resourceCount: number;
  keys: {
    alias: string;
    /** SYMMETRIC_DEFAULT, or an asymmetric spec such as ECC_NIST_P256 (AWS cannot rotate those). */
    spec: string;
    rotation: boolean;
    deletionWindowDays: number;
    region: string;
  }[];
  buckets: {
    name: string;
    encryption: string;
    versioning: boolean;
    publicAccessBlocked: boolean;
    accessLogging: boolean;
    objectLock?: string;
    replicated: boolean;
  }[];
  trails: {
    name: string;
    multiRegion: boolean;
    logFileValidation: boolean;
    kms: boolean;
    dataEventBuckets: number;
  }[];
  logGroups: { name: string; retentionDays: number; kms: boolean }[];
  /** Every alarm; `pipeline` counts those on the pipeline's metrics (AWS/Lambda, AWS/States,
   * AWS/SQS), the rest watch the trail's security events. */
  alarms: { count: number; withActions: number; pipeline: number; pipelineWithActions: number };
  topicsEncrypted: string;
  pipeline: PipelineSummary;
  relaxed: string[];
}

export interface PipelineSummary {
  functions: {
    name: string;
    runtime: string;
    architecture: string;
    memoryMb: number;
    reservedConcurrency: number | null;
    tracing: boolean;
    environmentKms: boolean;
    vpc: boolean;
  }[];
  stateMachines: {
    name: string;
    type: string;
    logLevel: string;
    executionDataLogged: boolean;
    tracing: boolean;
    customerManagedKey: boolean;
  }[];
  queues: { name: string; customerManagedKey: boolean }[];
  secrets: { name: string; customerManagedKey: boolean; rotation: string }[];
  eventRules: number;
  vpcs: {
    flowLogs: boolean;
    defaultSecurityGroupClosed: boolean;
    endpoints: number;
    /** NAT and internet gateways in the stack: 0 means no way out but the endpoints. */
    gateways: number;
  }[];
}

const first = (v: unknown): Block => (Array.isArray(v) ? (v[0] as Block) : ((v as Block) ?? {}));
const pathOf = (b: Block) => String(((b["//"] as Block)?.metadata as Block)?.path ?? "");
/** "imgsec-dev/raw/replica/bucket" → "raw/replica"; without metadata, from the logical id
 * ("raw_replica_bucket_1A2B3C4D"), which cdktf builds from the same path. */
const constructPath = (b: Block, id: string) =>
  pathOf(b).split("/").slice(1, -1).join("/") ||
  id.replace(/_[a-z]+_[0-9A-F]{8}$/, "").replace(/_/g, "/");

export function summarizeStack(stack: string, file: string, tf: Block): StackSummary {
  const res = (tf.resource ?? {}) as Resources;
  const all = (type: string) => Object.entries(res[type] ?? {});
  const byBucketRef = (type: string) => {
    const m = new Map<string, Block>();
    for (const [, r] of all(type))
      m.set(String(r.bucket).replace(/^\$\{aws_s3_bucket\.([^.]+)\.id\}$/, "$1"), r);
    return m;
  };
  const sse = byBucketRef("aws_s3_bucket_server_side_encryption_configuration");
  const ver = byBucketRef("aws_s3_bucket_versioning");
  const pab = byBucketRef("aws_s3_bucket_public_access_block");
  const log = byBucketRef("aws_s3_bucket_logging");
  const lock = byBucketRef("aws_s3_bucket_object_lock_configuration");
  const rep = byBucketRef("aws_s3_bucket_replication_configuration");
  const relaxed: string[] = [];

  const buckets = all("aws_s3_bucket").map(([id, b]) => {
    const rule = first(first(sse.get(id)?.rule).apply_server_side_encryption_by_default);
    const p = pab.get(id) ?? {};
    const l = first(lock.get(id)?.rule);
    const retention = first(l.default_retention);
    const tags = (b.tags ?? {}) as Record<string, string>;
    if (tags["imgsec:relaxed"]) relaxed.push(`${constructPath(b, id)}: ${tags["imgsec:relaxed"]}`);
    return {
      name: constructPath(b, id),
      encryption:
        rule.sse_algorithm === "aws:kms"
          ? `SSE-KMS${first(sse.get(id)?.rule).bucket_key_enabled ? " + bucket key" : ""}`
          : rule.sse_algorithm === "AES256"
            ? "SSE-S3"
            : "none",
      versioning: first(ver.get(id)?.versioning_configuration).status === "Enabled",
      publicAccessBlocked: [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
      ].every((k) => p[k] === true),
      accessLogging: log.has(id),
      objectLock: b.object_lock_enabled ? `${retention.mode} ${retention.days} d` : undefined,
      replicated: rep.has(id),
    };
  });
  const provider = first(((tf.provider ?? {}) as Block).aws);
  const backendBlock = ((tf.terraform ?? {}) as Block).backend as Block | undefined;
  return {
    stack,
    file,
    region: String(provider.region ?? "?"),
    backend: backendBlock ? Object.keys(backendBlock)[0] : "local",
    resourceCount: Object.values(res).reduce((n, r) => n + Object.keys(r).length, 0),
    keys: all("aws_kms_key").map(([id, k]) => ({
      spec: String(k.customer_master_key_spec ?? k.key_spec ?? "SYMMETRIC_DEFAULT"),
      alias: String(
        all("aws_kms_alias").find(
          ([, a]) => a.target_key_id === `\${aws_kms_key.${id}.key_id}`,
        )?.[1].name ?? "(no alias)",
      ),
      rotation: k.enable_key_rotation === true,
      deletionWindowDays: Number(k.deletion_window_in_days),
      region: String(k.region ?? provider.region),
    })),
    buckets,
    trails: all("aws_cloudtrail").map(([, t]) => ({
      name: String(t.name),
      multiRegion: t.is_multi_region_trail === true,
      logFileValidation: t.enable_log_file_validation === true,
      kms: Boolean(t.kms_key_id),
      dataEventBuckets: ((t.event_selector as Block[]) ?? [])
        .flatMap((s) => (s.data_resource as Block[]) ?? [])
        .filter((d) => d.type === "AWS::S3::Object")
        .reduce((n, d) => n + ((d.values as string[]) ?? []).length, 0),
    })),
    logGroups: all("aws_cloudwatch_log_group").map(([, g]) => ({
      name: String(g.name),
      retentionDays: Number(g.retention_in_days),
      kms: Boolean(g.kms_key_id),
    })),
    alarms: alarmCounts(all("aws_cloudwatch_metric_alarm").map(([, a]) => a)),
    topicsEncrypted: `${all("aws_sns_topic").filter(([, t]) => t.kms_master_key_id).length}/${all("aws_sns_topic").length}`,
    pipeline: summarizePipeline(all),
    relaxed,
  };
}

const PIPELINE_NAMESPACES = ["AWS/Lambda", "AWS/States", "AWS/SQS"];

function alarmCounts(alarms: Block[]): StackSummary["alarms"] {
  const notifying = (a: Block) => ((a.alarm_actions as string[]) ?? []).length > 0;
  const pipeline = alarms.filter((a) => PIPELINE_NAMESPACES.includes(String(a.namespace)));
  return {
    count: alarms.length,
    withActions: alarms.filter(notifying).length,
    pipeline: pipeline.length,
    pipelineWithActions: pipeline.filter(notifying).length,
  };
}

/** A KMS key reference that names a key of the stack (not an AWS managed alias). */
const isStackKey = (v: unknown) => /^\$\{aws_kms_key\.[^.]+\.(arn|key_id|id)\}$/.test(String(v));

function summarizePipeline(all: (type: string) => [string, Block][]): PipelineSummary {
  const flowLogVpcs = new Set(all("aws_flow_log").map(([, f]) => String(f.vpc_id)));
  const closedDefaults = new Set(
    all("aws_default_security_group")
      .filter(([, g]) => !g.ingress && !g.egress)
      .map(([, g]) => String(g.vpc_id)),
  );
  const rotated = new Set(
    all("aws_secretsmanager_secret_rotation").map(([, r]) => String(r.secret_id)),
  );
  return {
    functions: all("aws_lambda_function").map(([, f]) => ({
      name: String(f.function_name),
      runtime: String(f.runtime),
      architecture: String(((f.architectures as string[]) ?? ["x86_64"])[0]),
      memoryMb: Number(f.memory_size ?? 128),
      reservedConcurrency:
        typeof f.reserved_concurrent_executions === "number"
          ? f.reserved_concurrent_executions
          : null,
      tracing: first(f.tracing_config).mode === "Active",
      environmentKms: Boolean(f.kms_key_arn),
      vpc: Boolean(first(f.vpc_config).subnet_ids),
    })),
    stateMachines: all("aws_sfn_state_machine").map(([, m]) => ({
      name: String(m.name),
      type: String(m.type ?? "STANDARD"),
      logLevel: String(first(m.logging_configuration).level ?? "OFF"),
      executionDataLogged: first(m.logging_configuration).include_execution_data !== false,
      tracing: first(m.tracing_configuration).enabled === true,
      customerManagedKey:
        first(m.encryption_configuration).type === "CUSTOMER_MANAGED_KMS_KEY" &&
        isStackKey(first(m.encryption_configuration).kms_key_id),
    })),
    queues: all("aws_sqs_queue").map(([, q]) => ({
      name: String(q.name),
      customerManagedKey: isStackKey(q.kms_master_key_id),
    })),
    secrets: all("aws_secretsmanager_secret").map(([id, sec]) => {
      const exempt = ((sec.tags ?? {}) as Record<string, string>)["imgsec:rotation-exempt"];
      return {
        name: String(sec.name),
        customerManagedKey: isStackKey(sec.kms_key_id),
        rotation: rotated.has(`\${aws_secretsmanager_secret.${id}.id}`)
          ? "rotated"
          : exempt
            ? `rotation exempt: ${exempt}`
            : "NOT rotated",
      };
    }),
    eventRules: all("aws_cloudwatch_event_rule").length,
    vpcs: all("aws_vpc").map(([id]) => ({
      flowLogs: flowLogVpcs.has(`\${aws_vpc.${id}.id}`),
      defaultSecurityGroupClosed: closedDefaults.has(`\${aws_vpc.${id}.id}`),
      endpoints: all("aws_vpc_endpoint").filter(([, e]) => e.vpc_id === `\${aws_vpc.${id}.id}`)
        .length,
      gateways: all("aws_nat_gateway").length + all("aws_internet_gateway").length,
    })),
  };
}

export function formatSummary(s: StackSummary): string {
  const yes = (b: boolean, label: string) => (b ? label : `NO ${label}`);
  const lines = [
    `${s.stack}  (${s.region}, ${s.resourceCount} resources, ${s.backend} state)  ${s.file}`,
    ...s.keys.map(
      (k) =>
        `  KMS key     ${k.alias} [${k.region}]: ${k.spec === "SYMMETRIC_DEFAULT" ? yes(k.rotation, "rotation") : `asymmetric ${k.spec} (AWS does not rotate these)`}, deletion window ${k.deletionWindowDays} d`,
    ),
    ...s.buckets.map((b) => {
      const bits = [
        b.encryption,
        yes(b.versioning, "versioned"),
        yes(b.publicAccessBlocked, "public access blocked"),
        yes(b.accessLogging, "access logged"),
      ];
      if (b.name.endsWith("access-logs")) bits[3] = "log target (SSE-S3: AWS refuses SSE-KMS here)";
      if (b.objectLock) bits.push(`Object Lock ${b.objectLock}`);
      if (b.replicated) bits.push("replicated");
      return `  Bucket      ${b.name.padEnd(21)} ${bits.join(", ")}`;
    }),
    ...s.trails.map(
      (t) =>
        `  CloudTrail  ${t.name}: ${yes(t.multiRegion, "multi-region")}, ${yes(t.logFileValidation, "log file validation")}, ${yes(t.kms, "KMS")}, S3 data events on ${t.dataEventBuckets} buckets`,
    ),
    `  Logs        ${s.logGroups.length} log groups, ${s.logGroups.filter((g) => g.kms).length} KMS-encrypted, retention ${[...new Set(s.logGroups.map((g) => g.retentionDays))].join("/")} d`,
    `  Alarms      ${s.alarms.count - s.alarms.pipeline} alarms, ${s.alarms.withActions - s.alarms.pipelineWithActions} notify the SNS topic (${s.topicsEncrypted} topics KMS-encrypted)${s.alarms.pipeline ? `, and ${s.alarms.pipeline} pipeline alarms, ${s.alarms.pipelineWithActions} notify it` : ""}`,
    ...formatPipeline(s.pipeline),
    `  Relaxed     ${s.relaxed.length ? s.relaxed.join("; ") : "none (strict defaults)"}`,
  ];
  return lines.join("\n");
}

function formatPipeline(p: PipelineSummary): string[] {
  const yes = (b: boolean, label: string) => (b ? label : `NO ${label}`);
  const lines = p.functions.map(
    (f) =>
      `  Lambda      ${f.name}: ${f.runtime} ${f.architecture}, ${f.memoryMb} MB, ${f.reservedConcurrency === null ? "NO reserved concurrency" : `reserved concurrency ${f.reservedConcurrency}`}, ${yes(f.tracing, "X-Ray")}, ${yes(f.environmentKms, "env KMS")}, ${f.vpc ? "in VPC" : "no VPC"}`,
  );
  if (p.stateMachines.length) {
    const m = p.stateMachines;
    const every = (pred: (x: (typeof m)[number]) => boolean) => m.every(pred);
    lines.push(
      `  States      ${m.map((x) => `${x.name} (${x.type})`).join(", ")}: ${every((x) => x.logLevel === "ALL" && !x.executionDataLogged) ? "logs ALL without execution data" : "NOT all logging ALL without execution data"}, ${yes(
        every((x) => x.tracing),
        "X-Ray",
      )}, ${yes(
        every((x) => x.customerManagedKey),
        "KMS CMK",
      )}; ${p.eventRules} EventBridge rule${p.eventRules === 1 ? "" : "s"}`,
    );
  }
  const parts = [
    ...p.queues.map((q) => `queue ${q.name} (${yes(q.customerManagedKey, "KMS CMK")})`),
    ...p.secrets.map(
      (x) => `secret ${x.name} (${yes(x.customerManagedKey, "KMS CMK")}, ${x.rotation})`,
    ),
    ...p.vpcs.map(
      (v) =>
        `VPC (${yes(v.flowLogs, "flow logs")}, ${yes(v.defaultSecurityGroupClosed, "default SG closed")}, ${v.endpoints} endpoints, ${v.gateways ? `${v.gateways} NAT or internet gateways` : "no NAT or internet gateway"})`,
    ),
  ];
  if (parts.length) lines.push(`  Pipeline    ${parts.join("; ")}`);
  return lines;
}
