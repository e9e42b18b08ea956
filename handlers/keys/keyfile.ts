/**
 * The local key file (default .imgsec/keys.json, mode 0600): separate, purpose-bound keys, so a
 * key for one job can never be used for another. Key material is never printed or logged; only a
 * key id (a digest of the key) is shown. Buffers handed out are owned by the caller, who zeroes
 * them after use (`zeroize`).
 */
import { createHash, randomBytes } from "node:crypto";
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

/** Purposes and their algorithms. Issue 5 adds encryption and audit keys. */
export const KEY_PURPOSES = {
  pseudonymization: { alg: "HMAC-SHA256", bytes: 32 },
} as const;
export type KeyPurpose = keyof typeof KEY_PURPOSES;

interface StoredKey {
  alg: string;
  id: string;
  material: string; // base64
  created: string;
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
  created: { purpose: KeyPurpose; id: string }[];
}

/**
 * Creates a key file with a fresh key for every purpose. Refuses to overwrite an existing one
 * unless `force` (replacing keys breaks pseudonym consistency with earlier runs).
 */
export function initKeyFile(path: string, opts: { force?: boolean } = {}): InitResult {
  if (existsSync(path) && !opts.force) {
    throw new KeyFileError(
      `key file ${path} exists; replacing it would change every pseudonym (use --force to replace)`,
    );
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const created: InitResult["created"] = [];
  const doc: KeyFileDoc = { format: "imgsec-keys", version: 1, keys: {} };
  const now = new Date().toISOString();
  for (const [purpose, spec] of Object.entries(KEY_PURPOSES) as [
    KeyPurpose,
    (typeof KEY_PURPOSES)[KeyPurpose],
  ][]) {
    const material = randomBytes(spec.bytes);
    const id = keyId(purpose, material);
    doc.keys[purpose] = { alg: spec.alg, id, material: material.toString("base64"), created: now };
    material.fill(0);
    created.push({ purpose, id });
  }
  const text = JSON.stringify(doc, null, 2) + "\n";
  const tmp = `${path}.tmp-${process.pid}`;
  try {
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

/**
 * Loads one purpose's key. Refuses a file that is group- or world-accessible, malformed, or
 * lacks the purpose. The caller zeroes the returned Buffer when done.
 */
export function loadKey(path: string, purpose: KeyPurpose): { key: Buffer; id: string } {
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
  if (doc?.format !== "imgsec-keys" || doc.version !== 1 || typeof doc.keys !== "object") {
    throw new KeyFileError(
      `key file ${path} is not an imgsec key file (format imgsec-keys, version 1)`,
    );
  }
  const stored = doc.keys[purpose];
  if (!stored)
    throw new KeyFileError(
      `key file ${path} has no ${purpose} key: create a new one with \`imgsec keys init\``,
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
