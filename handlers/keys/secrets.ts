/**
 * The pseudonymization and audit HMAC keys in AWS: one Secrets Manager secret, encrypted under a
 * customer managed KMS key, read once per process (a Lambda cold start) and kept for its life.
 *
 * The secret's value (SecretString or SecretBinary) is a key file restricted to these purposes,
 * in the key file's own format (keyfile.ts), so `imgsec keys init` output converts to it
 * byte for byte (`secretFromKeyFile`) and pseudonyms stay the same between the CLI and AWS:
 *
 *   {"format": "imgsec-keys", "version": 1,
 *    "keys": {"pseudonymization": {"alg": "HMAC-SHA256", "id": "<16 hex>", "material": "<base64>"},
 *             "audit":            {"alg": "HMAC-SHA256", "id": "<16 hex>", "material": "<base64>"}}}
 *
 * `id` is keyId(purpose, material), so a damaged or mixed-up key is caught before use. Other
 * members ("created") are allowed; the encryption and audit-signing purposes are refused (in AWS
 * they are KMS keys, and key material that is not needed is not handed out). The secret's
 * version is Secrets Manager's (VersionId, stage AWSCURRENT by default); the format has its own
 * `version`.
 *
 * Key material is never logged or put in an error. It is held in Buffers, zeroed on `dispose()`,
 * on process exit and on SIGTERM (which Lambda sends before it recycles a sandbox with
 * extensions); `key()` hands out copies that the caller zeroes. One copy is out of reach: the AWS
 * SDK parses the response into JavaScript strings, which cannot be zeroed and stay in the heap
 * until collected. Nothing here keeps a reference to them.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { EventEmitter } from "node:events";
import {
  JsonBytesError,
  base64Encode,
  member,
  numberValue,
  parseJsonBytes,
  stringValue,
} from "./json-bytes";
import { KEY_PURPOSES, decodeKeyEntry, loadKey, zeroize } from "./keyfile";

/** The purposes a secret holds: the HMAC keys that KMS cannot stand in for here. */
export const SECRET_PURPOSES = ["pseudonymization", "audit"] as const;
export type SecretPurpose = (typeof SECRET_PURPOSES)[number];

/** The secret is missing, unreadable, malformed or under the wrong key. One line, no key. */
export class SecretKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretKeysError";
  }
}

export interface SecretKeysOptions {
  /** The secret's name or ARN. */
  secretId: string;
  client?: SecretsManagerClient;
  /** A pinned version; default the stage AWSCURRENT. */
  versionId?: string;
  versionStage?: string;
  /** The purposes this process needs; default both. Each must be in the secret. */
  purposes?: readonly SecretPurpose[];
  /** The customer managed key the secret must be encrypted under (key id, key ARN, alias). */
  kmsKeyId?: string;
  /** A relaxation, named in `relaxedControls`: accept the AWS managed key aws/secretsmanager. */
  allowAwsManagedKey?: boolean;
}

export interface SecretKeys {
  /** The secret's VersionId that was read. */
  readonly versionId: string;
  /** Controls this load ran without, by name; empty by default. */
  readonly relaxedControls: readonly string[];
  /** A copy of the purpose's key, which the caller zeroes (zeroize) after use. */
  key(purpose: SecretPurpose): Buffer;
  /** The key's public id (as in the key file): safe to log and record. */
  id(purpose: SecretPurpose): string;
  readonly disposed: boolean;
  /** Zeroes the keys; later `key()` calls fail, and the next load reads the secret again. */
  dispose(): void;
}

const SECRET_FORMAT = "imgsec-keys";
const SECRET_VERSION = 1;

class LoadedKeys implements SecretKeys {
  private readonly keys = new Map<SecretPurpose, { key: Buffer; id: string }>();
  disposed = false;

  constructor(
    readonly secretId: string,
    readonly versionId: string,
    readonly relaxedControls: readonly string[],
    keys: [SecretPurpose, { key: Buffer; id: string }][],
    private readonly onDispose: (k: LoadedKeys) => void,
  ) {
    for (const [p, k] of keys) this.keys.set(p, k);
  }

  private entry(purpose: SecretPurpose) {
    if (this.disposed)
      throw new SecretKeysError(`the keys of secret ${this.secretId} were disposed`);
    const e = this.keys.get(purpose);
    if (!e) throw new SecretKeysError(`secret ${this.secretId}: no ${purpose} key was loaded`);
    return e;
  }

  key(purpose: SecretPurpose): Buffer {
    const { key } = this.entry(purpose);
    const copy = Buffer.alloc(key.length); // its own memory, not the shared pool
    key.copy(copy);
    return copy;
  }

