/**
 * `imgsec run`: the per-object job over a folder. Packages only in the output (no plaintext), each
 * verifying without a key; a rerun packages nothing new; refused inputs reported by position, the
 * input folder never changed; exit codes 0/1/2 with one-line errors; no planted PHI in anything
 * printed or written.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectOneLineError, runCli } from "../helpers/cli";
import { generateCorpus, malformed } from "../dicom/corpus/generator";

const work = mkdtempSync(join(tmpdir(), "imgsec-run-"));
const keys = join(work, "keys.json");
const corpus = generateCorpus();
const planted = corpus.planted.map((p) => p.value).filter((v) => v.length >= 6);
let seq = 0;

function inputs(files: { name: string; bytes: Buffer }[]): string {
  const dir = join(work, `in-${++seq}`);
  mkdirSync(join(dir, "sub"), { recursive: true });
  files.forEach((f) => writeFileSync(join(dir, f.name), f.bytes));
  return dir;
}

const run = (input: string, output: string, extra: string[] = []) => {
  const r = runCli([
    "run",
    input,
    output,
    "--dataset",
    "run-test",
    "--keys",
    keys,
    "--audit-log",
    join(work, "audit.jsonl"),
    ...extra,
  ]);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r;
};

beforeAll(() => {
  expect(runCli(["keys", "init", "--keys", keys]).code).toBe(0);
});

describe("imgsec run", () => {
  const files = corpus.files.slice(0, 6).map((f, i) => ({
    name: i % 2 ? `sub/${f.name}` : f.name,
    bytes: f.bytes,
  }));

  test("packages only, each verifying; rerun packages nothing new; input unchanged", () => {
    const dir = inputs(files);
    const before = readdirSync(join(dir, "sub")).length + readdirSync(dir).length;
    const out = join(work, `out-${seq}`);
    const r = run(dir, out, ["--format", "json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.summary).toMatchObject({ inputs: 6, packaged: 6, failed: 0 });
    const packages = readdirSync(out).filter((n) => !n.startsWith("."));
    expect(packages).toHaveLength(6);
    expect(packages.every((n) => /^2\.25\.\d+\.imgsec$/.test(n))).toBe(true);
    // No plaintext anywhere in the output: no DICOM preamble in any file.
    for (const n of packages) {
      const b = readFileSync(join(out, n));
      expect(b.includes(Buffer.from("DICM"))).toBe(false);
      for (const p of planted) expect(b.includes(Buffer.from(p, "latin1"))).toBe(false);
    }
    const v = runCli(["verify-package", out]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/6 passed, 0 failed/);
    // Again: nothing new, same files.
    const mtimes = packages.map((n) => statSync(join(out, n)).mtimeMs);
    const again = JSON.parse(run(dir, out, ["--format", "json"]).stdout);
    expect(again.summary).toMatchObject({ packaged: 0, "already-packaged": 6 });
    expect(packages.map((n) => statSync(join(out, n)).mtimeMs)).toEqual(mtimes);
    expect(readdirSync(join(dir, "sub")).length + readdirSync(dir).length).toBe(before);
    const printed = r.stdout + r.stderr;
    for (const p of planted) expect(printed).not.toContain(p);
    for (const f of files) expect(printed).not.toContain(f.name);
  });

  test("refused inputs: reported by position with a code, exit 1, left where they are", () => {
    const bad = malformed().find((m) => m.kind === "not-dicom")!;
    const dir = inputs([files[0], { name: "zz-bad.dcm", bytes: bad.bytes }]);
    const r = run(dir, join(work, `out-${seq}`));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/packaged 1,.*rejected 1/);
    expect(r.stdout).toMatch(/#2: rejected \([a-z0-9-]+\)/);
    expect(readFileSync(join(dir, "zz-bad.dcm"))).toEqual(bad.bytes);
  });

  test("unusable arguments are exit 2 with one line", () => {
    const dir = inputs([files[0]]);
    expectOneLineError(run(dir, join(dir, "out")), /outside the input folder/);
    expectOneLineError(run(join(dir, files[0].name), join(work, "o")), /input must be a folder/);
    expectOneLineError(
      runCli(["run", dir, join(work, "o2"), "--dataset", "MRN123456", "--keys", keys]),
      /--dataset: .*six or more digits/,
    );
    expectOneLineError(run(join(work, "missing"), join(work, "o3")), /cannot read input/);
  });
});
