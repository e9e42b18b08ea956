/**
 * File-system errors on the commands that touch images, packages and keys are said as a fixed
 * phrase, the errno code and the input's position, never with a path: folder names are often
 * patient names. `--show-paths` adds the path. The folders here are named like a (fake) patient.
 *
 * Permissions decide these errors, and root ignores them: as root, the CLI runs as `nobody` on a
 * work folder given to `nobody`.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN } from "../helpers/cli";
import { generateCorpus } from "../dicom/corpus/generator";
import { initKeyFile } from "../../handlers/keys/keyfile";

const PATIENT = "DOE^JANE_MRN123456";
const root = process.getuid?.() === 0;
const NOBODY = 65534;

const work = mkdtempSync(join(tmpdir(), "imgsec-fserr-"));
chmodSync(work, 0o755);
const at = (...p: string[]) => join(work, ...p);
const keys = at("keys.json");
const env = { IMGSEC_KEYS: keys, IMGSEC_AUDIT_LOG: at("audit.jsonl"), IMGSEC_AUDIT_S3: undefined };

function chownTree(p: string): void {
  chownSync(p, NOBODY, NOBODY);
  if (lstatSync(p).isDirectory()) for (const n of readdirSync(p)) chownTree(join(p, n));
}

/** The CLI as a user without special privileges. */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: work,
    env: { ...process.env, ...env, HOME: work },
    encoding: "utf8",
    timeout: 120_000,
    ...(root ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const corpus = generateCorpus();
const ct = corpus.files.filter(
  (f) =>
    f.info.burnedInAnnotation !== "YES" &&
    !["US", "SC"].includes(f.info.modality) &&
    !f.info.sopClassUid.startsWith("1.2.840.10008.5.1.4.1.1.7"),
);

beforeAll(() => {
  initKeyFile(keys);
  // A readable study, a deid output and packages, made before permissions are taken away.
  mkdirSync(at("study"));
  for (const f of ct.slice(0, 3)) writeFileSync(at("study", f.name), f.bytes);
  if (root) chownTree(work);
  expect(cli(["deid", "study", "deid"]).code).toBe(0);
  expect(cli(["encrypt", "deid", "pk", "--dataset", "s1"]).code).toBe(0);

  // PATIENT/ holds an unreadable image beside a readable one; PATIENT-ro/ cannot be written;
  // in-sub/PATIENT/ is a folder that cannot be listed.
  mkdirSync(at(PATIENT));
  writeFileSync(at(PATIENT, `${PATIENT}-1.dcm`), ct[0].bytes);
  writeFileSync(at(PATIENT, `${PATIENT}-2.dcm`), ct[1].bytes);
  mkdirSync(at(`${PATIENT}-ro`));
  mkdirSync(at("in-sub", PATIENT), { recursive: true });
  writeFileSync(at("in-sub", "a.dcm"), ct[0].bytes);
  writeFileSync(at("in-sub", PATIENT, "b.dcm"), ct[1].bytes);
  mkdirSync(at("pk-bad", PATIENT), { recursive: true });
  const pkg = readdirSync(at("pk"))[0];
  writeFileSync(at("pk-bad", PATIENT, pkg), Buffer.alloc(10));
  if (root) chownTree(work);
  chmodSync(at(PATIENT, `${PATIENT}-2.dcm`), 0o000);
  chmodSync(at(`${PATIENT}-ro`), 0o555);
  chmodSync(at("in-sub", PATIENT), 0o000);
  chmodSync(at("pk-bad", PATIENT, pkg), 0o000);
});

afterAll(() => {
  for (const d of [at("in-sub", PATIENT), at(`${PATIENT}-ro`)])
    if (existsSync(d)) chmodSync(d, 0o755);
});

/** Neither stream names the patient folder; stderr is one line per error, no stack. */
function expectNoName(r: { stdout: string; stderr: string }) {
  expect(r.stderr).not.toContain("DOE");
  expect(r.stderr).not.toContain("123456");
  expect(r.stdout).not.toContain("DOE");
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

describe("deid", () => {
  test("an unreadable image: that input rejected with its code, by position", () => {
    const r = cli(["deid", PATIENT, "o1", "--format", "json"]);
    expectNoName(r);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.files).toEqual([
      expect.objectContaining({ input: "#1", status: "deidentified" }),
      { input: "#2", status: "rejected", reason: "cannot read the file (EACCES)" },
    ]);
    const shown = cli(["deid", PATIENT, "o1b", "--format", "json", "--show-paths"]);
    expect(shown.stdout).toContain(`${PATIENT}-2.dcm`);
  });

  test("a folder that cannot be listed: exit 2, one line, nothing written", () => {
    const r = cli(["deid", "in-sub", "o2"]);
    expectNoName(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("imgsec: cannot read a folder in input: EACCES\n");
    expect(existsSync(at("o2"))).toBe(false);
    const shown = cli(["deid", "in-sub", "o2", "--show-paths"]);
    expect(shown.stderr).toMatch(/^imgsec: cannot read a folder in input: EACCES \(.*DOE\^JANE/);
  });

  test("an output folder that cannot be created: exit 2, one line", () => {
    const r = cli(["deid", "study", `${PATIENT}-ro/out`]);
    expectNoName(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^imgsec: cannot create the output folder: EACCES\n/);
    expect(cli(["deid", "study", `${PATIENT}-ro/out`, "--show-paths"]).stderr).toContain(PATIENT);
  });

  test("an output folder that cannot be written: every file rejected with its code (exit 1)", () => {
    const r = cli(["deid", "study", `${PATIENT}-ro`, "--format", "json"]);
    expectNoName(r);
    expect(r.code).toBe(1);
    for (const f of JSON.parse(r.stdout).files)
      expect(f.reason).toBe("cannot write the output (EACCES)");
    expect(readdirSync(at(`${PATIENT}-ro`))).toEqual([]);
  });

  test("a missing input: exit 2, one line without the path", () => {
    const r = cli(["deid", `${PATIENT}/missing`, "o3"]);
    expectNoName(r);
    expect(r.stderr).toBe("imgsec: cannot read input: ENOENT\n");
    expect(r.code).toBe(2);
  });

  test("a --map-out that cannot be written: exit 2, one line, before any output exists", () => {
    const r = cli(["deid", "study", "o4", "--map-out", `${PATIENT}-ro/map.json`]);
    expectNoName(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^imgsec: cannot write the --map-out file: EACCES\n/);
    expect(existsSync(at("o4")) ? readdirSync(at("o4")) : []).toEqual([]);
  });
});

describe("encrypt, decrypt, verify-package", () => {
  test("encrypt: an unreadable image fails by position; an uncreatable output is one line", () => {
    const r = cli(["encrypt", PATIENT, "pk2", "--dataset", "s1", "--format", "json"]);
    expectNoName(r);
    expect(r.code).toBe(1);
    const files = JSON.parse(r.stdout).files;
    expect(files[1]).toEqual({
      input: "#2",
      status: "failed",
      reason: "cannot read the input (EACCES)",
    });
    const o = cli(["encrypt", "deid", `${PATIENT}-ro/pk`, "--dataset", "s1"]);
    expectNoName(o);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/^imgsec: cannot create the output folder: EACCES\n/);
  });

  test("decrypt into a folder that cannot be written: failed (cannot write), not 'tampered'", () => {
    const r = cli(["decrypt", "pk", `${PATIENT}-ro`, "--format", "json"]);
    expectNoName(r);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.summary).toMatchObject({ decrypted: 0, refused: 0, failed: 3 });
    for (const f of report.files) expect(f.reason).toBe("cannot write the output (EACCES)");
  });

  test("verify-package: an unreadable package is UNUSABLE with its code, by position", () => {
    const r = cli(["verify-package", "pk-bad"]);
    expectNoName(r);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toMatch(/^imgsec: \S+: cannot read package: EACCES$/);
    const shown = cli(["verify-package", "pk-bad", "--show-paths"]);
    expect(shown.stdout + shown.stderr).toContain(PATIENT);
  });
});

describe("keys", () => {
  test("keys public --out into a folder that cannot be written: one line without the path", () => {
    const r = cli(["keys", "public", "--out", `${PATIENT}-ro/audit.pub.pem`]);
    expectNoName(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("imgsec: cannot write the --out file: EACCES\n");
    const shown = cli(["keys", "public", "--out", `${PATIENT}-ro/audit.pub.pem`, "--show-paths"]);
    expect(shown.stderr).toContain(PATIENT);
  });
});

describe("every --out (one helper: writeOutFile)", () => {
  beforeAll(() => {
    const tf = { resource: { aws_sns_topic: { t: { name: "t" } } } };
    writeFileSync(at("stack.tf.json"), JSON.stringify(tf), { mode: 0o644 });
  });

  test.each([
    ["audit public-key", ["audit", "public-key", "--out", `${PATIENT}-ro/a.pem`]],
    ["audit head", ["audit", "head", "--out", `${PATIENT}-ro/run.head`]],
    ["check", ["check", "stack.tf.json", "--out", `${PATIENT}-ro/r.json`]],
  ])("%s into a folder that cannot be written: one line without the path", (_name, args) => {
    const r = cli(args);
    expectNoName(r);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("imgsec: "))).toEqual([
      "imgsec: cannot write the --out file: EACCES",
    ]);
  });
});