  id(purpose: SecretPurpose): string {
    return this.entry(purpose).id;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { key } of this.keys.values()) key.fill(0);
    this.keys.clear();
    this.onDispose(this);
  }
}

// One load per secret and options for the life of the process (a Lambda cold start).
const cache = new Map<string, Promise<LoadedKeys>>();
/** The loads that succeeded, by the same key as `cache`. */
const loaded = new Map<string, LoadedKeys>();
const live = new Set<LoadedKeys>();

/** Zeroes every key loaded from a secret in this process. */
export function disposeAllSecretKeys(): void {
  for (const k of [...live]) k.dispose();
  cache.clear();
  loaded.clear();
}

/** What shutdown hooks need of `process` (a stand-in in tests). */
export interface ProcessLike extends EventEmitter {
  pid: number;
  kill(pid: number, signal: string): unknown;
}

/**
 * Zeroes the keys when the process ends: on `exit` (every normal end, process.exit included;
 * `beforeExit` is not used, as work may resume after it), and on SIGTERM, after which the signal
 * does what it did before: with no other listener, it is raised again and ends the process.
 * Returns the function that removes the hooks.
 */
export function zeroKeysOnShutdown(proc: ProcessLike = process): () => void {
  const onExit = () => disposeAllSecretKeys();
  const onSigterm = () => {
    disposeAllSecretKeys();
    proc.removeListener("SIGTERM", onSigterm);
    if (proc.listenerCount("SIGTERM") === 0) proc.kill(proc.pid, "SIGTERM");
  };
  proc.on("exit", onExit);
  proc.on("SIGTERM", onSigterm);
  return () => {
    proc.removeListener("exit", onExit);
    proc.removeListener("SIGTERM", onSigterm);
  };
}

let hooksInstalled = false;

