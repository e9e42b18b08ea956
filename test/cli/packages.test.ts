/**
 * `imgsec encrypt`, `decrypt` and `verify-package` as a user runs them (the built CLI): the whole
 * chain deid → encrypt → verify-package → decrypt, exit codes, one-line errors, and the audit
 * trail. Every run has a temporary folder as its working directory and names its key file and
 * audit log explicitly.
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliResult, expectOneLineError, runCli } from "../helpers/cli";
import { generateCorpus } from "../dicom/corpus/generator";
import { profilePolicyHash } from "../../handlers/dicom";
import { PRODUCER, encryptToFile, localKeyring } from "../../handlers/crypto";
import { initKeyFile } from "../../handlers/keys/keyfile";

const work = mkdtempSync(join(tmpdir(), "imgsec-packages-"));
const keys = join(work, "keys.json");
const auditLog = join(work, "audit.jsonl");
const env = { IMGSEC_KEYS: keys, IMGSEC_AUDIT_LOG: auditLog };
const run = (args: string[], extra: Record<string, string | undefined> = {}): CliResult =>
  runCli(args, { cwd: work, env: { ...env, ...extra } });
const at = (...p: string[]) => join(work, ...p);

const corpus = generateCorpus();
mkdirSync(at("in"));
for (const f of corpus.files) writeFileSync(at("in", f.name), f.bytes);

/** name → sha256 of every file in a folder. */
function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((n) => [
        n,
        createHash("sha256")
          .update(readFileSync(join(dir, n)))
          .digest("hex"),
      ]),
  );
}

const noStack = (r: CliResult) => expect(r.stderr + r.stdout).not.toMatch(/\n\s+at /);
const lines = (s: string) => s.trim().split("\n");

let deidNames: string[];
let inputHashes: Record<string, string>;
let deidHashes: Record<string, string>;

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  initKeyFile(keys); // what `imgsec keys init` does (test/cli/keys.test.ts runs the command)
  inputHashes = hashes(at("in"));
  // Some corpus kinds are quarantined (burned-in text): exit 1, the rest is de-identified.
  const d = run(["deid", "in", "deid"]);
  expect([0, 1]).toContain(d.code);
  deidNames = readdirSync(at("deid")).sort();
  expect(deidNames.length).toBeGreaterThanOrEqual(10);
  deidHashes = hashes(at("deid"));
});

