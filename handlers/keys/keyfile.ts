/**
 * The local key file (default .imgsec/keys.json, mode 0600): separate, purpose-bound keys, so a
 * key for one job can never be used for another. Key material is never printed or logged; only a
 * key id (a digest of the key) is shown. Buffers handed out are owned by the caller, who zeroes
 * them after use (`zeroize`).
 */
import { KeyObject, createHash, createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

export const DEFAULT_KEY_FILE = join(".imgsec", "keys.json");

/**
 * Purposes and their algorithms. Each key serves exactly one purpose: pseudonyms (HMAC), wrapping
 * package data keys (AES-256), sealing audit records (HMAC) and signing audit checkpoints
 * (an Ed25519 seed; the public key is stored beside it for auditors).
 */
export const KEY_PURPOSES = {
  pseudonymization: { alg: "HMAC-SHA256", bytes: 32 },
  encryption: { alg: "AES-256-GCM", bytes: 32 },
  audit: { alg: "HMAC-SHA256", bytes: 32 },
  "audit-signing": { alg: "Ed25519", bytes: 32 },
} as const;
export type KeyPurpose = keyof typeof KEY_PURPOSES;

interface StoredKey {
  alg: string;
  id: string;
  material: string; // base64
  /** Ed25519 only: the raw 32-byte public key, base64 (not secret). */
  public?: string;
  created: string;
}

// DER prefixes that turn a raw Ed25519 seed or public key into PKCS#8 / SPKI (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function ed25519PrivateKey(seed: Buffer): KeyObject {
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } finally {
    der.fill(0);
  }
}

/** An Ed25519 public key from its raw 32 bytes. */
export function ed25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
    format: "der",
    type: "spki",
  });
}

function rawPublicKey(priv: KeyObject): Buffer {
  const spki = createPublicKey(priv).export({ format: "der", type: "spki" });
  return spki.subarray(ED25519_SPKI_PREFIX.length);
}

interface KeyFileDoc {
  format: "imgsec-keys";
  version: 1;
  keys: Partial<Record<KeyPurpose, StoredKey>>;
}

/** A key file problem the user must fix: missing, unreadable, too open, malformed. Exit code 2. */
export class KeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyFileError";
  }
}

/** A short, non-secret identifier of a key: the first 8 bytes of SHA-256 over purpose and key. */
export function keyId(purpose: string, material: Buffer): string {
  return createHash("sha256")
    .update(`imgsec-key-id\0${purpose}\0`)
    .update(material)
    .digest("hex")
    .slice(0, 16);
}

/** Key file path: the flag, then IMGSEC_KEYS, then the default. */
export function keyFilePath(flag?: string): string {
  return flag ?? process.env.IMGSEC_KEYS ?? DEFAULT_KEY_FILE;
}

export interface InitResult {
  path: string;
  /** The purposes given a new key; empty when the file already had every purpose. */
  created: { purpose: KeyPurpose; id: string }[];
}

/**
 * Creates a key file with a fresh key for every purpose. On an existing file, adds the purposes it
 * lacks and keeps every key it has (so pseudonyms and packages stay readable); `force` replaces the
 * whole file instead (every pseudonym changes, earlier packages become unreadable).
 */
export function initKeyFile(path: string, opts: { force?: boolean } = {}): InitResult {
  const doc: KeyFileDoc =
    existsSync(path) && !opts.force
      ? readDoc(path)
      : { format: "imgsec-keys", version: 1, keys: {} };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const created: InitResult["created"] = [];
  const now = new Date().toISOString();
  for (const [purpose, spec] of Object.entries(KEY_PURPOSES) as [
    KeyPurpose,
    (typeof KEY_PURPOSES)[KeyPurpose],
  ][]) {
    if (doc.keys[purpose]) continue;
    const material = randomBytes(spec.bytes);
    const id = keyId(purpose, material);
    const stored: StoredKey = {
      alg: spec.alg,
      id,
      material: material.toString("base64"),
      created: now,
    };
    if (spec.alg === "Ed25519")
      stored.public = rawPublicKey(ed25519PrivateKey(material)).toString("base64");
    doc.keys[purpose] = stored;
    material.fill(0);
    created.push({ purpose, id });
  }
  if (created.length === 0) return { path, created };
  const text = JSON.stringify(doc, null, 2) + "\n";
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { force: true });
    writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new KeyFileError(
      `cannot write key file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  return { path, created };
}

/** Reads and checks the key file document (mode, JSON, format); holds no key once it returns. */
function readDoc(path: string): KeyFileDoc {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KeyFileError(
      code === "ENOENT"
        ? `no key file at ${path}: create one with \`imgsec keys init\` (or set --keys / IMGSEC_KEYS)`
        : `cannot read key file ${path}: ${code ?? "error"}`,
    );
  }
  let text: string;
  try {
    const st = fstatSync(fd);
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      throw new KeyFileError(
        `key file ${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
      );
    }
    text = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  let doc: KeyFileDoc;
  try {
    doc = JSON.parse(text) as KeyFileDoc;
  } catch {
    throw new KeyFileError(`key file ${path} is not valid JSON`);
  }
  if (
    doc?.format !== "imgsec-keys" ||
    doc.version !== 1 ||
    typeof doc.keys !== "object" ||
    doc.keys === null
  ) {
    throw new KeyFileError(
      `key file ${path} is not an imgsec key file (format imgsec-keys, version 1)`,
    );
  }
  return doc;
}

/**
 * Loads one purpose's key. Refuses a file that is group- or world-accessible, malformed, or
 * lacks the purpose. The caller zeroes the returned Buffer when done.
 */
export function loadKey(path: string, purpose: KeyPurpose): { key: Buffer; id: string } {
  const doc = readDoc(path);
  const stored = doc.keys[purpose];
  if (!stored)
    throw new KeyFileError(
      `key file ${path} has no ${purpose} key: add it with \`imgsec keys init\` (existing keys are kept)`,
    );
  const spec = KEY_PURPOSES[purpose];
  const key = Buffer.from(String(stored.material), "base64");
  if (stored.alg !== spec.alg || key.length !== spec.bytes || keyId(purpose, key) !== stored.id) {
    key.fill(0);
    throw new KeyFileError(
      `key file ${path}: the ${purpose} key is damaged (wrong algorithm, length or id)`,
    );
  }
  return { key, id: stored.id };
}

/** Overwrites key material we own; call in `finally` blocks. */
export function zeroize(...buffers: (Buffer | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

/**
 * The audit checkpoint signing key pair (Ed25519). The seed Buffer is zeroed before this returns;
 * the private KeyObject lives in OpenSSL memory for the writer's lifetime.
 */
export function loadSigningKey(path: string): {
  privateKey: KeyObject;
  publicKey: KeyObject;
  id: string;
} {
  const { key, id } = loadKey(path, "audit-signing");
  try {
    const privateKey = ed25519PrivateKey(key);
    return { privateKey, publicKey: createPublicKey(privateKey), id };
  } finally {
    zeroize(key);
  }
}

/** The audit signing public key as PEM (SPKI), for auditors: not secret. */
export function signingPublicKeyPem(path: string): string {
  const doc = readDoc(path);
  const stored = doc.keys["audit-signing"];
  if (!stored?.public)
    throw new KeyFileError(
      `key file ${path} has no audit-signing key: add one with \`imgsec keys init\``,
    );
  return ed25519PublicKey(Buffer.from(stored.public, "base64"))
    .export({ format: "pem", type: "spki" })
    .toString();
}
