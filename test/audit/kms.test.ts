/**
 * Checkpoints signed by an AWS KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY; Sign with
 * ECDSA_SHA_256, MessageType RAW), against moto: the writer, `imgsec audit public-key --kms-key`
 * and `imgsec audit verify` with the PEM or the KMS key.
 */
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { createHash, createPublicKey } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AuditLogError,
  kmsSigningPublicKey,
  openAuditLog,
  verifyAuditLog,
} from "../../handlers/audit";
import { canonical } from "../../handlers/audit/canonical";
import { loadKey, loadSigningKey } from "../../handlers/keys/keyfile";
import { describeWithMoto } from "../helpers/moto";
import { event, join1, newKeys, parse, tmp } from "./logs";
import { run } from "./run-cli";

describeWithMoto("checkpoints signed with an AWS KMS key (moto)", (moto) => {
  let kms: KMSClient;
  let arn: string;

  const createKey = async (KeySpec: "ECC_NIST_P256" | "RSA_2048" | "SYMMETRIC_DEFAULT") => {
    const r = await kms.send(
      new CreateKeyCommand({
        KeySpec,
        KeyUsage: KeySpec === "SYMMETRIC_DEFAULT" ? "ENCRYPT_DECRYPT" : "SIGN_VERIFY",
        Description: "imgsec audit checkpoints",
      }),
    );
    return r.KeyMetadata?.Arn as string;
  };

  beforeAll(async () => {
    kms = new KMSClient(moto().clientConfig);
    arn = await createKey("ECC_NIST_P256");
  });
  afterAll(() => kms.destroy());

  /** A closed log written with the KMS signer (the writer's key file has no signing key at all). */
  async function kmsLog(events = 25) {
    const dir = tmp();
    const keys = newKeys(dir);
    // The writing host needs no signing key: drop it from the key file.
    const doc = JSON.parse(readFileSync(keys, "utf8"));
    const edPem = loadSigningKey(keys).publicKey;
    delete doc.keys["audit-signing"];
    writeFileSync(keys, JSON.stringify(doc, null, 2));
    chmodSync(keys, 0o600);
    const path = join(dir, "audit.jsonl");
    const w = await openAuditLog({
      path,
      keysPath: keys,
      actor: "local:tester",
      checkpointEvery: 10,
      s3: false,
      signer: { kmsKeyId: arn, client: kms },
    });
    for (let i = 0; i < events; i++) await w.append(event(i));
    await w.close();
    const lines = readFileSync(path, "utf8").split("\n").slice(0, -1);
    return { dir, keys, path, lines, auditKey: loadKey(keys, "audit").key, edPublicKey: edPem };
  }

  test("the log names alg ecdsa-p256-sha256 and the fingerprint of the KMS public key's SPKI DER", async () => {
    const log = await kmsLog();
    const der = (await kms.send(new GetPublicKeyCommand({ KeyId: arn }))).PublicKey as Uint8Array;
    const fp = createHash("sha256").update(der).digest("hex").slice(0, 32);
    expect(parse(log.lines[0])).toMatchObject({
      type: "open",
      alg: "ecdsa-p256-sha256",
      signer: fp,
    });
    const cps = log.lines.map(parse).filter((r) => r.type === "checkpoint");
    expect(cps.map((c) => [c.seq, c.reason])).toEqual([
      [10, "interval"],
      [21, "interval"],
      [28, "close"],
    ]);
    for (const cp of cps) expect(cp).toMatchObject({ alg: "ecdsa-p256-sha256", key: fp });
    // KMS's DER signature, over the checkpoint's canonical bytes, verifies with node:crypto.
    const pub = createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
    const cp = cps[0];
    const signed = canonical({
      alg: cp.alg,
      covers: cp.covers,
      head: cp.head,
      key: cp.key,
      log: cp.log,
      reason: cp.reason,
      seq: cp.seq,
      ts: cp.ts,
    });
    const { verify } = await import("node:crypto");
    expect(
      verify(
        "sha256",
        Buffer.from(signed),
        { key: pub, dsaEncoding: "der" },
        Buffer.from(cp.sig as string, "base64"),
      ),
    ).toBe(true);
  });

  test("the auditor's PEM from `imgsec audit public-key --kms-key` verifies it; a tampered signature is bad-signature; the key file's Ed25519 key does not verify it", async () => {
    const log = await kmsLog();
    const pem = join(log.dir, "kms.pub.pem");
    const pk = await run(["audit", "public-key", "--kms-key", arn, "--out", pem], moto().env);
    expect(pk.code).toBe(0);
    expect(pk.stdout).toBe(
      `wrote ${pem} (ecdsa-p256-sha256, signer ${parse(log.lines[0]).signer})\n`,
    );
    expect(readFileSync(pem, "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);

    // Intact: the auditor with only the PEM, and with the key file too.
    const ok = await run(["audit", "verify", log.path, "--pubkey", pem, "--format", "json"], {
      IMGSEC_KEYS: undefined,
    });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      intact: true,
      checked: { hmac: false, signatures: true },
      counts: { events: 25, checkpoints: 3 },
    });
    const full = await run(["audit", "verify", log.path, "--pubkey", pem, "--keys", log.keys]);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/: INTACT, with warnings\n/);
    // The public key straight from KMS (--kms-key) works the same.
    const viaKms = await run(["audit", "verify", log.path, "--kms-key", arn, "--keys", log.keys], {
      ...moto().env,
    });
    expect(viaKms.stdout).toMatch(/: INTACT, with warnings\n/);

    // A checkpoint signature tampered with: bad-signature, exit 1.
    const lines = log.lines.slice();
    const rec = parse(lines[21]);
    const sig = Buffer.from(rec.sig as string, "base64");
    sig[sig.length - 5] ^= 0x10;
    lines[21] = canonical({ ...rec, sig: sig.toString("base64") });
    const bad = join(log.dir, "tampered.jsonl");
    writeFileSync(bad, join1(lines));
    const t = await run(["audit", "verify", bad, "--pubkey", pem, "--format", "json"]);
    expect(t.code).toBe(1);
    expect(JSON.parse(t.stdout).firstBad).toEqual({ line: 22, seq: 21, kind: "bad-signature" });

    // The key file's Ed25519 public key did not sign it.
    const r = verifyAuditLog({ path: log.path }, { publicKey: log.edPublicKey });
    expect(r.intact).toBe(false);
    expect(r.firstBad).toEqual({ line: 11, seq: 10, kind: "bad-signature" });
    expect(r.results.find((x) => x.rule === "IMGSEC-AUDIT-003")?.message).toMatch(
      /\(ecdsa-p256-sha256\), the supplied public key is [0-9a-f]{32} \(ed25519\)/,
    );
  });

  test("IMGSEC_AUDIT_SIGNING_KMS_KEY selects the KMS signer for writing, and its key for `audit verify`", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const path = join(dir, "audit.jsonl");
    const saved = { ...process.env };
    Object.assign(process.env, moto().env, { IMGSEC_AUDIT_SIGNING_KMS_KEY: arn });
    try {
      const w = await openAuditLog({ path, keysPath: keys, actor: "local:x", s3: false });
      await w.append(event(1));
      await w.close();
    } finally {
      process.env = saved;
    }
    expect(parse(readFileSync(path, "utf8").split("\n")[0]).alg).toBe("ecdsa-p256-sha256");
    const env = { ...moto().env, IMGSEC_AUDIT_SIGNING_KMS_KEY: arn };
    const r = await run(["audit", "verify", path, "--keys", keys], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: INTACT, with warnings\n/);
    // Without it, the key file's Ed25519 key is used, and does not verify the log.
    const without = await run(["audit", "verify", path, "--keys", keys], {
      IMGSEC_AUDIT_SIGNING_KMS_KEY: undefined,
    });
    expect(without.code).toBe(1);
    expect(without.stdout).toMatch(/bad-signature/);
  });

  test("a KMS key that cannot sign checkpoints is refused at open; nothing is written", async () => {
    const rsa = await createKey("RSA_2048");
    const sym = await createKey("SYMMETRIC_DEFAULT");
    const dir = tmp();
    const keys = newKeys(dir);
    const path = join(dir, "audit.jsonl");
    const open = (kmsKeyId: string) =>
      openAuditLog({
        path,
        keysPath: keys,
        actor: "local:x",
        s3: false,
        signer: { kmsKeyId, client: kms },
      });
    for (const [id, message] of [
      [
        rsa,
        /is a RSA_2048 SIGN_VERIFY key: audit checkpoints need an ECC_NIST_P256 SIGN_VERIFY key/,
      ],
      [sym, /is a SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key/],
      [
        "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
        /cannot get the public key of KMS key .* \(GetPublicKey: NotFoundException\)/,
      ],
    ] as const) {
      const err = await open(id).catch((e) => e);
      expect(err).toBeInstanceOf(AuditLogError);
      expect(err.message).toMatch(message);
    }
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
    await expect(kmsSigningPublicKey(rsa, kms)).rejects.toThrow(/RSA_2048/);
  });
});
