/**
 * Checkpoint signers without AWS: a local P-256 key stands in for the KMS key (same alg, record
 * format, fingerprint and signature encoding); the KMS calls themselves are in kms.test.ts.
 */
import { createHash, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AuditLogError,
  AuditVerifyReport,
  CheckpointSigner,
  openAuditLog,
  verifyAuditLog,
} from "../../handlers/audit";
import { canonical, publicKeyFingerprint } from "../../handlers/audit/canonical";
import { loadKey, loadSigningKey } from "../../handlers/keys/keyfile";
import {
  TestLog,
  event,
  indexOf,
  join1,
  makeLog,
  newKeys,
  p256Signer,
  parse,
  reseal,
  signCheckpoint,
  tmp,
} from "./logs";

// 20 events, a checkpoint every 10 records: checkpoints at seq 10, 21 (interval) and 23 (close).
let log: TestLog;
let signer: ReturnType<typeof p256Signer>;
beforeAll(async () => {
  signer = p256Signer();
  log = await makeLog(20, 10, tmp(), signer);
});

type Mode = "full" | "pubkey" | "hmac";
const check = (lines: string[], mode: Mode, publicKey = log.publicKey): AuditVerifyReport =>
  verifyAuditLog(
    { text: join1(lines) },
    mode === "full"
      ? { auditKey: log.auditKey, publicKey }
      : mode === "pubkey"
        ? { publicKey }
        : { auditKey: log.auditKey },
  );
const sigRule = (r: AuditVerifyReport) => r.results.find((x) => x.rule === "IMGSEC-AUDIT-003");

describe("a log signed with an ECDSA P-256 key (the KMS signer's format)", () => {
  test("names the alg and the fingerprint of the SPKI DER; signatures are DER", () => {
    const spki = signer.publicKey.export({ format: "der", type: "spki" });
    const fp = createHash("sha256").update(spki).digest("hex").slice(0, 32);
    expect(publicKeyFingerprint(signer.publicKey)).toBe(fp);
    const open = parse(log.lines[0]);
    expect(open).toMatchObject({ type: "open", alg: "ecdsa-p256-sha256", signer: fp });
    const cps = log.lines.map(parse).filter((r) => r.type === "checkpoint");
    expect(cps.map((c) => [c.seq, c.reason])).toEqual([
      [10, "interval"],
      [21, "interval"],
      [23, "close"],
    ]);
    for (const cp of cps) {
      expect(cp).toMatchObject({ alg: "ecdsa-p256-sha256", key: fp });
      const der = Buffer.from(cp.sig as string, "base64");
      expect(der[0]).toBe(0x30); // SEQUENCE { r INTEGER, s INTEGER }
      expect(der[1]).toBe(der.length - 2);
    }
  });

  test.each<Mode>(["full", "pubkey"])("verifies intact (%s)", (mode) => {
    const r = check(log.lines, mode);
    expect(r.intact).toBe(true);
    expect(r.counts).toEqual({ lines: 24, records: 24, events: 20, checkpoints: 3 });
    expect(r.lastCheckpoint).toMatchObject({ seq: 23, verified: true });
    expect(sigRule(r)?.status).toBe("PASS");
  });

  test("a PEM of the public key (what `imgsec audit public-key` writes) verifies it", () => {
    const pem = signer.publicKey.export({ format: "pem", type: "spki" }).toString();
    expect(check(log.lines, "pubkey", createPublicKey(pem)).intact).toBe(true);
  });

  test.each<Mode>(["full", "pubkey"])(
    "a checkpoint signature altered: bad-signature (%s)",
    (mode) => {
      const lines = log.lines.slice();
      const rec = parse(lines[10]);
      const sig = Buffer.from(rec.sig as string, "base64");
      sig[sig.length - 3] ^= 1;
      lines[10] = canonical({ ...rec, sig: sig.toString("base64") });
      const r = check(lines, mode);
      expect(r.intact).toBe(false);
      expect(r.firstBad).toEqual({ line: 11, seq: 10, kind: "bad-signature" });
    },
  );

  test("does not verify against the key file's Ed25519 public key: bad-signature naming both algs", () => {
    const ed = loadSigningKey(log.keys).publicKey;
    const r = check(log.lines, "full", ed);
    expect(r.intact).toBe(false);
    expect(r.firstBad).toEqual({ line: 11, seq: 10, kind: "bad-signature" });
    expect(sigRule(r)?.message).toMatch(
      /the log names signing key [0-9a-f]{32} \(ecdsa-p256-sha256\), the supplied public key is [0-9a-f]{32} \(ed25519\): wrong key/,
    );
  });

  test("another P-256 key does not verify it either", () => {
    const r = check(log.lines, "pubkey", p256Signer().publicKey);
    expect(r.firstBad).toEqual({ line: 11, seq: 10, kind: "bad-signature" });
  });

  test.each<Mode>(["full", "pubkey", "hmac"])(
    "a checkpoint re-signed with the key file's Ed25519 key under alg ed25519 (HMAC resealed): bad-signature (%s)",
    (mode) => {
      // An insider with the key file (HMAC and Ed25519 keys) but not the KMS key.
      const lines = log.lines.slice();
      const rec = parse(lines[21]);
      const ed = loadSigningKey(log.keys).privateKey;
      const forged = { ...rec, alg: "ed25519" };
      lines[21] = reseal({ ...forged, sig: signCheckpoint(forged, ed) }, log.auditKey);
      const r = check(lines, mode);
      expect(r.intact).toBe(false);
      expect(r.firstBad).toEqual({ line: 22, seq: 21, kind: "bad-signature" });
      expect(sigRule(r)?.message).toMatch(
        /an ed25519 signature in a log opened for ecdsa-p256-sha256/,
      );
      // Verifying with the Ed25519 key does not help it: the log names its alg in the open record.
      expect(check(lines, "pubkey", createPublicKey(ed)).firstBad?.line).toBeLessThanOrEqual(22);
    },
  );
});

