/**
 * The synthesized stack's data plane, stood up on moto: every KMS key, secret, queue and bucket
 * that the dev stack's cdk.tf.json declares is created with the attributes it declares (key spec
 * and usage, versioning, Object Lock COMPLIANCE with its default retention, the secret under the
 * PHI key), and the stack's Terraform references (`${aws_kms_key.x.arn}`, the caller's account id,
 * the function's ARN...) resolve to what moto created. The function's environment is then the one
 * the construct sets, resolved, plus what Lambda itself adds; the state machine definitions resolve
 * the same way.
 */
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateKeyCommand, KMSClient, type KeySpec, type KeyUsageType } from "@aws-sdk/client-kms";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initKeyFile } from "../../handlers/keys/keyfile";
import { secretFromKeyFile } from "../../handlers/keys/secrets";
import { BIN, ROOT, type CliResult } from "../helpers/cli";
import type { Moto } from "../helpers/moto";
import type { Block } from "../helpers/tf";
import { resourceOf, type SynthesizedStack } from "./synth";

/** The test process's environment before a test sets a sandbox's (for the CLI it runs). */
const OUTER_ENV = { ...process.env };

/** moto's account. */
export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

export interface World {
  moto: Moto;
  stack: SynthesizedStack;
  /** The local key file the secret was made from (`imgsec keys init`). */
  keyFile: string;
  /** Folder for the test's own files (downloads, decrypted packages); never the handler's. */
  work: string;
  rawBucket: string;
  processedBucket: string;
  auditBucket: string;
  /** Every bucket the stack declares. */
  buckets: string[];
  phiKeyArn: string;
  signingKeyArn: string;
  secretArn: string;
  queueUrl: string;
  functionArn: string;
  functionName: string;
  /** The function's environment as the construct sets it, resolved (names and ARNs only). */
  functionEnv: Record<string, string>;
  /** Closes the clients and removes the temporary folders (the synth's, the key file's). */
  destroy(): void;
  /** Resolves the stack's `${...}` references in a string (throws on one it cannot). */
  resolve(text: string): string;
  s3: S3Client;
  kms: KMSClient;
  sqs: SQSClient;
}

type Refs = Map<string, string>;

/** Replaces every `${...}` in `text`; a reference with no value is an error, never left in. */
function resolveWith(refs: Refs, text: string): string {
  return text.replace(/\$\{([^}]+)\}/g, (_m, expr: string) => {
    const v = refs.get(expr.trim());
    if (v === undefined) throw new Error(`unresolved Terraform reference \${${expr}}`);
    return v;
  });
}

const entries = (tf: Block, type: string): [string, Block][] =>
  Object.entries((tf.resource?.[type] ?? {}) as Record<string, Block>);

