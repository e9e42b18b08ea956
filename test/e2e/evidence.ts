/**
 * What the end-to-end tests look at after a run: everything a sandbox printed (Powertools logs and
 * EMF metrics go to stdout), every version of every object in every bucket with the multipart
 * uploads still open, and every file the sandbox left in its ephemeral storage; and the checks on
 * them: no planted PHI, no object key, nothing de-identified in clear, no half-written package.
 */
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectPackage } from "../../handlers/crypto";
import { bufferSource, deidentify } from "../../handlers/dicom";
import { loadKey } from "../../handlers/keys/keyfile";
import { formatLeaks, scanForLeaks, type Leak } from "../dicom/corpus/leak-scanner";
import type { PlantedValue } from "../dicom/corpus/planted";

/**
 * Collects everything written to stdout and stderr until `stop()`, passing nothing through. Node's
 * process warnings (the AWS SDK's notice about Node 20) are kept apart, in `warnings()`, so that
 * what the function itself prints can be held to one JSON document per line.
 */
export function captureOutput(): {
  text(): string;
  lines(): string[];
  warnings(): string[];
  stop(): void;
} {
  let text = "";
  const warnings: string[] = [];
  const warn = jest.spyOn(process, "emitWarning").mockImplementation((w: string | Error) => {
    warnings.push(typeof w === "string" ? w : `${w.name}: ${w.message}`);
  });
  const out = jest.spyOn(process.stdout, "write").mockImplementation((s) => {
    text += typeof s === "string" ? s : Buffer.from(s).toString("utf8");
    return true;
  });
  const err = jest.spyOn(process.stderr, "write").mockImplementation((s) => {
    text += typeof s === "string" ? s : Buffer.from(s).toString("utf8");
    return true;
  });
  return {
    text: () => text,
    lines: () => text.split("\n").filter((l) => l.trim() !== ""),
    warnings: () => warnings,
    stop() {
      out.mockRestore();
      err.mockRestore();
      warn.mockRestore();
    },
  };
}

const UID_CHARS = /[0-9.]/;

/**
 * A date or time found inside a new `2.25.` UID is digits that a 128-bit HMAC produced by chance
 * (about 1 run in 100 for a corpus of this size), not a leak: those matches alone are dropped.
 */
function insideNewUid(bytes: Buffer, leak: Leak): boolean {
  if (!/^[0-9.:/-]+$/.test(leak.needle)) return false;
  let a = leak.offset;
  while (a > 0 && UID_CHARS.test(String.fromCharCode(bytes[a - 1]))) a--;
  let b = leak.offset + leak.length;
  while (b < bytes.length && UID_CHARS.test(String.fromCharCode(bytes[b]))) b++;
  return bytes.subarray(a, b).toString("latin1").startsWith("2.25.");
}

const BASE64_CHARS = /[A-Za-z0-9+/=]/;

/**
 * A short planted value found inside a long base64 run of a package header (the message's public
 * key, its id) is letters a random 33-byte key produced by chance (a 4-letter value matches about
 * once in a few thousand headers), not a leak. Only short values, and only in headers.
 */
function insideRandomBase64(name: string, bytes: Buffer, leak: Leak): boolean {
  if (!name.endsWith("(header)") || leak.needle.length > 8) return false;
  let a = leak.offset;
  while (a > 0 && BASE64_CHARS.test(String.fromCharCode(bytes[a - 1]))) a--;
  let b = leak.offset + leak.length;
  while (b < bytes.length && BASE64_CHARS.test(String.fromCharCode(bytes[b]))) b++;
  return b - a >= 40;
}