describe("the key file's Ed25519 signer is unchanged", () => {
  test("a checkpoint of an Ed25519 log re-signed as ECDSA (HMAC resealed): bad-signature", async () => {
    const ed = await makeLog(12, 5);
    const lines = ed.lines.slice();
    const at = indexOf(lines, "checkpoint");
    const rec = parse(lines[at]);
    const other = p256Signer();
    const forged = { ...rec, alg: "ecdsa-p256-sha256", key: other.fingerprint };
    lines[at] = reseal({ ...forged, sig: signCheckpoint(forged, other.privateKey) }, ed.auditKey);
    const r = verifyAuditLog({ text: join1(lines) }, { auditKey: ed.auditKey });
    expect(r.firstBad).toEqual({ line: at + 1, seq: at, kind: "bad-signature" });
    // With the forger's public key the alg still contradicts the log's open record.
    const r2 = verifyAuditLog({ text: join1(lines) }, { publicKey: other.publicKey });
    expect(r2.firstBad).toEqual({ line: at + 1, seq: at, kind: "bad-signature" });
  });
});

describe("the writer and its signer", () => {
  test("refuses to append to a log signed by another signer, naming both", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const path = join(dir, "audit.jsonl");
    const p256 = p256Signer();
    const w = await openAuditLog({
      path,
      keysPath: keys,
      actor: "local:x",
      s3: false,
      signer: p256,
    });
    await w.append(event(1));
    await w.close();
    const before = readFileSync(path);
    const err = await openAuditLog({
      path,
      keysPath: keys,
      actor: "local:x",
      s3: false,
      signer: "key-file",
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AuditLogError);
    expect(err.message).toMatch(
      new RegExp(
        `is signed by ecdsa-p256-sha256 key ${p256.fingerprint}, not by the key file \\(ed25519 key [0-9a-f]{32}\\)`,
      ),
    );
    await expect(
      openAuditLog({ path, keysPath: keys, actor: "local:x", s3: false, signer: p256Signer() }),
    ).rejects.toThrow(/not by a test P-256 key/);
    expect(readFileSync(path).equals(before)).toBe(true);
    // Its own signer appends.
    const again = await openAuditLog({
      path,
      keysPath: keys,
      actor: "local:x",
      s3: false,
      signer: p256,
    });
    await again.append(event(2));
    await again.close();
    const r = verifyAuditLog(
      { path },
      { auditKey: loadKey(keys, "audit").key, publicKey: p256.publicKey },
    );
    expect(r.intact).toBe(true);
    expect(r.counts.checkpoints).toBe(2);
  });

  test("a signer that fails writes nothing: the appends that needed a checkpoint are refused, and the log stays sound", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const path = join(dir, "audit.jsonl");
    const inner = p256Signer();
    let down = false;
    let calls = 0;
    const flaky: CheckpointSigner = {
      ...inner,
      sign: async (data) => {
        calls++;
        await new Promise((r) => setTimeout(r, 5)); // a network round trip, under the lock
        if (down) throw new AuditLogError("cannot sign an audit checkpoint (test: KMS down)");
        return inner.sign(data);
      },
    };
    const w = await openAuditLog({
      path,
      keysPath: keys,
      actor: "local:x",
      s3: false,
      checkpointEvery: 3,
      signer: flaky,
    });
    await w.append(event(1)); // open + 1 event: no checkpoint due yet
    const size = readFileSync(path).length;
    down = true;
    await expect(w.append(event(2))).rejects.toThrow(/KMS down/);
    expect(readFileSync(path).length).toBe(size);
    down = false;
    // The first append goes out alone (seq 2, checkpoint 3); the rest queue while it is being
    // signed and go out together (seq 4-6, checkpoint 7, seq 8), in order.
    const results = await Promise.all([3, 4, 5, 6, 7].map((i) => w.append(event(i))));
    expect(results.map((x) => x.seq)).toEqual([2, 4, 5, 6, 8]);
    await w.close();
    expect(calls).toBeGreaterThanOrEqual(4);
    const r = verifyAuditLog(
      { path },
      { auditKey: loadKey(keys, "audit").key, publicKey: inner.publicKey },
    );
    expect(r.intact).toBe(true);
    expect(r.counts.events).toBe(6);
  });

  test("signer 'key-file' ignores IMGSEC_AUDIT_SIGNING_KMS_KEY, and makes no KMS call", async () => {
    const saved = { ...process.env };
    // Nothing listens here: a KMS call would fail.
    process.env.IMGSEC_AUDIT_SIGNING_KMS_KEY =
      "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000";
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
    try {
      const ed = await makeLog(2, 10);
      expect(parse(ed.lines[0]).alg).toBe("ed25519");
      expect(verifyAuditLog({ path: ed.path }, { publicKey: ed.publicKey }).intact).toBe(true);
    } finally {
      process.env = saved;
    }
  });
});
