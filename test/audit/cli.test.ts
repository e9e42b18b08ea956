import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signingPublicKeyPem } from "../../handlers/keys/keyfile";
import { TestLog, edit, makeLog, p256Signer, tmp } from "./logs";
import { run } from "./run-cli";

let log: TestLog;
let pem: string;
beforeAll(async () => {
  log = await makeLog(20, 10);
  pem = join(log.dir, "audit.pub.pem");
  writeFileSync(pem, signingPublicKeyPem(log.keys));
});

function tampered(): string {
  const lines = log.lines.slice();
  lines[6] = edit(lines[6], { outcome: "failed" });
  const path = join(tmp(), "tampered.jsonl");
  writeFileSync(path, lines.map((l) => l + "\n").join(""));
  return path;
}

describe("imgsec audit verify", () => {
  test("an intact log: exit 0, every check PASS (key file); without an anchor, IMGSEC-AUDIT-006 says what that leaves unseen", async () => {
    const r = await run(["audit", "verify", log.path, "--keys", log.keys]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: INTACT, with warnings\n/);
    expect(r.stdout.match(/PASS IMGSEC-AUDIT-00\d/g)).toHaveLength(5);
    expect(r.stdout).toMatch(/WARN IMGSEC-AUDIT-006 The audit log reaches its last anchored head/);
    expect(r.stdout).toMatch(/no anchor: a log cut back to an earlier run's close checkpoint/);
  });

  test("the key file from IMGSEC_KEYS", async () => {
    const r = await run(["audit", "verify", log.path], { IMGSEC_KEYS: log.keys });
    expect(r.code).toBe(0);
  });

  test("an auditor with only the public key: exit 0, HMACs WARN (not checked)", async () => {
    const r = await run(["audit", "verify", log.path, "--pubkey", pem, "--format", "json"], {
      IMGSEC_KEYS: undefined,
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.intact).toBe(true);
    expect(doc.checked).toEqual({ hmac: false, signatures: true });
    expect(doc.results.map((x: { status: string }) => x.status)).toEqual([
      "WARN",
      "PASS",
      "PASS",
      "PASS",
      "PASS",
      "WARN",
    ]);
    expect(doc.summary).toMatchObject({ passed: 4, failed: 0, warned: 2, waived: 0 });
  });

  test("a tampered log: exit 1, the text names the first bad record's line, seq and kind", async () => {
    const r = await run(["audit", "verify", tampered(), "--keys", log.keys]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/TAMPERED: line 7 \(seq 6\) was modified/);
    expect(r.stdout).toMatch(/first bad record: line 7, seq 6, modified/);
    expect(r.stdout).toMatch(/FAIL IMGSEC-AUDIT-001/);
  });

  test("JSON output carries firstBad and the results", async () => {
    const r = await run(["audit", "verify", tampered(), "--pubkey", pem, "--format", "json"], {
      IMGSEC_KEYS: undefined,
    });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.firstBad).toEqual({ line: 7, seq: 6, kind: "modified" });
    expect(doc.results.find((x: { rule: string }) => x.rule === "IMGSEC-AUDIT-002").status).toBe(
      "FAIL",
    );
  });

  test("--allow-open accepts a log still being written", async () => {
    const path = join(tmp(), "open.jsonl");
    writeFileSync(
      path,
      log.lines
        .slice(0, 14)
        .map((l) => l + "\n")
        .join(""),
    );
    expect((await run(["audit", "verify", path, "--keys", log.keys])).code).toBe(1);
    const r = await run(["audit", "verify", path, "--keys", log.keys, "--allow-open"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/INTACT, with warnings/);
  });

  test.each([
    [
      "a missing log",
      () => ["audit", "verify", join(tmp(), "none.jsonl"), "--keys", log.keys],
      /no audit log at/,
    ],
    [
      "no key at all",
      () => ["audit", "verify", log.path, "--keys", join(tmp(), "k.json")],
      /no key to verify with: pass --pubkey FILE/,
    ],
    [
      "a missing --pubkey",
      () => ["audit", "verify", log.path, "--pubkey", join(tmp(), "x.pem")],
      /cannot read --pubkey/,
    ],
    [
      "a bad PEM",
      () => {
        const p = join(tmp(), "bad.pem");
        writeFileSync(p, "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n");
        return ["audit", "verify", log.path, "--pubkey", p];
      },
      /is not a PEM public key/,
    ],
    [
      "a bad S3 location",
      () => ["audit", "verify", "s3://", "--pubkey", pem],
      /is not an S3 location/,
    ],
    ["a missing argument", () => ["audit", "verify"], /missing required argument/],
  ])("unusable input: %s → exit 2, one line", async (_name, args, message) => {
    const r = await run((args as () => string[])(), { IMGSEC_KEYS: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("imgsec audit public-key", () => {
  test("writes the key file's Ed25519 public key, naming the fingerprint the log's open record names", async () => {
    const out = join(tmp(), "audit.pub.pem");
    const r = await run(["audit", "public-key", "--keys", log.keys, "--out", out], {
      IMGSEC_AUDIT_SIGNING_KMS_KEY: undefined,
    });
    expect(r.code).toBe(0);
    const signer = JSON.parse(log.lines[0]).signer;
    expect(r.stdout).toBe(`wrote ${out} (ed25519, signer ${signer})\n`);
    expect(readFileSync(out, "utf8")).toBe(signingPublicKeyPem(log.keys));
    // `pubkey` is an alias; without --out the PEM goes to stdout.
    const s = await run(["audit", "pubkey", "--keys", log.keys], {
      IMGSEC_AUDIT_SIGNING_KMS_KEY: undefined,
    });
    expect(s.stdout).toBe(signingPublicKeyPem(log.keys));
  });

  test("a P-256-signed log (the KMS signer's format) verifies with its PEM; other key types are refused", async () => {
    const signer = p256Signer();
    const ecdsa = await makeLog(12, 5, tmp(), signer);
    const p256 = join(ecdsa.dir, "p256.pem");
    writeFileSync(p256, signer.publicKey.export({ format: "pem", type: "spki" }));
    const ok = await run(["audit", "verify", ecdsa.path, "--pubkey", p256], {
      IMGSEC_KEYS: undefined,
    });
    expect(ok.code).toBe(0);
    const both = await run(["audit", "verify", ecdsa.path, "--pubkey", p256, "--keys", ecdsa.keys]);
    expect(both.stdout).toMatch(/: INTACT, with warnings\n/);
    // The key file's Ed25519 key did not sign it.
    const wrong = await run(["audit", "verify", ecdsa.path, "--keys", ecdsa.keys]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(
      /the log names signing key [0-9a-f]{32} \(ecdsa-p256-sha256\), the supplied public key is [0-9a-f]{32} \(ed25519\)/,
    );
    const p384 = join(ecdsa.dir, "p384.pem");
    writeFileSync(
      p384,
      generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey.export({
        format: "pem",
        type: "spki",
      }),
    );
    const refused = await run(["audit", "verify", ecdsa.path, "--pubkey", p384]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is a ec key, not an audit checkpoint key/);
  });
});