/** Every planted value (in every spelling and encoding the scanner knows) found in the haystacks. */
export function phiLeaks(
  haystacks: { name: string; bytes: Buffer | string }[],
  planted: PlantedValue[],
): Leak[] {
  const byName = new Map(
    haystacks.map((h) => [
      h.name,
      typeof h.bytes === "string" ? Buffer.from(h.bytes, "utf8") : h.bytes,
    ]),
  );
  return scanForLeaks(haystacks, planted).filter((l) => {
    const bytes = byName.get(l.file.replace(/#inflated$/, ""));
    if (!bytes || l.file.endsWith("#inflated")) return true;
    return !insideNewUid(bytes, l) && !insideRandomBase64(l.file, bytes, l);
  });
}

/** Fails naming what leaked (the planted values are fake, safe to print). */
export function expectNoPhi(
  haystacks: { name: string; bytes: Buffer | string }[],
  planted: PlantedValue[],
): void {
  const leaks = phiLeaks(haystacks, planted);
  if (leaks.length) throw new Error(`planted PHI found:\n${formatLeaks(leaks)}`);
}

/**
 * Fails if any text holds an object key, or one of `parts` (the folder that names a patient, the
 * file names): keys name patients, and a key cut in pieces still does.
 */
export function expectNoKeys(
  texts: { name: string; text: string }[],
  keys: string[],
  parts: string[] = [],
): void {
  const needles = new Set<string>([...keys, ...parts]);
  for (const k of keys) needles.add(k.split("/").pop() as string);
  for (const { name, text } of texts)
    for (const n of needles)
      if (text.includes(n)) throw new Error(`${name} holds an object key or part of one: ${n}`);
}

export interface StoredVersion {
  bucket: string;
  key: string;
  versionId: string;
  etag?: string;
  deleteMarker: boolean;
  bytes?: Buffer;
}

export interface BucketInventory {
  versions: StoredVersion[];
  /** Multipart uploads begun and neither completed nor aborted. */
  openUploads: { bucket: string; key: string }[];
}

/** Every version (and delete marker) of every object, with its bytes if `read`. */
export async function inventory(
  s3: S3Client,
  buckets: string[],
  opts: { read?: boolean } = {},
): Promise<BucketInventory> {
  const versions: StoredVersion[] = [];
  const openUploads: { bucket: string; key: string }[] = [];
  for (const bucket of buckets) {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (;;) {
      const page = await s3.send(
        new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }),
      );
      for (const v of page.Versions ?? [])
        versions.push({
          bucket,
          key: v.Key as string,
          versionId: v.VersionId as string,
          etag: v.ETag,
          deleteMarker: false,
        });
      for (const d of page.DeleteMarkers ?? [])
        versions.push({
          bucket,
          key: d.Key as string,
          versionId: d.VersionId as string,
          deleteMarker: true,
        });
      if (!page.IsTruncated) break;
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    }
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of uploads.Uploads ?? []) openUploads.push({ bucket, key: u.Key as string });
  }
  if (opts.read)
    for (const v of versions) {
      if (v.deleteMarker) continue;
      const r = await s3.send(
        new GetObjectCommand({ Bucket: v.bucket, Key: v.key, VersionId: v.versionId }),
      );
      v.bytes = Buffer.from(
        await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    }
  versions.sort((a, b) =>
    `${a.bucket}/${a.key}/${a.versionId}`.localeCompare(`${b.bucket}/${b.key}/${b.versionId}`),
  );
  return { versions, openUploads };
}

/** The versions' identities (what a rerun must not change), one string each. */
export const versionIds = (inv: BucketInventory, bucket: string): string[] =>
  inv.versions
    .filter((v) => v.bucket === bucket)
    .map((v) => `${v.key} ${v.versionId} ${v.deleteMarker ? "delete-marker" : v.etag}`);

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/**
 * What anyone can read of a package without a key: its header as inspectPackage reports it (the
 * encryption context, the data keys' providers). The rest is ciphertext, which no scan can read
 * (and in which a short planted string turns up by chance, in tens of megabytes).
 */
export async function packageClearText(bytes: Buffer, work: string): Promise<string> {
  const path = join(mkdtempSync(join(work, "pkg-")), "p.imgsec");
  writeFileSync(path, bytes);
  const { document } = await inspectPackage(path, "package");
  return JSON.stringify(document);
}

/** A complete, authentic ESDK message (frames whole, signature valid), by inspectPackage. */
export async function checkPackage(bytes: Buffer, work: string): Promise<string | undefined> {
  const path = join(mkdtempSync(join(work, "pkg-")), "p.imgsec");
  writeFileSync(path, bytes);
  try {
    const { document } = await inspectPackage(path, "package");
    if (!document.body.complete) return `incomplete body (${document.body.problem ?? "?"})`;
    if (document.body.trailing_bytes) return "bytes after the message";
    if (!document.signature.checked || !document.signature.valid) return "signature not valid";
    return undefined;
  } catch (e) {
    return `not a package: ${(e as Error).name}`;
  }
}

function isJson(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString("utf8"));
    return true;
  } catch {
    return false;
  }
}