describe("deid → encrypt → verify-package → decrypt", () => {
  let encrypted: {
    summary: Record<string, unknown>;
    files: { status: string; output: string; package: string }[];
  };
  let verified: {
    packages: { name: string; digest: string; verdict: string; results: { status: string }[] }[];
    summary: Record<string, number>;
  };

  test("encrypt packages every de-identified file, named by its SOP Instance UID", () => {
    const r = run(["encrypt", "deid", "pk", "--dataset", "study-1", "--format", "json"]);
    noStack(r);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`audit: recorded in ${auditLog}\n`);
    encrypted = JSON.parse(r.stdout);
    expect(encrypted.summary).toMatchObject({
      inputs: deidNames.length,
      encrypted: deidNames.length,
      refused: 0,
      failed: 0,
      suite: "signed",
    });
    const pkgs = readdirSync(at("pk")).sort();
    expect(pkgs).toEqual(deidNames.map((n) => n.replace(/\.dcm$/, ".imgsec")).sort());
    for (const f of encrypted.files) {
      expect(f.status).toBe("encrypted");
      expect(f.package).toBe(
        `sha256:${createHash("sha256")
          .update(readFileSync(at("pk", f.output)))
          .digest("hex")}`,
      );
    }
  });

  test("verify-package passes every package without a key (JSON)", () => {
    const r = run(["verify-package", "pk", "--format", "json"], { IMGSEC_KEYS: undefined });
    noStack(r);
    expect(r.code).toBe(0);
    verified = JSON.parse(r.stdout);
    expect(verified.summary).toEqual({
      packages: deidNames.length,
      passed: deidNames.length,
      failed: 0,
      unusable: 0,
    });
    for (const p of verified.packages) {
      expect(p.verdict).toBe("PASS");
      expect(p.results.length).toBeGreaterThanOrEqual(10);
      expect(p.results.every((x) => x.status === "PASS")).toBe(true);
    }
    expect(verified.packages.map((p) => p.digest).sort()).toEqual(
      encrypted.files.map((f) => f.package).sort(),
    );
    // Without a key file the run is not recorded, and says so.
    expect(r.stderr).toMatch(/^audit: not recorded \(no key file/);
  });

  test("decrypt restores files byte-identical to the deid outputs, mode 0600", () => {
    const r = run(["decrypt", "pk", "out", "--dataset", "study-1", "--format", "json"]);
    noStack(r);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary).toMatchObject({
      inputs: deidNames.length,
      decrypted: deidNames.length,
      refused: 0,
    });
    expect(hashes(at("out"))).toEqual(deidHashes);
    for (const n of readdirSync(at("out"))) expect(statSync(at("out", n)).mode & 0o777).toBe(0o600);
  });

  test("a single file in, a single file out", () => {
    const one = deidNames[0];
    expect(run(["encrypt", `deid/${one}`, "one.imgsec", "--dataset", "study-1"]).code).toBe(0);
    expect(run(["decrypt", "one.imgsec", "one.dcm"]).code).toBe(0);
    expect(readFileSync(at("one.dcm")).equals(readFileSync(at("deid", one)))).toBe(true);
  });

  test("the audit log verifies intact and holds one encrypt event per package, by digest", () => {
    const v = run(["audit", "verify", auditLog, "--format", "json"]);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).intact).toBe(true);
    const records = readFileSync(auditLog, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const encrypts = records.filter((r) => r.op === "encrypt" && r.outcome === "ok");
    for (const p of verified.packages) {
      const mine = encrypts.filter((e) =>
        e.objects.some((o: { kind: string; digest?: string }) => o.digest === p.digest),
      );
      expect(mine).toHaveLength(1);
      const uid = p.name.replace(/\.imgsec$/, "");
      expect(mine[0].objects).toEqual(
        expect.arrayContaining([
          { kind: "instance", uid },
          { kind: "package", digest: p.digest },
          { kind: "dataset", id: "study-1" },
        ]),
      );
      // decrypt recorded the same package digest
      expect(
        records.some(
          (r) =>
            r.op === "decrypt" &&
            r.outcome === "ok" &&
            r.objects.some((o: { digest?: string }) => o.digest === p.digest),
        ),
      ).toBe(true);
    }
    // No file name, path or PHI in the log: only UIDs, digests and the dataset id.
    expect(readFileSync(auditLog, "utf8")).not.toMatch(/ct-utf8|\.dcm"|\/tmp\//);
  });
});

