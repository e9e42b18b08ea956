/**
 * "A package is an ESDK message, so the AWS Encryption CLI and the SDK in other languages can
 * decrypt it": proved with the AWS Encryption SDK for Python (pinned in .tools/moto by
 * scripts/setup-moto.sh) through test/crypto/esdk_interop.py, both ways. The wrapping key reaches
 * Python on standard input only: never an argument, a file or a log line.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EncryptionContext,
  PRODUCER,
  PackageRefusedError,
  SIGNED_SUITE,
  UNSIGNED_SUITE,
  buildContext,
  decryptToFile,
  encryptToFile,
  localKeyring,
} from "../../handlers/crypto";
import { profilePolicyHash } from "../../handlers/dicom";
import { initKeyFile, loadKey } from "../../handlers/keys/keyfile";
import { generateCtSeries } from "../dicom/corpus/generator";
import { ROOT, runCli } from "../helpers/cli";
import { describeIfAvailable } from "../helpers/tools";

const PYTHON = join(ROOT, ".tools", "moto", "bin", "python");
const SCRIPT = join(__dirname, "esdk_interop.py");
const TOOL = "the AWS Encryption SDK for Python (aws-encryption-sdk in .tools/moto)";

/** Python with aws_encryption_sdk importable, or undefined. */
function esdkPython(): string | undefined {
  if (!existsSync(PYTHON)) return undefined;
  const r = spawnSync(PYTHON, ["-c", "import aws_encryption_sdk"], { stdio: "ignore" });
  return r.status === 0 ? PYTHON : undefined;
}

/** Runs where the pinned Python SDK is installed; skips loudly, or fails under CI=true. */
function describeWithEsdk(title: string, body: () => void): void {
  describeIfAvailable(
    { name: TOOL, available: esdkPython() !== undefined, setup: "scripts/setup-moto.sh" },
    title,
    body,
  );
}

const work = mkdtempSync(join(tmpdir(), "imgsec-interop-"));
const keys = join(work, "keys.json");
const otherKeys = join(work, "other", "keys.json");
const STRICT = profilePolicyHash("strict");

/** Everything a test printed or was told, to check that no key material ever shows. */
const seen: string[] = [];

interface PyResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs esdk_interop.py with the key file's encryption key (base64) on standard input only. */
function python(keyFile: string, args: string[]): PyResult {
  const { key, id } = loadKey(keyFile, "encryption");
  let input = "";
  try {
    input = `${key.toString("base64")}\n`;
  } finally {
    key.fill(0);
  }
  const r = spawnSync(PYTHON, [SCRIPT, args[0], "--key-id", id, ...args.slice(1)], {
    input,
    encoding: "utf8",
    timeout: 120_000,
  });
  const out = { code: r.status, stdout: r.stdout, stderr: r.stderr };
  seen.push(out.stdout, out.stderr);
  return out;
}

function context(over: Partial<Parameters<typeof buildContext>[0]> = {}): EncryptionContext {
  return buildContext({
    datasetId: "interop-1",
    modality: "CT",
    policyHash: STRICT,
    pixelDigest: "5a".repeat(32),
    producer: PRODUCER,
    ...over,
  });
}

async function imgsecEncrypt(
  plain: string,
  out: string,
  ctx: EncryptionContext,
  opts: { suite: "signed" | "unsigned"; frameLength?: number },
): Promise<void> {
  const k = localKeyring(keys);
  try {
    await encryptToFile(createReadStream(plain), out, {
      keyring: k.keyring,
      context: ctx,
      ...opts,
    });
  } finally {
    k.release();
  }
}

/** A de-identified CT file made by `imgsec deid` from a generated slice with planted PHI. */
function deidentifiedFile(): string {
  const input = join(work, "dicom-in");
  const out = join(work, "dicom-deid");
  mkdirSync(input);
  for (const f of generateCtSeries({ slices: 1, rows: 256, columns: 256 }).files)
    writeFileSync(join(input, f.name), f.bytes);
  const r = runCli(["deid", input, out, "--keys", keys, "--no-audit", "--format", "json"]);
  seen.push(r.stdout, r.stderr);
  expect(r.code).toBe(0);
  const [name] = readdirSync(out);
  return join(out, name);
}

beforeAll(() => {
  initKeyFile(keys);
  initKeyFile(otherKeys);
});

afterAll(() => {
  // No key material in anything Python or the CLI printed, in any encoding.
  for (const file of [keys, otherKeys]) {
    const { key } = loadKey(file, "encryption");
    const forms = [key.toString("base64"), key.toString("hex"), key.toString("base64url")];
    key.fill(0);
    for (const text of seen) for (const f of forms) expect(text.includes(f)).toBe(false);
  }
  rmSync(work, { recursive: true, force: true });
});

