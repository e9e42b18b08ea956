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
  keys: { alias: string; rotation: boolean; deletionWindowDays: number; region: string }[];
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
  alarms: { count: number; withActions: number };
  topicsEncrypted: string;
  relaxed: string[];
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
    alarms: {
      count: all("aws_cloudwatch_metric_alarm").length,
      withActions: all("aws_cloudwatch_metric_alarm").filter(
        ([, a]) => ((a.alarm_actions as string[]) ?? []).length > 0,
      ).length,
    },
    topicsEncrypted: `${all("aws_sns_topic").filter(([, t]) => t.kms_master_key_id).length}/${all("aws_sns_topic").length}`,
    relaxed,
  };
}

export function formatSummary(s: StackSummary): string {
  const yes = (b: boolean, label: string) => (b ? label : `NO ${label}`);
  const lines = [
    `${s.stack}  (${s.region}, ${s.resourceCount} resources, ${s.backend} state)  ${s.file}`,
    ...s.keys.map(
      (k) =>
        `  KMS key     ${k.alias} [${k.region}]: ${yes(k.rotation, "rotation")}, deletion window ${k.deletionWindowDays} d`,
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
    `  Alarms      ${s.alarms.count} alarms, ${s.alarms.withActions} notify the SNS topic (${s.topicsEncrypted} topics KMS-encrypted)`,
    `  Relaxed     ${s.relaxed.length ? s.relaxed.join("; ") : "none (strict defaults)"}`,
  ];
  return lines.join("\n");
}
