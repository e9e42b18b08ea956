import { readFileSync } from "node:fs";
import { z } from "zod";
import { ImgsecConfigError, formatZodError } from "../modules/errors";
import { DEFAULT_LIFECYCLE, replicationExemptReasonProblem } from "../modules/secure-bucket";
import { DEFAULT_LOG_RETENTION_DAYS } from "../modules/monitoring";

const REGION = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, "an AWS region such as us-east-1");

/** One deployment environment. Every field has a strict default; see README "Configuration". */
export const EnvironmentSchema = z.strictObject({
  region: REGION.default("us-east-1"),
  /** Prefix of every resource name: lowercase, 2-23 characters, so bucket names stay within 63. */
  namePrefix: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,22}$/, "lowercase letters, digits and '-', 2-23 characters")
    .optional(),
  logRetentionDays: z.number().int().default(DEFAULT_LOG_RETENTION_DAYS),
  lifecycle: z
    .strictObject({
      infrequentAccessAfterDays: z.number().int().optional(),
      glacierAfterDays: z.number().int().optional(),
      expireAfterDays: z.number().int().optional(),
      noncurrentVersionExpireAfterDays: z.number().int().optional(),
      abortIncompleteMultipartUploadAfterDays: z.number().int().optional(),
    })
    .default({}),
  /** Object Lock on the audit bucket. */
  auditObjectLock: z
    .strictObject({
      mode: z.enum(["COMPLIANCE", "GOVERNANCE"]).default("COMPLIANCE"),
      retentionDays: z.number().int().default(2192),
    })
    .default({ mode: "COMPLIANCE", retentionDays: 2192 }),
  /**
   * Cross-region replication of the PHI buckets. Off unless enabled (a copy in a region nobody
   * chose could breach data residency), and then the gate fails the buckets (IMGSEC-S3-011) unless
   * `exemptReason` says why this environment keeps no replica: it is tagged on each bucket and
   * reported as a relaxed control and as a warning in every check.
   */
  replication: z
    .strictObject({
      enabled: z.boolean().default(false),
      region: REGION.default("us-west-2"),
      exemptReason: z
        .string()
        .superRefine((reason, ctx) => {
          const problem = replicationExemptReasonProblem(reason);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        })
        .optional(),
    })
    .refine((r) => !(r.enabled && r.exemptReason !== undefined), {
      message: "exemptReason is for an environment that does not replicate; remove one of them",
      path: ["exemptReason"],
    })
    .default({ enabled: false, region: "us-west-2" }),
  kmsDeletionWindowDays: z.number().int().default(30),
  alarmEmails: z.array(z.string()).default([]),
  remoteState: z
    .strictObject({
      bucket: z.string().min(3),
      key: z.string().min(1),
      region: REGION,
      /** KMS key for the state object; without it S3 encrypts with SSE-S3. */
      kmsKeyId: z.string().optional(),
      /** DynamoDB table for locking; without it Terraform's native S3 lock file is used. */
      dynamodbTable: z.string().optional(),
    })
    .optional(),
  tags: z.record(z.string(), z.string()).default({}),
  /** The Lambda and Step Functions pipeline (modules/pipeline); every field has a strict default. */
  pipeline: z
    .strictObject({
      /** The dataset id packages are encrypted for; default the namePrefix. */
      dataset: z.string().optional(),
      memorySize: z.number().int().optional(),
      ephemeralStorageSize: z.number().int().optional(),
      timeoutSeconds: z.number().int().optional(),
      reservedConcurrency: z.number().int().optional(),
      backfill: z
        .strictObject({
          maxItemsPerBatch: z.number().int().optional(),
          toleratedFailurePercentage: z.number().int().optional(),
          concurrencyShare: z.number().optional(),
        })
        .default({}),
      /** Run the function in a VPC with endpoints and no NAT. */
      vpc: z
        .strictObject({
          enabled: z.boolean().default(false),
          cidrBlock: z.string().optional(),
          availabilityZoneCount: z.number().int().optional(),
        })
        .default({ enabled: false }),
    })
    .default({ backfill: {}, vpc: { enabled: false } }),
});

export type EnvironmentInput = z.input<typeof EnvironmentSchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentSchema> & {
  name: string;
  namePrefix: string;
};

export const AppConfigSchema = z.strictObject({
  environments: z.record(
    z.string().regex(/^[a-z][a-z0-9]{0,11}$/, "lowercase, up to 12 characters"),
    EnvironmentSchema,
  ),
});

/** Why the built-in dev environment keeps no replica (an S3 tag value: no commas). */
export const DEV_REPLICATION_EXEMPT_REASON =
  "development environment: test data that can be reloaded from its source needs no disaster recovery copy";

/** The built-in environments: both strict but for one named relaxation, dev keeps no replica;
 * prod replicates to a second region. */
export const DEFAULT_ENVIRONMENTS: Record<string, EnvironmentInput> = {
  dev: { replication: { enabled: false, exemptReason: DEV_REPLICATION_EXEMPT_REASON } },
  prod: { replication: { enabled: true, region: "us-west-2" } },
};

export function resolveEnvironments(
  input: Record<string, EnvironmentInput> = DEFAULT_ENVIRONMENTS,
): EnvironmentConfig[] {
  const parsed = AppConfigSchema.safeParse({ environments: input });
  if (!parsed.success)
    throw new ImgsecConfigError(`configuration: ${formatZodError(parsed.error)}`);
  return Object.entries(parsed.data.environments).map(([name, env]) => ({
    ...env,
    lifecycle: { ...DEFAULT_LIFECYCLE, ...env.lifecycle },
    name,
    namePrefix: env.namePrefix ?? `imgsec-${name}`,
  }));
}

/**
 * Reads a JSON config file (`{"environments": {...}}`). Environments it names replace the built-in
 * ones of the same name field by field over the defaults; the others stay.
 */
export function loadConfigFile(path: string): Record<string, EnvironmentInput> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ImgsecConfigError(
      `cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ImgsecConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = z
    .strictObject({ environments: z.record(z.string(), z.unknown()) })
    .safeParse(json);
  if (!parsed.success)
    throw new ImgsecConfigError(`config file ${path}: ${formatZodError(parsed.error)}`);
  return {
    ...DEFAULT_ENVIRONMENTS,
    ...(parsed.data.environments as Record<string, EnvironmentInput>),
  };
}
