/**
 * The local key file (default .imgsec/keys.json, mode 0600): separate, purpose-bound keys, so a
 * key for one job can never be used for another. Key material is never printed or logged; only a
 * key id (a digest of the key) is shown. Buffers handed out are owned by the caller, who zeroes
 * them after use (`zeroize`).
 */
import {
  KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  randomFillSync,
} from "node:crypto";
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../fs/atomic";
import {
  JsonBytesError,
  JsonNode,
  JsonObject,
  base64Bytes,
  base64Encode,
  member,
  numberValue,
  parseJsonBytes,
  stringValue,
} from "./json-bytes";

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

// A key file is a few hundred bytes; anything much larger is not one (and is not read whole).
const MAX_KEY_FILE_BYTES = 1 << 20;

const notKeyFile = (path: string) =>
  new KeyFileError(`key file ${path} is not an imgsec key file (format imgsec-keys, version 1)`);

/**
 * The key file's bytes, in a Buffer the caller zeroes (`zeroize`) when done: the file is never
 * read as a string, so no copy of any key outlives the call. Refuses a file that is group- or
 * world-accessible before reading a byte of it.
 */
function readKeyFileBytes(path: string): Buffer {
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
  try {
    const st = fstatSync(fd);
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      throw new KeyFileError(
        `key file ${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
      );
    }
    if (st.size > MAX_KEY_FILE_BYTES) throw notKeyFile(path);
    const buf = Buffer.alloc(st.size); // its own memory (not the shared pool), zeroed by the caller
    let n = 0;
    try {
      while (n < buf.length) {
        const got = readSync(fd, buf, n, buf.length - n, n);
        if (got === 0) break;
        n += got;
      }
    } catch (e) {
      buf.fill(0);
      throw new KeyFileError(
        `cannot read key file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
    return n === buf.length ? buf : buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * The key file's structure over its bytes (see json-bytes.ts): checked as JSON and as an imgsec
 * key file, with every string value left in `buf`. Holds no key of its own.
 */
interface KeyFileView {
  buf: Buffer;
  root: JsonObject;
  keys: JsonObject;
}

function viewOf(path: string, buf: Buffer): KeyFileView {
  let root;
  try {
    root = parseJsonBytes(buf);
  } catch (e) {
    if (e instanceof JsonBytesError) throw new KeyFileError(`key file ${path} is not valid JSON`);
    throw e;
  }
  const keys = member(root, "keys");
  if (
    root.type !== "object" ||
    stringValue(buf, member(root, "format")) !== "imgsec-keys" ||
    numberValue(buf, member(root, "version")) !== 1 ||
    keys?.type !== "object"
  )
    throw notKeyFile(path);
  return { buf, root, keys };
}

/** A purpose's stored entry, as JSON.parse-based code saw it: absent when null or false. */
function entryOf(view: KeyFileView, purpose: KeyPurpose): JsonNode | undefined {
  const entry = member(view.keys, purpose);
  return entry && entry.type !== "null" && entry.type !== "false" ? entry : undefined;
}

// JSON.stringify(doc, null, 2) layout, written byte by byte so no key becomes a string.
const indent = (depth: number) => Buffer.from(`\n${"  ".repeat(depth)}`);
type Writer = (out: Buffer[]) => void;

function writeObject(members: [string, Writer][], depth: number, out: Buffer[]): void {
  if (members.length === 0) return void out.push(Buffer.from("{}"));
  out.push(Buffer.from("{"));
  members.forEach(([name, write], i) => {
    out.push(indent(depth + 1), Buffer.from(`${JSON.stringify(name)}: `));
    write(out);
    if (i < members.length - 1) out.push(Buffer.from(","));
  });
  out.push(indent(depth), Buffer.from("}"));
}

/** Member names in order, each once (as JSON.parse: first place, last value). */
const namesOf = (obj: JsonObject) => [...new Set(obj.members.map((m) => m.name))];

/** A parsed value back to bytes, in JSON.stringify(…, null, 2) layout; strings copied as bytes. */
function serialize(buf: Buffer, node: JsonNode, depth: number, out: Buffer[]): void {
  switch (node.type) {
    case "object":
      return writeObject(
        namesOf(node).map((n) => [n, (o) => serialize(buf, member(node, n)!, depth + 1, o)]),
        depth,
        out,
      );
    case "array": {
      if (node.items.length === 0) return void out.push(Buffer.from("[]"));
      out.push(Buffer.from("["));
      node.items.forEach((item, i) => {
        out.push(indent(depth + 1));
        serialize(buf, item, depth + 1, out);
        if (i < node.items.length - 1) out.push(Buffer.from(","));
      });
      out.push(indent(depth), Buffer.from("]"));
      return;
    }
    case "string":
      out.push(Buffer.from('"'), buf.subarray(node.start, node.end), Buffer.from('"'));
      return;
    case "number":
      out.push(Buffer.from(JSON.stringify(numberValue(buf, node))));
      return;
    default:
      out.push(Buffer.from(node.type));
  }
}

/** A new stored key, bytes only: { alg, id, material, created, public? } at depth 2. */
function newEntry(
  purpose: KeyPurpose,
  material: Buffer,
  now: string,
): { id: string; bytes: Buffer[] } {
  const spec = KEY_PURPOSES[purpose];
  const id = keyId(purpose, material);
  const field = (name: string, value: Buffer | string, last = false) => [
    indent(3),
    Buffer.from(`"${name}": "`),
    typeof value === "string" ? Buffer.from(value) : value,
    Buffer.from(last ? '"' : '",'),
  ];
  const pub =
    spec.alg === "Ed25519" ? rawPublicKey(ed25519PrivateKey(material)).toString("base64") : null;
  return {
    id,
    bytes: [
      Buffer.from("{"),
      ...field("alg", spec.alg),
      ...field("id", id),
      ...field("material", base64Encode(material)),
      ...field("created", now, pub === null),
      ...(pub === null ? [] : field("public", pub, true)),
      indent(2),
      Buffer.from("}"),
    ],
  };
}

/**
 * Creates a key file with a fresh key for every purpose. On an existing file, adds the purposes it
 * lacks and keeps every key it has (so pseudonyms and packages stay readable); `force` replaces the
 * whole file instead (every pseudonym changes, earlier packages become unreadable). Keys go from
 * the random generator to the file as bytes, and every Buffer that held one is zeroed.
 */
export function initKeyFile(path: string, opts: { force?: boolean } = {}): InitResult {
  const existing = existsSync(path) && !opts.force ? readKeyFileBytes(path) : undefined;
  const owned: Buffer[] = [];
  try {
    const view = existing ? viewOf(path, existing) : undefined;
    const created: InitResult["created"] = [];
    const added: { purpose: KeyPurpose; bytes: Buffer[] }[] = [];
    const now = new Date().toISOString();
    for (const purpose of Object.keys(KEY_PURPOSES) as KeyPurpose[]) {
      if (view && entryOf(view, purpose)) continue;
      const material = Buffer.alloc(KEY_PURPOSES[purpose].bytes);
      randomFillSync(material);
      owned.push(material);
      const entry = newEntry(purpose, material, now);
      owned.push(...entry.bytes);
      added.push({ purpose, bytes: entry.bytes });
      created.push({ purpose, id: entry.id });
    }
    if (created.length === 0) return { path, created };
    // The document: the existing one, its keys copied byte for byte, new purposes appended.
    const addedNames = new Set<string>(added.map((a) => a.purpose));
    const keys: [string, Writer][] = [
      ...(view ? namesOf(view.keys) : [])
        .filter((n) => !addedNames.has(n))
        .map((n): [string, Writer] => [
          n,
          (o) => serialize(view!.buf, member(view!.keys, n)!, 2, o),
        ]),
      ...added.map((a): [string, Writer] => [a.purpose, (o) => o.push(...a.bytes)]),
    ];
    const writeKeys: Writer = (o) => writeObject(keys, 1, o);
    const top: [string, Writer][] = view
      ? namesOf(view.root).map((n) => [
          n,
          n === "keys" ? writeKeys : (o) => serialize(view.buf, member(view.root, n)!, 1, o),
        ])
      : [
          ["format", (o) => o.push(Buffer.from('"imgsec-keys"'))],
          ["version", (o) => o.push(Buffer.from("1"))],
          ["keys", writeKeys],
        ];
    const out: Buffer[] = [];
    writeObject(top, 0, out);
    out.push(Buffer.from("\n"));
    const text = Buffer.concat(out);
    owned.push(text);
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileAtomic(path, text, { mode: 0o600, exact: true });
    } catch (e) {
      throw new KeyFileError(
        `cannot write key file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
    return { path, created };
  } finally {
    zeroize(existing, ...owned);
  }
}

/**
 * One key entry (`{alg, material, id}`) of a key file or of the pipeline's secret, decoded from
 * its base64 bytes straight into a Buffer: null (nothing kept) when its algorithm, length or id is
 * not the purpose's.
 */
export function decodeKeyEntry(
  buf: Buffer,
  entry: JsonNode,
  purpose: KeyPurpose,
): { key: Buffer; id: string } | null {
  const spec = KEY_PURPOSES[purpose];
  const material = member(entry, "material");
  const key = material?.type === "string" ? base64Bytes(buf, material) : Buffer.alloc(0);
  const id = stringValue(buf, member(entry, "id"));
  if (
    stringValue(buf, member(entry, "alg")) !== spec.alg ||
    key.length !== spec.bytes ||
    keyId(purpose, key) !== id
  ) {
    key.fill(0);
    return null;
  }
  return { key, id };
}

/**
 * Loads one purpose's key. Refuses a file that is group- or world-accessible, malformed, or
 * lacks the purpose. The caller zeroes the returned Buffer when done.
 *
 * The file is read into a Buffer that is zeroed before this returns; only this purpose's material
 * is decoded, from its base64 bytes straight into the returned Buffer. No other purpose's key, and
 * no copy of this one, ever becomes a JavaScript string.
 */
export function loadKey(path: string, purpose: KeyPurpose): { key: Buffer; id: string } {
  const buf = readKeyFileBytes(path);
  try {
    const view = viewOf(path, buf);
    const stored = entryOf(view, purpose);
    if (!stored)
      throw new KeyFileError(
        `key file ${path} has no ${purpose} key: add it with \`imgsec keys init\` (existing keys are kept)`,
      );
    const entry = decodeKeyEntry(buf, stored, purpose);
    if (!entry)
      throw new KeyFileError(
        `key file ${path}: the ${purpose} key is damaged (wrong algorithm, length or id)`,
      );
    return entry;
  } finally {
    buf.fill(0);
  }
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
  const buf = readKeyFileBytes(path);
  let pub: string | undefined;
  try {
    const view = viewOf(path, buf);
    pub = stringValue(buf, member(entryOf(view, "audit-signing"), "public"));
  } finally {
    buf.fill(0);
  }
  if (!pub)
    throw new KeyFileError(
      `key file ${path} has no audit-signing key: add one with \`imgsec keys init\``,
    );
  return ed25519PublicKey(Buffer.from(pub, "base64"))
    .export({ format: "pem", type: "spki" })
    .toString();
}