describeWithEsdk("imgsec packages and the AWS Encryption SDK for Python", () => {
  // A few whole frames and a short final frame.
  const plain = join(work, "plain.bin");
  beforeAll(() => writeFileSync(plain, randomBytes(3 * 65536 + 1234)));

  test.each([
    ["signed", SIGNED_SUITE, 1 << 20],
    ["unsigned", UNSIGNED_SUITE, 65536],
  ] as const)(
    "Python decrypts an imgsec %s package: same plaintext, same context, suite and frame length",
    async (suite, suiteId, frameLength) => {
      const pkg = join(work, `imgsec-${suite}.imgsec`);
      const out = join(work, `py-plain-${suite}`);
      const ctx = context();
      await imgsecEncrypt(plain, pkg, ctx, { suite, frameLength });
      const r = python(keys, ["decrypt", "--in", pkg, "--out", out]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const header = JSON.parse(r.stdout);
      expect(header.algorithm_id).toBe(suiteId);
      expect(header.frame_length).toBe(frameLength);
      expect(header.data_keys).toEqual([{ provider_id: "imgsec-local" }]);
      const { ["aws-crypto-public-key"]: publicKey, ...rest } = header.encryption_context;
      expect(rest).toEqual(ctx);
      if (suite === "signed") expect(publicKey).toMatch(/^[A-Za-z0-9+/]{66}==$/);
      else expect(publicKey).toBeUndefined();
      expect(readFileSync(out).equals(readFileSync(plain))).toBe(true);
    },
  );

  test("Python decrypts what `imgsec deid` + `imgsec encrypt` made, byte for byte", () => {
    const dcm = deidentifiedFile();
    const pkg = join(work, "cli.imgsec");
    const out = join(work, "cli-py.dcm");
    const enc = runCli([
      "encrypt",
      dcm,
      pkg,
      "--dataset",
      "interop-1",
      "--keys",
      keys,
      "--no-audit",
    ]);
    seen.push(enc.stdout, enc.stderr);
    expect(enc.code).toBe(0);
    const r = python(keys, ["decrypt", "--in", pkg, "--out", out]);
    expect(r.code).toBe(0);
    const ctx = JSON.parse(r.stdout).encryption_context;
    expect(ctx["imgsec:policy-hash"]).toBe(STRICT);
    expect(ctx["imgsec:producer"]).toBe(PRODUCER);
    expect(readFileSync(out).equals(readFileSync(dcm))).toBe(true);
  });

  test("Python refuses an imgsec package under another key, and a tampered one", async () => {
    const pkg = join(work, "refuse.imgsec");
    await imgsecEncrypt(plain, pkg, context(), { suite: "signed" });
    const wrongKey = python(otherKeys, ["decrypt", "--in", pkg, "--out", join(work, "wk")]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(work, "wk"))).toBe(false);

    const bytes = readFileSync(pkg);
    bytes[bytes.length - 300] ^= 0x01; // inside the last frame's ciphertext
    const tampered = join(work, "tampered.imgsec");
    writeFileSync(tampered, bytes);
    const t = python(keys, ["decrypt", "--in", tampered, "--out", join(work, "tp")]);
    expect(t.code).toBe(1);
    expect(existsSync(join(work, "tp"))).toBe(false);
  });

  describe("a message written by Python with an imgsec context", () => {
    let dcm: string;
    const ctx = () => context({ datasetId: "interop-py" });
    const pyEncrypt = (suite: string, out: string, frameLength = 65536) => {
      const r = python(keys, [
        "encrypt",
        "--in",
        dcm,
        "--out",
        out,
        "--suite",
        suite,
        "--frame-length",
        String(frameLength),
        "--context",
        JSON.stringify(ctx()),
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    };
    beforeAll(() => {
      dcm = join(work, "py-source.bin");
      writeFileSync(dcm, randomBytes(5 * 65536 + 77));
    });

    test("`imgsec decrypt` accepts it (signed, committing) and `imgsec verify-package` passes it", () => {
      const pkg = join(work, "python.imgsec");
      pyEncrypt("signed", pkg);
      const out = join(work, "python-dec.dcm");
      const audit = join(work, "audit.jsonl");
      const dec = runCli([
        "decrypt",
        pkg,
        out,
        "--keys",
        keys,
        "--audit-log",
        audit,
        "--accept-policy",
        "strict",
        "--dataset",
        "interop-py",
        "--format",
        "json",
      ]);
      seen.push(dec.stdout, dec.stderr);
      expect(dec.code).toBe(0);
      expect(JSON.parse(dec.stdout).summary.decrypted).toBe(1);
      expect(readFileSync(out).equals(readFileSync(dcm))).toBe(true);

      const v = runCli(["verify-package", pkg, "--no-audit", "--format", "json"]);
      seen.push(v.stdout, v.stderr);
      expect(v.code).toBe(0);
      const report = JSON.parse(v.stdout);
      expect(report.packages[0].verdict).toBe("PASS");
    });

    test("decryptToFile accepts the unsigned committing suite with the policy hash expected", async () => {
      const pkg = join(work, "python-unsigned.imgsec");
      pyEncrypt("unsigned", pkg, 4096);
      const k = localKeyring(keys);
      try {
        const r = await decryptToFile(pkg, join(work, "python-unsigned.dcm"), {
          keyring: k.keyring,
          expect: { datasetId: "interop-py", policyHashes: [STRICT] },
        });
        expect(r.context).toEqual(ctx());
      } finally {
        k.release();
      }
      expect(readFileSync(join(work, "python-unsigned.dcm")).equals(readFileSync(dcm))).toBe(true);
    });

    test("a non-committing message (0x0378) is refused by decrypt and fails verify-package", async () => {
      const pkg = join(work, "legacy.imgsec");
      pyEncrypt("legacy-signed", pkg);
      const k = localKeyring(keys);
      try {
        await expect(
          decryptToFile(pkg, join(work, "legacy.dcm"), {
            keyring: k.keyring,
            expect: { policyHashes: [STRICT] },
          }),
        ).rejects.toThrow(PackageRefusedError);
      } finally {
        k.release();
      }
      expect(existsSync(join(work, "legacy.dcm"))).toBe(false);
      const v = runCli(["verify-package", pkg, "--no-audit", "--format", "json"]);
      seen.push(v.stdout, v.stderr);
      expect(v.code).toBe(1);
      const failed = JSON.parse(v.stdout)
        .packages[0].results.filter((x: { status: string }) => x.status === "FAIL")
        .map((x: { rule: string }) => x.rule);
      expect(failed).toEqual(expect.arrayContaining(["IMGSEC-PKG-001", "IMGSEC-PKG-002"]));
    });
  });
});