const statusOf = (e: unknown) =>
  (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

/** An AWS error in a few words: its name and HTTP status, or a network error code. */
function why(e: unknown): string {
  const err = e as { name?: string; code?: string; message?: string };
  const status = statusOf(e);
  if (status) return `${err?.name ?? "error"} (HTTP ${status})`;
  return err?.code ?? /\b(E[A-Z][A-Z0-9_]{2,})\b/.exec(String(err?.message))?.[1] ?? "error";
}

/** Whether the KMS key a secret names (DescribeSecret) is `expected` (id, ARN or alias). */
function sameKey(actual: string, expected: string): boolean {
  // "arn:aws:kms:<region>:<account>:key/<id>" is "<id>"; ".../alias/<name>" is "alias/<name>".
  const norm = (s: string) => {
    const t = s.startsWith("arn:") ? s.split(":").slice(5).join(":") : s;
    return t.startsWith("key/") ? t.slice(4) : t;
  };
  return norm(actual) === norm(expected);
}

/**
 * The keys in a secret's bytes (the format above), checked: format, version, each purpose's
 * algorithm, size and id; no purpose that does not belong in a secret. Zeroes nothing of `buf`.
 */
export function parseSecretKeys(
  buf: Buffer,
  purposes: readonly SecretPurpose[],
  name: string,
): [SecretPurpose, { key: Buffer; id: string }][] {
  const bad = (why: string) => new SecretKeysError(`secret ${name} ${why}`);
  let root;
  try {
    root = parseJsonBytes(buf);
  } catch (e) {
    if (e instanceof JsonBytesError) throw bad("is not valid JSON");
    throw e;
  }
  const keys = member(root, "keys");
  if (
    root.type !== "object" ||
    stringValue(buf, member(root, "format")) !== SECRET_FORMAT ||
    numberValue(buf, member(root, "version")) !== SECRET_VERSION ||
    keys?.type !== "object"
  )
    throw bad(`is not an imgsec key secret (format ${SECRET_FORMAT}, version ${SECRET_VERSION})`);
  const allowed = new Set<string>(SECRET_PURPOSES);
  const extra = keys.members.map((m) => m.name).filter((n) => !allowed.has(n));
  if (extra.length)
    throw bad(
      `holds keys for ${[...new Set(extra)].map((n) => JSON.stringify(n.slice(0, 32))).join(", ")}: a secret holds only ${SECRET_PURPOSES.join(" and ")} keys (encryption and audit signing use KMS in AWS)`,
    );
  const out: [SecretPurpose, { key: Buffer; id: string }][] = [];
  try {
    for (const purpose of purposes) {
      const entry = member(keys, purpose);
      if (!entry || entry.type !== "object") throw bad(`has no ${purpose} key`);
      const decoded = decodeKeyEntry(buf, entry, purpose);
      if (!decoded) throw bad(`has a damaged ${purpose} key (wrong algorithm, length or id)`);
      out.push([purpose, decoded]);
    }
  } catch (e) {
    for (const [, k] of out) k.key.fill(0);
    throw e;
  }
  return out;
}

async function load(
  opts: SecretKeysOptions,
  purposes: readonly SecretPurpose[],
  cacheKey: string,
): Promise<LoadedKeys> {
  const name = opts.secretId;
  const client = opts.client ?? new SecretsManagerClient({});
  const relaxed: string[] = [];
  let described;
  try {
    described = await client.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (e) {
    throw new SecretKeysError(`cannot read secret ${name}: ${why(e)}`);
  }
  // DescribeSecret names a KmsKeyId only for a customer managed key.
  const kms = described.KmsKeyId;
  if (!kms || /(^|\/)aws\/secretsmanager$/.test(kms)) {
    if (!opts.allowAwsManagedKey)
      throw new SecretKeysError(
        `secret ${name} is encrypted under the AWS managed key aws/secretsmanager: use a customer managed key (or allowAwsManagedKey, a named relaxation)`,
      );
    relaxed.push("allowAwsManagedKey (secret under aws/secretsmanager)");
  } else if (opts.kmsKeyId && !sameKey(kms, opts.kmsKeyId)) {
    throw new SecretKeysError(
      `secret ${name} is encrypted under another KMS key than the one configured`,
    );
  }
  let value;
  try {
    value = await client.send(
      new GetSecretValueCommand({
        SecretId: name,
        VersionId: opts.versionId,
        VersionStage: opts.versionId ? undefined : opts.versionStage,
      }),
    );
  } catch (e) {
    throw new SecretKeysError(`cannot read secret ${name}: ${why(e)}`);
  }
  const raw = value.SecretBinary
    ? Buffer.from(
        value.SecretBinary.buffer,
        value.SecretBinary.byteOffset,
        value.SecretBinary.byteLength,
      )
    : Buffer.from(value.SecretString ?? "", "utf8");
  try {
    return new LoadedKeys(
      name,
      value.VersionId ?? "",
      relaxed,
      parseSecretKeys(raw, purposes, name),
      (k) => {
        live.delete(k);
        // The next load reads the secret again (unless a newer load already replaced this one).
        if (loaded.get(cacheKey) === k) {
          cache.delete(cacheKey);
          loaded.delete(cacheKey);
        }
      },
    );
  } finally {
    raw.fill(0);
  }
}

/**
 * The keys of a secret, read once per process: later calls with the same options share the first
 * load (a failed load is not kept, so the next invocation tries again).
 */
export function loadSecretKeys(opts: SecretKeysOptions): Promise<SecretKeys> {
  const purposes = [...new Set(opts.purposes ?? SECRET_PURPOSES)].sort();
  for (const p of purposes)
    if (!(SECRET_PURPOSES as readonly string[]).includes(p))
      return Promise.reject(new SecretKeysError(`${p} keys are not kept in a secret`));
  const cacheKey = JSON.stringify([
    opts.secretId,
    opts.versionId ?? null,
    opts.versionStage ?? null,
    purposes,
    opts.kmsKeyId ?? null,
    opts.allowAwsManagedKey ?? false,
  ]);
  const pending = cache.get(cacheKey);
  if (pending) return pending;
  if (!hooksInstalled) {
    hooksInstalled = true;
    zeroKeysOnShutdown();
  }
  const p = load(opts, purposes, cacheKey).then((k) => {
    live.add(k);
    loaded.set(cacheKey, k);
    return k;
  });
  cache.set(cacheKey, p);
  p.catch(() => cache.delete(cacheKey));
  return p;
}

/**
 * A key file's pseudonymization and audit keys as a secret value (the format above), for
 * `aws secretsmanager create-secret --secret-binary`/`put-secret-value`. The Buffer holds keys:
 * the caller zeroes it once written. Every other Buffer that held a key is zeroed here.
 */
export function secretFromKeyFile(
  path: string,
  purposes: readonly SecretPurpose[] = SECRET_PURPOSES,
): Buffer {
  const parts: Buffer[] = [];
  const owned: Buffer[] = [];
  try {
    parts.push(Buffer.from(`{"format":"${SECRET_FORMAT}","version":${SECRET_VERSION},"keys":{`));
    purposes.forEach((purpose, i) => {
      const { key, id } = loadKey(path, purpose);
      owned.push(key);
      const b64 = base64Encode(key);
      owned.push(b64);
      parts.push(
        Buffer.from(
          `${i ? "," : ""}"${purpose}":{"alg":"${KEY_PURPOSES[purpose].alg}","id":"${id}","material":"`,
        ),
        b64,
        Buffer.from('"}'),
      );
    });
    parts.push(Buffer.from("}}"));
    return Buffer.concat(parts);
  } finally {
    zeroize(...owned);
  }
}
