/**
 * Test logs and the tampering an attacker could do to them, written through the real writer and
 * altered line by line: with no key, with the HMAC key only, or with another signing key.
 */
import { generateKeyPairSync, KeyObject, sign } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initKeyFile, loadKey, loadSigningKey } from "../../handlers/keys/keyfile";
import { AuditEvent, CheckpointSigner, openAuditLog, SignerOption } from "../../handlers/audit";
import {
  canonical,
  hmacHex,
  publicKeyFingerprint,
  sha256Hex,
} from "../../handlers/audit/canonical";

export type Rec = Record<string, unknown>;

export interface TestLog {
  dir: string;
  path: string;
  keys: string;
  auditKey: Buffer;
  publicKey: KeyObject;
  lines: string[];
}

export const tmp = (name = "imgsec-audit-") => mkdtempSync(join(tmpdir(), name));

export function event(i: number): AuditEvent {
  return {
    op: i % 2 ? "encrypt" : "deid",
    outcome: i % 7 === 3 ? "failed" : "ok",
    objects: [
      { kind: "dataset", id: "study-1" },
      { kind: "instance", uid: `2.25.${1000 + i}` },
      { kind: "patient", pseudonym: `PSN-${i % 5}` },
    ],
    details: { n: i, files: 3, dryRun: false },
  };
}

export function newKeys(dir: string): string {
  const keys = join(dir, "keys.json");
  initKeyFile(keys);
  return keys;
}

/**
 * A closed log of `events` events, checkpoints every `every` records; signed by the key file's
 * Ed25519 key unless `signer` says otherwise (then `publicKey` is that signer's).
 */
export async function makeLog(
  events = 30,
  every = 10,
  dir = tmp(),
  signer?: SignerOption,
): Promise<TestLog> {
  const keys = newKeys(dir);
  const path = join(dir, "audit.jsonl");
  const w = await openAuditLog({
    path,
    keysPath: keys,
    actor: "local:tester",
    checkpointEvery: every,
    s3: false,
    signer: signer ?? "key-file",
  });
  for (let i = 0; i < events; i++) await w.append(event(i));
  await w.close();
  return {
    dir,
    path,
    keys,
    auditKey: loadKey(keys, "audit").key,
    publicKey:
      signer && typeof signer === "object" && "sign" in signer
        ? signer.publicKey
        : loadSigningKey(keys).publicKey,
    lines: readFileSync(path, "utf8").split("\n").slice(0, -1),
  };
}

export const parse = (line: string): Rec => JSON.parse(line);
export const join1 = (lines: string[]) => lines.map((l) => l + "\n").join("");

/** Index of the first line of a type at or after `from`. */
export function indexOf(lines: string[], type: string, from = 0): number {
  for (let i = from; i < lines.length; i++) if (parse(lines[i]).type === type) return i;
  throw new Error(`no ${type} after ${from}`);
}

/** The line with a record's fields changed; its hmac left as it was (attacker without the key). */
export function edit(line: string, change: Rec): string {
  return canonical({ ...parse(line), ...change });
}

/** Re-seals a record under `key` (attacker holding the HMAC key). */
export function reseal(rec: Rec, key: Buffer): string {
  const { hmac: _hmac, ...body } = rec;
  return canonical({ ...body, hmac: hmacHex(key, canonical(body)) });
}

/**
 * Recomputes `prev` (and checkpoints' `head`) from line `from` on, as an attacker who rewrote a
 * record would to hide it from the chain; with `key`, also the HMACs; with `signer`, also the
 * checkpoint signatures (under that key).
 */
export function rechain(lines: string[], from: number, key?: Buffer, signer?: KeyObject): string[] {
  const out = lines.slice();
  for (let i = Math.max(from, 1); i < out.length; i++) {
    const rec = parse(out[i]);
    rec.prev = sha256Hex(out[i - 1]);
    if (rec.type === "checkpoint") {
      rec.head = rec.prev;
      if (signer) rec.sig = signCheckpoint(rec, signer);
    }
    out[i] = key ? reseal(rec, key) : canonical(rec);
  }
  return out;
}

export function signCheckpoint(rec: Rec, key: KeyObject): string {
  const signed = canonical({
    alg: rec.alg,
    covers: rec.covers,
    head: rec.head,
    key: rec.key,
    log: rec.log,
    reason: rec.reason,
    seq: rec.seq,
    ts: rec.ts,
  });
  // Ed25519 signs the bytes; a P-256 key (a KMS key's stand-in) signs their SHA-256, DER.
  const alg = key.asymmetricKeyType === "ed25519" ? null : "sha256";
  return sign(alg, Buffer.from(signed), key).toString("base64");
}

/**
 * A checkpoint signer with a local P-256 key: the KMS signer's record format (alg
 * ecdsa-p256-sha256, DER signatures, fingerprint over the SPKI DER) without KMS.
 */
export function p256Signer(): CheckpointSigner & { privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    alg: "ecdsa-p256-sha256",
    fingerprint: publicKeyFingerprint(publicKey),
    publicKey,
    privateKey,
    name: "a test P-256 key",
    sign: async (data) => sign("sha256", data, privateKey),
  };
}

export const otherSigningKey = () => generateKeyPairSync("ed25519").privateKey;

export function writeLines(path: string, lines: string[]): void {
  writeFileSync(path, join1(lines));
}