/** Creates on moto what the stack declares, and the references that name it. */
export async function provision(moto: Moto, stack: SynthesizedStack): Promise<World> {
  const { tf } = stack;
  const refs: Refs = new Map();
  for (const name of Object.keys(tf.data?.aws_caller_identity ?? {}))
    refs.set(`data.aws_caller_identity.${name}.account_id`, ACCOUNT);
  for (const name of Object.keys(tf.data?.aws_partition ?? {}))
    refs.set(`data.aws_partition.${name}.partition`, "aws");
  const resolve = (text: string) => resolveWith(refs, text);

  const kms = new KMSClient(moto.clientConfig);
  const s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  const sm = new SecretsManagerClient(moto.clientConfig);
  const sqs = new SQSClient(moto.clientConfig);

  for (const [name, k] of entries(tf, "aws_kms_key")) {
    const meta = (
      await kms.send(
        new CreateKeyCommand({
          KeySpec: (k.customer_master_key_spec ?? "SYMMETRIC_DEFAULT") as KeySpec,
          KeyUsage: (k.key_usage ?? "ENCRYPT_DECRYPT") as KeyUsageType,
          Description: k.description,
        }),
      )
    ).KeyMetadata;
    if (!meta?.Arn || !meta.KeyId) throw new Error("moto created a key without an ARN");
    refs.set(`aws_kms_key.${name}.arn`, meta.Arn);
    refs.set(`aws_kms_key.${name}.key_id`, meta.KeyId);
  }

  const work = mkdtempSync(join(tmpdir(), "imgsec-e2e-work-"));
  const keyFile = join(work, "keys.json");
  initKeyFile(keyFile);
  for (const [name, s] of entries(tf, "aws_secretsmanager_secret")) {
    // The value is put out of band (README): the key file converted, never in Terraform state.
    const value = secretFromKeyFile(keyFile);
    try {
      const r = await sm.send(
        new CreateSecretCommand({
          Name: resolve(s.name),
          KmsKeyId: resolve(s.kms_key_id),
          SecretBinary: value,
        }),
      );
      refs.set(`aws_secretsmanager_secret.${name}.arn`, r.ARN as string);
      refs.set(`aws_secretsmanager_secret.${name}.id`, r.ARN as string);
    } finally {
      value.fill(0);
    }
  }

  for (const [name, q] of entries(tf, "aws_sqs_queue")) {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: resolve(q.name) }))).QueueUrl;
    const arn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))
    ).Attributes?.QueueArn;
    refs.set(`aws_sqs_queue.${name}.url`, url as string);
    refs.set(`aws_sqs_queue.${name}.id`, url as string);
    refs.set(`aws_sqs_queue.${name}.arn`, arn as string);
  }

  const buckets: string[] = [];
  for (const [name, b] of entries(tf, "aws_s3_bucket")) {
    const bucket = resolve(b.bucket);
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ObjectLockEnabledForBucket: !!b.object_lock_enabled,
      }),
    );
    refs.set(`aws_s3_bucket.${name}.id`, bucket);
    refs.set(`aws_s3_bucket.${name}.bucket`, bucket);
    refs.set(`aws_s3_bucket.${name}.arn`, `arn:aws:s3:::${bucket}`);
    buckets.push(bucket);
  }
  for (const [, v] of entries(tf, "aws_s3_bucket_versioning")) {
    if (v.versioning_configuration?.status !== "Enabled") continue;
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: resolve(v.bucket),
        VersioningConfiguration: { Status: "Enabled" },
      }),
    );
  }
  for (const [, l] of entries(tf, "aws_s3_bucket_object_lock_configuration")) {
    const retention = l.rule?.default_retention;
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: resolve(l.bucket),
        ObjectLockConfiguration: {
          ObjectLockEnabled: "Enabled",
          Rule: { DefaultRetention: { Mode: retention.mode, Days: retention.days } },
        },
      }),
    );
  }

  const fn = resourceOf(tf, "aws_lambda_function");
  const functionName = resolve(fn.block.function_name);
  const functionArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`;
  refs.set(`aws_lambda_function.${fn.name}.arn`, functionArn);
  refs.set(`aws_lambda_function.${fn.name}.function_name`, functionName);
  for (const [name, m] of entries(tf, "aws_sfn_state_machine"))
    refs.set(
      `aws_sfn_state_machine.${name}.arn`,
      `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${resolve(m.name)}`,
    );

  const functionEnv = Object.fromEntries(
    Object.entries(fn.block.environment.variables as Record<string, string>).map(([k, v]) => [
      k,
      resolve(v),
    ]),
  );
  const kmsKey = (pred: (k: Block) => boolean) =>
    refs.get(`aws_kms_key.${resourceOf(tf, "aws_kms_key", pred).name}.arn`) as string;
  const bucketNamed = (purpose: string) => {
    const hit = buckets.filter((b) => b.startsWith(`imgsec-dev-${purpose}-`));
    if (hit.length !== 1) throw new Error(`expected one ${purpose} bucket`);
    return hit[0];
  };
  return {
    moto,
    stack,
    keyFile,
    work,
    rawBucket: bucketNamed("raw"),
    processedBucket: bucketNamed("processed"),
    auditBucket: bucketNamed("audit"),
    buckets,
    phiKeyArn: kmsKey((k) => k.key_usage === "ENCRYPT_DECRYPT"),
    signingKeyArn: kmsKey((k) => k.key_usage === "SIGN_VERIFY"),
    secretArn: refs.get(
      `aws_secretsmanager_secret.${resourceOf(tf, "aws_secretsmanager_secret").name}.arn`,
    ) as string,
    queueUrl: refs.get(`aws_sqs_queue.${resourceOf(tf, "aws_sqs_queue").name}.url`) as string,
    functionArn,
    functionName,
    functionEnv,
    resolve,
    s3,
    kms,
    sqs,
    destroy() {
      for (const c of [s3, kms, sm, sqs]) c.destroy();
      for (const d of [work, ...stack.dirs]) rmSync(d, { recursive: true, force: true });
    },
  };
}

/**
 * The environment of one function sandbox: the construct's variables, what Lambda sets (function
 * name, region), moto's endpoint and credentials, and the instance's ephemeral audit folder.
 */
export function sandboxEnv(
  world: World,
  opts: { auditDir: string; tmpDir?: string; endpoint?: string },
): Record<string, string> {
  return {
    ...world.moto.env,
    ...(opts.endpoint ? { AWS_ENDPOINT_URL: opts.endpoint } : {}),
    ...world.functionEnv,
    AWS_LAMBDA_FUNCTION_NAME: world.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "2048",
    IMGSEC_AUDIT_DIR: opts.auditDir,
    ...(opts.tmpDir ? { TMPDIR: opts.tmpDir } : {}),
  };
}

/**
 * `imgsec audit verify <IMGSEC_AUDIT_S3>` with the signing key and the key file, the built CLI as an
 * auditor runs it: in the test process's own environment (not a sandbox's) with moto's endpoint.
 */
export function auditVerify(world: World): CliResult & { doc: Record<string, unknown> } {
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      "audit",
      "verify",
      world.functionEnv.IMGSEC_AUDIT_S3,
      "--kms-key",
      world.signingKeyArn,
      "--keys",
      world.keyFile,
      "--format",
      "json",
    ],
    { cwd: ROOT, env: { ...OUTER_ENV, ...world.moto.env }, encoding: "utf8", timeout: 120_000 },
  );
  let doc: Record<string, unknown> = {};
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    // reported through the exit code and stderr
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, doc };
}