/** Lines of an audit log or segment: each a JSON record with a seq. */
function isAuditJsonl(bytes: Buffer): boolean {
  const lines = bytes
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "");
  return lines.every((l) => {
    try {
      const r = JSON.parse(l) as { seq?: unknown };
      return typeof r.seq === "number";
    } catch {
      return false;
    }
  });
}

/** The objects of the processed and audit buckets as the scans read them: package headers, audit
 * records whole. */
export async function readableAtRest(
  inv: BucketInventory,
  opts: { processedBucket: string; auditBucket: string; work: string },
): Promise<{ name: string; bytes: Buffer }[]> {
  const out: { name: string; bytes: Buffer }[] = [];
  for (const v of inv.versions) {
    if (v.deleteMarker || !v.bytes) continue;
    if (v.bucket === opts.processedBucket)
      out.push({
        name: `${v.bucket}/${v.key} (header)`,
        bytes: Buffer.from(`${v.key}\n${await packageClearText(v.bytes, opts.work)}`),
      });
    else if (v.bucket === opts.auditBucket)
      out.push({
        name: `${v.bucket}/${v.key}`,
        bytes: Buffer.concat([Buffer.from(`${v.key}\n`), v.bytes]),
      });
  }
  return out;
}

/**
 * What may be at rest after any run, fault or not: in the raw bucket only the identified inputs
 * themselves (originals and their quarantine copies), in the processed bucket only complete,
 * authentic packages, in the audit bucket only audit JSON Lines; no multipart upload left open.
 * Nothing de-identified in clear, and no half-written object, anywhere.
 */
export async function expectOnlyAllowedObjects(
  inv: BucketInventory,
  opts: {
    rawBucket: string;
    processedBucket: string;
    auditBucket: string;
    inputs: Buffer[];
    work: string;
    /** Where the backfill's ResultWriter puts its JSON files in the audit bucket. */
    resultPrefix?: string;
  },
): Promise<void> {
  const inputs = new Set(opts.inputs.map(sha256));
  const problems: string[] = [];
  for (const v of inv.versions) {
    if (v.deleteMarker) continue;
    if (!v.bytes) throw new Error("inventory read without bytes");
    const where = `${v.bucket} version ${v.versionId}`;
    if (v.bucket === opts.rawBucket) {
      if (!inputs.has(sha256(v.bytes))) problems.push(`${where}: not one of the inputs`);
    } else if (v.bucket === opts.processedBucket) {
      const p = await checkPackage(v.bytes, opts.work);
      if (p) problems.push(`${where}: ${p}`);
    } else if (v.bucket === opts.auditBucket) {
      const result = opts.resultPrefix !== undefined && v.key.startsWith(opts.resultPrefix);
      if (result ? !isJson(v.bytes) : !isAuditJsonl(v.bytes))
        problems.push(`${where}: not ${result ? "JSON" : "audit JSON Lines"}`);
    } else problems.push(`${where}: an object in a bucket nothing should write`);
  }
  for (const u of inv.openUploads) problems.push(`${u.bucket}: a multipart upload left open`);
  expect(problems).toEqual([]);
}

/** Every regular file under `dir` (recursively), with its bytes. */
export function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push({ path: p, bytes: readFileSync(p) });
    }
  };
  walk(dir);
  return out;
}

/**
 * The sandbox's ephemeral storage holds audit logs only: no DICOM (de-identified or not), no
 * package, no planted value.
 */
export function expectEphemeralStorageClean(dirs: string[], planted: PlantedValue[]): void {
  const files = dirs.flatMap(filesUnder);
  const bad = files.filter((f) => f.bytes.length > 0 && !isAuditJsonl(f.bytes)).map((f) => f.path);
  expect(bad).toEqual([]);
  expectNoPhi(
    files.map((f) => ({ name: f.path, bytes: f.bytes })),
    planted,
  );
}

const made: string[] = [];

/** A new temporary folder, removed by removeNewDirs(). */
export function newDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), name));
  made.push(d);
  return d;
}

export function removeNewDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * What the de-identification core says of one object alone (with the pipeline's options): the
 * outcome the job must give it when nothing else interferes.
 */
export async function coreOutcome(
  bytes: Buffer,
  keyFile: string,
): Promise<"packaged" | "quarantined" | "rejected"> {
  const r = await deidentify(bufferSource(bytes), {
    options: [],
    pseudonymizationKey: loadKey(keyFile, "pseudonymization").key,
    patientIdentity: { mode: "hmac" },
  });
  return r.status === "deidentified" ? "packaged" : r.status;
}
