/**
 * Shared test fixtures for packages: temporary folders and key files, a valid context, plaintext
 * files, and an independent reader of the AWS Encryption SDK message layout (written from the
 * message format spec, not from handlers/crypto/message.ts) that names every field's byte range,
 * so tamper tests can aim at a field.
 */
import { createCipheriv, createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PRODUCER, buildContext } from "../../handlers/crypto";
import { profilePolicyHash } from "../../handlers/dicom";
import { initKeyFile } from "../../handlers/keys/keyfile";

const made: string[] = [];

/** A fresh temporary folder, removed by `removeTmp()` (call it in afterAll). */
export function tmp(prefix = "imgsec-pkg-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTmp(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh key file (every purpose) in its own folder. */
export function newKeyFile(): string {
  const path = join(tmp("imgsec-keys-"), "keys.json");
  initKeyFile(path);
  return path;
}

export const STRICT = profilePolicyHash("strict");
export const RESEARCH = profilePolicyHash("research");

export function context(over: Partial<Parameters<typeof buildContext>[0]> = {}) {
  return buildContext({
    datasetId: "study-a1",
    modality: "CT",
    policyHash: STRICT,
    pixelDigest: "ab".repeat(32),
    producer: PRODUCER,
    ...over,
  });
}

/** Deterministic, incompressible bytes: AES-256-CTR keystream under a key derived from `seed`. */
export function bytes(n: number, seed = "imgsec"): Buffer {
  const key = createHash("sha256").update(seed).digest();
  const c = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([c.update(Buffer.alloc(n)), c.final()]);
}

export function writeTmp(dir: string, name: string, data: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

export const sha256 = (b: Buffer): string =>
  `sha256:${createHash("sha256").update(b).digest("hex")}`;
export const sha256File = (p: string): string => sha256(readFileSync(p));
export const ls = (dir: string): string[] => readdirSync(dir).sort();

export function flipBit(b: Buffer, pos: number, bit: number): Buffer {
  const c = Buffer.from(b);
  c[pos] ^= 1 << bit;
  return c;
}

// ---------------------------------------------------------------------------------------------
export interface Region {
  name: string;
  start: number;
  end: number;
}

export interface Layout {
  regions: Region[];
  context: Record<string, string>;
  frameLength: number;
  /** Regular frames plus the final frame. */
  frames: number;
  bodyStart: number;
  bodyEnd: number;
  /** Offsets where each frame starts (the last is the final frame). */
  frameStarts: number[];
  end: number;
}

/**
 * Lays out a format-version-2, framed message (suites 0x0478 / 0x0578) into named byte ranges:
 * header fields, each frame's sequence number, IV, content and tag, and the signature footer.
 */
export function layout(msg: Buffer, signed: boolean): Layout {
  const regions: Region[] = [];
  let p = 0;
  const field = (name: string, n: number) => {
    regions.push({ name, start: p, end: p + n });
    p += n;
  };
  const u16 = () => msg.readUInt16BE(p);
  if (msg[0] !== 2) throw new Error("not a v2 message");
  field("version", 1);
  field("suite-id", 2);
  field("message-id", 32);
  field("aad-length", 2);
  field("context-pairs", 2);
  const pairs = msg.readUInt16BE(p - 2);
  const ctx: Record<string, string> = {};
  for (let i = 0; i < pairs; i++) {
    field("context-key-length", 2);
    const kl = msg.readUInt16BE(p - 2);
    const key = msg.subarray(p, p + kl).toString("utf8");
    field(`context-key ${key}`, kl);
    field("context-value-length", 2);
    const vl = msg.readUInt16BE(p - 2);
    ctx[key] = msg.subarray(p, p + vl).toString("utf8");
    field(`context-value ${key}`, vl);
  }
  field("edk-count", 2);
  const edks = msg.readUInt16BE(p - 2);
  for (let i = 0; i < edks; i++) {
    for (const part of ["provider-id", "provider-info", "wrapped-key"]) {
      const n = u16();
      field(`edk ${part}-length`, 2);
      field(`edk ${part}`, n);
    }
  }
  field("content-type", 1);
  field("frame-length", 4);
  const frameLength = msg.readUInt32BE(p - 4);
  field("suite-data (commitment)", 32);
  field("header-auth-tag", 16);
  const bodyStart = p;
  const frameStarts: number[] = [];
  let n = 0;
  for (;;) {
    n++;
    frameStarts.push(p);
    if (msg.readUInt32BE(p) === 0xffffffff) {
      field("final-frame marker", 4);
      field("final-frame sequence", 4);
      field("final-frame iv", 12);
      field("final-frame content-length", 4);
      const len = msg.readUInt32BE(p - 4);
      field("final-frame content", len);
      field("final-frame tag", 16);
      break;
    }
    field(`frame ${n} sequence`, 4);
    field(`frame ${n} iv`, 12);
    field(`frame ${n} content`, frameLength);
    field(`frame ${n} tag`, 16);
  }
  const bodyEnd = p;
  if (signed) {
    field("signature-length", 2);
    field("signature", msg.readUInt16BE(p - 2));
  }
  return {
    regions: regions.filter((r) => r.end > r.start),
    context: ctx,
    frameLength,
    frames: n,
    bodyStart,
    bodyEnd,
    frameStarts,
    end: p,
  };
}
