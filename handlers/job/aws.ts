/**
 * The job's context in AWS, built once per cold start from the function's environment (names and
 * ARNs only; modules/pipeline sets them): the raw and processed buckets as object stores (SSE-KMS
 * under the PHI key), the KMS keyring, the pseudonymization and audit keys from Secrets Manager,
 * and this instance's audit log, sealed to the Object Lock bucket by a KMS-signed checkpoint.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { kmsKeyring } from "../crypto/keyrings";
import { datasetIdProblem } from "../crypto/context";
import { loadSecretKeys } from "../keys/secrets";
import { zeroize } from "../keys/keyfile";
import { S3ObjectStore } from "../store/s3";
import { openInstanceLog, type InstanceLog } from "../audit/instance";
import { kmsSigner } from "../audit/signer";
import { parseS3Url, s3Sink } from "../audit/s3";
import { resolveActor } from "../audit/actor";
import type { JobContext } from "./process";

/** A missing or malformed setting: the deployment is wrong, retrying will not help. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigurationError";
  }
}

export interface PipelineSettings {
  rawBucket: string;
  incomingPrefix: string;
  quarantinePrefix: string;
  processedBucket: string;
  processedPrefix: string;
  auditS3: string;
  signingKeyArn: string;
  kmsKeyArn: string;
  keysSecretArn: string;
  dataset: string;
}

const NAMES: Record<keyof PipelineSettings, string> = {
  rawBucket: "IMGSEC_RAW_BUCKET",
  incomingPrefix: "IMGSEC_INCOMING_PREFIX",
  quarantinePrefix: "IMGSEC_QUARANTINE_PREFIX",
  processedBucket: "IMGSEC_PROCESSED_BUCKET",
  processedPrefix: "IMGSEC_PROCESSED_PREFIX",
  auditS3: "IMGSEC_AUDIT_S3",
  signingKeyArn: "IMGSEC_AUDIT_SIGNING_KMS_KEY",
  kmsKeyArn: "IMGSEC_KMS_KEY_ARN",
  keysSecretArn: "IMGSEC_KEYS_SECRET_ARN",
  dataset: "IMGSEC_DATASET",
};

const PREFIX = /^([A-Za-z0-9!_.*'()-]+\/)*$/;

/** The settings from the environment, each present and of the right form. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): PipelineSettings {
  const out = {} as PipelineSettings;
  for (const [field, name] of Object.entries(NAMES) as [keyof PipelineSettings, string][]) {
    const v = env[name];
    if (v === undefined || (v === "" && !field.endsWith("Prefix")))
      throw new ConfigurationError(`${name} is not set`);
    out[field] = v;
  }
  for (const f of ["incomingPrefix", "quarantinePrefix", "processedPrefix"] as const)
    if (!PREFIX.test(out[f])) throw new ConfigurationError(`${NAMES[f]} is not a key prefix`);
  if (out.quarantinePrefix.startsWith(out.incomingPrefix) && out.incomingPrefix !== "")
    throw new ConfigurationError("the quarantine prefix must lie outside the incoming prefix");
  const problem = datasetIdProblem(out.dataset);
  if (problem) throw new ConfigurationError(`IMGSEC_DATASET: ${problem}`);
  return out;
}

export interface Pipeline {
  settings: PipelineSettings;
  context: JobContext;
  audit: InstanceLog;
  /** Zeroes the keys and closes the audit log (a close checkpoint), when the sandbox ends. */
  shutdown(): Promise<void>;
}

/** Builds the job's context in AWS (once per cold start). */
export async function pipelineFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Pipeline> {
  const s = settingsFromEnv(env);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const local = env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {};
  const s3 = new S3Client({
    region,
    ...local,
    ...(env.AWS_ENDPOINT_URL ? { forcePathStyle: true } : {}),
  });
  const secrets = await loadSecretKeys({
    secretId: s.keysSecretArn,
    client: new SecretsManagerClient({ region, ...local }),
    kmsKeyId: s.kmsKeyArn,
  });
  const pseudonymizationKey = secrets.key("pseudonymization");
  const auditKey = secrets.key("audit");
  let audit: InstanceLog;
  try {
    const { bucket, prefix } = parseS3Url(s.auditS3);
    audit = await openInstanceLog({
      dir: env.IMGSEC_AUDIT_DIR ?? "/tmp/imgsec-audit",
      keys: { key: auditKey, id: secrets.id("audit") },
      signer: await kmsSigner({ kmsKeyId: s.signingKeyArn }, env),
      sink: s3Sink({ bucket, prefix, client: s3, kmsKeyId: s.kmsKeyArn }),
      actor: await resolveActor(env),
    });
  } finally {
    // The log keeps its own copy.
    zeroize(auditKey);
  }
  const keyring = kmsKeyring([s.kmsKeyArn], "encrypt");
  const context: JobContext = {
    source: new S3ObjectStore({ bucket: s.rawBucket, client: s3, kmsKeyId: s.kmsKeyArn }),
    sourceName: `s3://${s.rawBucket}`,
    packages: new S3ObjectStore({ bucket: s.processedBucket, client: s3, kmsKeyId: s.kmsKeyArn }),
    packagePrefix: s.processedPrefix,
    quarantinePrefix: s.quarantinePrefix,
    dataset: s.dataset,
    options: [],
    pseudonymizationKey,
    keyring: keyring.keyring,
    audit: (e) => audit.append(e),
  };
  return {
    settings: s,
    context,
    audit,
    async shutdown() {
      try {
        await audit.close();
      } finally {
        zeroize(pseudonymizationKey);
        keyring.release();
        secrets.dispose();
      }
    },
  };
}
