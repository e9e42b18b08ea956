/**
 * Packages wrapped with AWS KMS keys, against moto: in-process through kmsKeyring (the ESDK's own
 * KMS client, pointed at moto through AWS_ENDPOINT_URL), and the built CLI end to end.
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { createReadStream, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  KMS_PROVIDER,
  KeyringError,
  PackageRefusedError,
  decryptToFile,
  encryptToFile,
  inspectPackage,
  kmsKeyring,
} from "../../handlers/crypto";
import { PackageGate } from "../../policies/engine/package-gate";
import { runCli } from "../helpers/cli";
import { describeWithMoto } from "../helpers/moto";
import { generateCorpus } from "../dicom/corpus/generator";
import { STRICT, bytes, context, ls, newKeyFile, removeTmp, tmp, writeTmp } from "./fixtures";

const F = 4096;

describeWithMoto("packages wrapped with AWS KMS keys (moto)", (moto) => {
  let kms: KMSClient;
  let arn1: string;
  let arn2: string;
  let arn3: string;
  const alias = "arn:aws:kms:us-east-1:123456789012:alias/imgsec-packages";
  const saved: Record<string, string | undefined> = {};
  const plain = bytes(3 * F + 17, "kms");
  let plainPath: string;

  beforeAll(async () => {
    // The ESDK builds its own KMS client from the environment: point it at moto.
    for (const [k, v] of Object.entries(moto().env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    kms = new KMSClient(moto().clientConfig);
    const make = async () =>
      (await kms.send(new CreateKeyCommand({ Description: "imgsec test" }))).KeyMetadata!.Arn!;
    arn1 = await make();
    arn2 = await make();
    arn3 = await make();
    await kms.send(
      new CreateAliasCommand({ AliasName: "alias/imgsec-packages", TargetKeyId: arn1 }),
    );
    plainPath = writeTmp(tmp(), "plain.dcm", plain);
  });
  afterAll(() => {
    kms?.destroy();
    removeTmp();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  async function encrypt(keyIds: string[]): Promise<string> {
    const out = join(tmp(), "p.imgsec");
    await encryptToFile(createReadStream(plainPath), out, {
      keyring: kmsKeyring(keyIds, "encrypt").keyring,
      context: context(),
      frameLength: F,
    });
    return out;
  }

  async function decrypt(path: string, keyIds: string[]) {
    const dir = tmp("imgsec-out-");
    const out = join(dir, "out.dcm");
    try {
      await decryptToFile(path, out, {
        keyring: kmsKeyring(keyIds, "decrypt").keyring,
        expect: { policyHashes: [STRICT] },
      });
      return { plain: readFileSync(out), dir };
    } catch (e) {
      expect(ls(dir)).toEqual([]);
      return { error: e as Error, dir };
    }
  }

  test("the moto keys are well-formed key ARNs", () => {
    for (const a of [arn1, arn2, arn3])
      expect(a).toMatch(/^arn:aws:kms:us-east-1:[0-9]{12}:key\/[0-9a-f-]+$/);
  });

  test("one key: round trip; the header names aws-kms and the key ARN", async () => {
    const path = await encrypt([arn1]);
    const d = await decrypt(path, [arn1]);
    expect(d.plain?.equals(plain)).toBe(true);
    const { document } = await inspectPackage(path, "k");
    expect(document.encrypted_data_keys).toEqual([
      { provider_id: KMS_PROVIDER, provider_info: arn1 },
    ]);
    expect(document.signature).toEqual({ present: true, checked: true, valid: true });
  });

  test("two keys: each wraps the data key, and the second alone decrypts", async () => {
    const path = await encrypt([arn1, arn2]);
    const { document } = await inspectPackage(path, "k");
    expect(document.encrypted_data_keys).toEqual([
      { provider_id: KMS_PROVIDER, provider_info: arn1 },
      { provider_id: KMS_PROVIDER, provider_info: arn2 },
    ]);
    expect((await decrypt(path, [arn2])).plain?.equals(plain)).toBe(true);
    expect((await decrypt(path, [arn1])).plain?.equals(plain)).toBe(true);
  });

  test("a key that did not wrap the package is refused, leaving no output", async () => {
    const path = await encrypt([arn1]);
    const d = await decrypt(path, [arn3]);
    expect(d.error).toBeInstanceOf(PackageRefusedError);
    expect(d.error?.message).toMatch(/no key given can unwrap/);
  });

  test("encrypting through an alias ARN records the key ARN; decrypt needs the key ARN", async () => {
    const path = await encrypt([alias]);
    const { document } = await inspectPackage(path, "k");
    expect(document.encrypted_data_keys).toEqual([
      { provider_id: KMS_PROVIDER, provider_info: arn1 },
    ]);
    expect(() => kmsKeyring([alias], "decrypt")).toThrow(KeyringError);
    expect((await decrypt(path, [arn1])).plain?.equals(plain)).toBe(true);
  });

  test("malformed key ids are refused before any call", () => {
    for (const bad of [
      [],
      ["alias/imgsec"],
      ["1234abcd-12ab-34cd-56ef-1234567890ab"],
      ["arn:aws:kms:us-east-1:12:key/x"],
    ])
      expect(() => kmsKeyring(bad, "encrypt")).toThrow(KeyringError);
  });

  test("the package gate: allowed_kms_key_arns passes the key and fails any other (IMGSEC-PKG-007)", async () => {
    const gate = await PackageGate.load();
    const path = await encrypt([arn1]);
    const { document } = await inspectPackage(path, "k");
    const verdict = (allowed: string[]) =>
      gate
        .evaluate(document, { accepted_policy_hashes: [STRICT], allowed_kms_key_arns: allowed })
        .filter((r) => r.rule === "IMGSEC-PKG-007")
        .map((r) => r.status);
    expect(verdict([])).toEqual(["PASS"]);
    expect(verdict([arn1])).toEqual(["PASS"]);
    expect(verdict([arn2])).toEqual(["FAIL"]);
    const all = gate.evaluate(document, {
      accepted_policy_hashes: [STRICT],
      allowed_kms_key_arns: [arn2],
    });
    expect(all.filter((r) => r.status === "FAIL").map((r) => r.rule)).toEqual(["IMGSEC-PKG-007"]);
    // The result message does not quote the ARN.
    expect(all.find((r) => r.rule === "IMGSEC-PKG-007")?.message).not.toContain(arn1);
  });

  describe("the CLI with --kms-key", () => {
    const work = tmp("imgsec-kms-cli-");
    const keys = newKeyFile();
    let env: Record<string, string>;
    const run = (args: string[]) => runCli(args, { cwd: work, env });

    beforeAll(() => {
      env = {
        ...moto().env,
        IMGSEC_KEYS: keys,
        IMGSEC_AUDIT_LOG: join(work, "audit.jsonl"),
      };
      const input = join(work, "in");
      mkdirSync(input);
      const ct = generateCorpus().files.filter(
        (f) => f.info.modality === "CT" && f.info.burnedInAnnotation !== "YES",
      );
      for (const f of ct.slice(0, 2)) writeFileSync(join(input, f.name), f.bytes);
      const r = run(["deid", "in", "deid"]);
      expect(r.stderr).not.toMatch(/error/i);
      expect(readdirSync(join(work, "deid"))).toHaveLength(2);
    });

    test("encrypt → verify-package → decrypt round-trips under the KMS key", () => {
      const e = run(["encrypt", "deid", "pk", "--dataset", "kms-1", "--kms-key", arn1]);
      expect(e.stderr).toMatch(/audit: recorded/);
      expect(e.code).toBe(0);
      expect(e.stdout).toMatch(/aws-kms 1 key/);
      const pkgs = readdirSync(join(work, "pk"));
      expect(pkgs).toHaveLength(2);

      const ok = run(["verify-package", "pk", "--kms-key-arn", arn1, "--format", "json"]);
      expect(ok.code).toBe(0);
      const report = JSON.parse(ok.stdout);
      expect(report.summary).toMatchObject({ packages: 2, passed: 2, failed: 0 });

      const other = run(["verify-package", "pk", "--kms-key-arn", arn2]);
      expect(other.code).toBe(1);
      expect(other.stdout).toMatch(/FAIL IMGSEC-PKG-007/);
      expect(other.stdout).not.toContain(arn1);

      const d = run(["decrypt", "pk", "out", "--kms-key", arn1]);
      expect(d.code).toBe(0);
      for (const p of pkgs) {
        const dcm = p.replace(/\.imgsec$/, ".dcm");
        expect(
          readFileSync(join(work, "out", dcm)).equals(readFileSync(join(work, "deid", dcm))),
        ).toBe(true);
      }

      const wrong = run(["decrypt", "pk", "out-wrong", "--kms-key", arn3]);
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toMatch(/no key given can unwrap/);
      expect(readdirSync(join(work, "out-wrong"))).toEqual([]);

      // An alias cannot name a package's key on decrypt: a usage error, one line.
      const aliased = run(["decrypt", "pk", "out-alias", "--kms-key", alias]);
      expect(aliased.code).toBe(2);
      expect(aliased.stderr.trim().split("\n")).toHaveLength(1);
      expect(aliased.stderr).toMatch(/decrypt needs the KMS key ARN/);
    });
  });
});