describe("refusals and exit codes", () => {
  const pkg = () => at("pk", readdirSync(at("pk")).sort()[0]);

  test("missing input: exit 2, one line", () => {
    // The path is not echoed (folder names are often patient names) unless --show-paths.
    expectOneLineError(
      run(["encrypt", "nope", "x", "--dataset", "study-1"]),
      /^imgsec: cannot read input: ENOENT$/,
    );
    expectOneLineError(
      run(["encrypt", "nope", "x", "--dataset", "study-1", "--show-paths"]),
      /^imgsec: cannot read input: ENOENT \(nope\)$/,
    );
    expectOneLineError(
      run(["verify-package", "nope.imgsec"]),
      /^imgsec: cannot read input: ENOENT$/,
    );
    expectOneLineError(
      run(["verify-package", pkg(), "nope.imgsec"]),
      /^imgsec: cannot read input #2: ENOENT$/,
    );
  });

  // (every PHI-like shape is covered in-process by test/crypto/package.test.ts)
  test.each([
    ["encrypt", "Doe^John"],
    ["encrypt", "123-45-6789"],
    ["decrypt", "MRN1234567"],
  ])("%s --dataset %j: exit 2, one line that does not echo it, nothing written", (cmd, id) => {
    const r = run([cmd, cmd === "encrypt" ? "deid" : "pk", "bad-ds", "--dataset", id]);
    expectOneLineError(r, /^imgsec: --dataset: dataset id must/);
    expect(r.stderr + r.stdout).not.toContain(id);
    expect(existsSync(at("bad-ds"))).toBe(false);
  });

  test("usage errors: --suite, --frame-length, --accept-policy, no --dataset", () => {
    expectOneLineError(
      run(["encrypt", "deid", "u1", "--dataset", "s1", "--suite", "legacy"]),
      /--suite must be signed/,
    );
    expectOneLineError(
      run(["encrypt", "deid", "u2", "--dataset", "s1", "--frame-length", "100"]),
      /--frame-length must be/,
    );
    expectOneLineError(
      run(["decrypt", "pk", "u4", "--accept-policy", "lax"]),
      /--accept-policy takes a policy hash/,
    );
    const r = run(["encrypt", "deid", "u5"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dataset/);
  });

  test("identified (not de-identified) DICOM is refused: exit 1, no package", () => {
    const all = run(["encrypt", "in", "raw-pk", "--dataset", "study-1", "--format", "json"]);
    noStack(all);
    expect(all.code).toBe(1);
    const report = JSON.parse(all.stdout);
    expect(report.summary).toMatchObject({
      inputs: corpus.files.length,
      encrypted: 0,
      refused: corpus.files.length,
    });
    for (const f of report.files) expect(f.reason).toMatch(/^not de-identified/);
    expect(readdirSync(at("raw-pk"))).toEqual([]);
    // Nothing of the input (names, PHI) is echoed.
    expect(all.stdout + all.stderr).not.toMatch(/ct-utf8|p01/);
  });

  test("--modality that differs from the file's is refused (exit 1)", () => {
    const r = run(["encrypt", "deid", "mr-only", "--dataset", "study-1", "--modality", "MR"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/--modality differs/);
  });

  test("a tampered package: decrypt refuses it (1, no output), verify-package names the rule (1)", () => {
    const bytes = readFileSync(pkg());
    bytes[bytes.length - 200] ^= 0x10;
    writeFileSync(at("tampered.imgsec"), bytes);
    const d = run(["decrypt", "tampered.imgsec", "tampered.dcm"]);
    noStack(d);
    expect(d.code).toBe(1);
    expect(d.stdout).toMatch(/refused: .*tampered/);
    expect(existsSync(at("tampered.dcm"))).toBe(false);
    expect(readdirSync(work).filter((n) => n.includes(".tmp-"))).toEqual([]);
    // The refusal is audited, naming the package by its digest.
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const last = readFileSync(auditLog, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((r) => r.op === "decrypt")
      .pop();
    expect(last.outcome).toBe("refused");
    expect(last.objects).toEqual([{ kind: "package", digest }]);

    // verify-package, with a truncated copy and an intact package beside it.
    writeFileSync(at("short.imgsec"), bytes.subarray(0, bytes.length - 300));
    const v = run(["verify-package", "tampered.imgsec", "short.imgsec", pkg()]);
    noStack(v);
    expect(v.code).toBe(1);
    const out = lines(v.stdout);
    expect(out[0]).toMatch(/^FAIL #1 sha256:[0-9a-f]{64} \(\d+ passed, 1 failed\)$/);
    expect(out[1]).toMatch(/^ {2}FAIL IMGSEC-PKG-011 \[critical\] .*signature does not verify/);
    expect(out[2]).toMatch(/^FAIL #2 /);
    expect(v.stdout).toMatch(/FAIL IMGSEC-PKG-010 \[high\]/);
    expect(v.stdout).toMatch(/^PASS 2\.25\.\d+\.imgsec /m);
    expect(out[out.length - 1]).toBe(
      "verify-package: 3 package(s): 1 passed, 2 failed, 0 unusable",
    );
  });

  test("a file that is not a package: verify-package exits 2 with one UNUSABLE line", () => {
    const r = run(["verify-package", `deid/${deidNames[0]}`]);
    noStack(r);
    expect(r.code).toBe(2);
    expect(lines(r.stdout)[0]).toMatch(
      /^UNUSABLE \S+: not an AWS Encryption SDK message \(unknown format version\)$/,
    );
    expect(lines(r.stdout)).toHaveLength(2); // that line and the summary
    // stderr: the reason in one line, then where the audit record went.
    expect(lines(r.stderr)[0]).toMatch(/^imgsec: \S+: not an AWS Encryption SDK message/);
    expect(lines(r.stderr)).toHaveLength(2);
    // A folder without packages is a usage error.
    expectOneLineError(run(["verify-package", "deid"]), /no \.imgsec packages found/);
  });

  test("wrong --dataset on decrypt: exit 1, no output", () => {
    const r = run(["decrypt", pkg(), "wrong-ds.dcm", "--dataset", "study-2"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/belongs to another dataset/);
    expect(existsSync(at("wrong-ds.dcm"))).toBe(false);
  });

  test("--accept-policy research refuses packages made under strict; the strict hash accepts", () => {
    const r = run(["decrypt", "pk", "research-out", "--accept-policy", "research"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/policy that is not accepted/);
    expect(readdirSync(at("research-out"))).toEqual([]);
    const v = run(["verify-package", "pk", "--accept-policy", "research"]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/FAIL IMGSEC-PKG-008/);
    // Strict is the default; its policy hash, even beside research, accepts.
    const strictHash = profilePolicyHash("strict");
    expect(
      run([
        "decrypt",
        pkg(),
        "strict.dcm",
        "--accept-policy",
        "research",
        "--accept-policy",
        strictHash,
      ]).code,
    ).toBe(0);
  });

  test("another key file cannot decrypt: exit 1, no output", () => {
    const other = at("other", "keys.json");
    initKeyFile(other);
    const r = run(["decrypt", pkg(), "other.dcm", "--keys", other, "--audit-log", "other.jsonl"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no key given can unwrap/);
    expect(existsSync(at("other.dcm"))).toBe(false);
  });

  test("a key file readable by others is refused: exit 2, one line, chmod 600", () => {
    const open = at("open", "keys.json");
    mkdirSync(at("open"));
    copyFileSync(keys, open);
    chmodSync(open, 0o644);
    for (const args of [
      ["encrypt", "deid", "open-pk", "--dataset", "study-1", "--keys", open],
      ["decrypt", pkg(), "open.dcm", "--keys", open],
    ]) {
      const r = run(args);
      expectOneLineError(r, /readable by group or others.*chmod 600/);
      expect(r.stderr).not.toMatch(/"material"|[A-Za-z0-9+/]{43}=/);
    }
    // (the output folder may have been created before the key file was read; it stays empty)
    expect(existsSync(at("open-pk")) ? readdirSync(at("open-pk")) : []).toEqual([]);
    expect(existsSync(at("open.dcm"))).toBe(false);
  });

  test("--no-audit: done, stderr says NOT recorded, the log is untouched", () => {
    const before = readFileSync(auditLog);
    const e = run([
      "encrypt",
      `deid/${deidNames[1]}`,
      "na.imgsec",
      "--dataset",
      "s1",
      "--no-audit",
    ]);
    expect(e.code).toBe(0);
    expect(e.stderr).toMatch(/audit: NOT recorded \(--no-audit\)/);
    expect(readFileSync(auditLog).equals(before)).toBe(true);
  });

  test("with neither IMGSEC_KEYS nor IMGSEC_AUDIT_LOG: .imgsec/ under the working folder", () => {
    const cwd = at("cwd");
    mkdirSync(cwd);
    mkdirSync(join(cwd, ".imgsec"), { mode: 0o700 });
    copyFileSync(keys, join(cwd, ".imgsec", "keys.json"));
    chmodSync(join(cwd, ".imgsec", "keys.json"), 0o600);
    const unset = { IMGSEC_KEYS: undefined, IMGSEC_AUDIT_LOG: undefined };
    const e = runCli(["encrypt", join(work, "deid", deidNames[3]), "d.imgsec", "--dataset", "s1"], {
      cwd,
      env: unset,
    });
    expect(e.code).toBe(0);
    expect(e.stderr).toMatch(/audit: recorded in .*\.imgsec\/audit\.jsonl/);
    expect(existsSync(join(cwd, "d.imgsec"))).toBe(true);
    const log = readFileSync(join(cwd, ".imgsec", "audit.jsonl"), "utf8");
    expect(log).toMatch(/"op":"encrypt"/);
  });

  test("an unsigned package passes verify-package only when the params allow unsigned suites", () => {
    const e = run([
      "encrypt",
      `deid/${deidNames[2]}`,
      "u.imgsec",
      "--dataset",
      "s1",
      "--suite",
      "unsigned",
    ]);
    expect(e.code).toBe(0);
    const v = run(["verify-package", "u.imgsec"]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/FAIL IMGSEC-PKG-003/);
    writeFileSync(at("unsigned-ok.json"), JSON.stringify({ require_signed_suite: false }));
    expect(run(["verify-package", "u.imgsec", "--params", "unsigned-ok.json"]).code).toBe(0);
  });

  test("the audit log is still intact after all of the above", () => {
    const v = run(["audit", "verify", auditLog]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/: INTACT/);
  });

  test("inputs were never modified: the identified corpus and the deid outputs", () => {
    expect(hashes(at("in"))).toEqual(inputHashes);
    expect(hashes(at("deid"))).toEqual(deidHashes);
  });
});

// Issue 9: decrypt checks the form of what it is asked to accept, and of what packages carry.
describe("decrypt: values to accept, and package contexts", () => {
  const pkg = () => at("pk", readdirSync(at("pk")).sort()[0]);

  test.each([
    "constructor",
    "__proto__",
    "toString",
    "hasOwnProperty",
    "DOE^JANE",
    "abc123",
    "z".repeat(64),
  ])("--accept-policy %j: exit 2, one line that does not echo it, nothing written", (value) => {
    const r = run(["decrypt", pkg(), "ap.dcm", "--accept-policy", value]);
    expectOneLineError(
      r,
      /^imgsec: --accept-policy takes a policy hash \(64 hex\) or a profile name/,
    );
    expect(r.stderr).not.toContain(value);
    expect(existsSync(at("ap.dcm"))).toBe(false);
  });

  test("--accept-policy takes the hash in either case", () => {
    const upper = profilePolicyHash("strict").toUpperCase();
    const r = run(["decrypt", pkg(), "upper.dcm", "--accept-policy", upper]);
    expect(r.code).toBe(0);
    expect(existsSync(at("upper.dcm"))).toBe(true);
  });

  test.each(["DOE^JANE", "MRN1234567", "1965-04-12", "x y"])(
    "--dataset %j: exit 2, one line that does not echo it, nothing written",
    (id) => {
      const r = run(["decrypt", pkg(), "ds.dcm", "--dataset", id]);
      expectOneLineError(r, /^imgsec: --dataset: dataset id must/);
      expect(r.stderr + r.stdout).not.toContain(id);
      expect(existsSync(at("ds.dcm"))).toBe(false);
    },
  );

  test("a package made elsewhere with an MRN as dataset id: refused (1), nothing written, never logged", async () => {
    const keyring = localKeyring(keys);
    try {
      const ctx = {
        "imgsec:schema": "1",
        "imgsec:dataset": "MRN1234567",
        "imgsec:modality": "CT",
        "imgsec:policy-hash": profilePolicyHash("strict"),
        "imgsec:pixel-digest": "ab".repeat(32),
        "imgsec:producer": PRODUCER,
      };
      await encryptToFile(createReadStream(at("deid", deidNames[0])), at("mrn.imgsec"), {
        keyring: keyring.keyring,
        context: ctx,
      });
      const noDataset: Record<string, string> = { ...ctx, "imgsec:dataset": "study-1" };
      delete noDataset["imgsec:dataset"];
      await encryptToFile(createReadStream(at("deid", deidNames[0])), at("nods.imgsec"), {
        keyring: keyring.keyring,
        context: noDataset,
      });
    } finally {
      keyring.release();
    }
    for (const [file, why] of [
      [
        "mrn.imgsec",
        /encryption context is refused: dataset id must not contain six or more digits/,
      ],
      ["nods.imgsec", /encryption context is refused: encryption context lacks imgsec:dataset/],
    ] as const) {
      const r = run(["decrypt", file, "ctx.dcm"]);
      noStack(r);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(why);
      expect(existsSync(at("ctx.dcm"))).toBe(false);
    }
    expect(readFileSync(auditLog, "utf8")).not.toContain("MRN1234567");
    expect(run(["audit", "verify", auditLog]).code).toBe(0);
  });
});
