import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectOneLineError, runCli } from "../helpers/cli";
import { generateCorpus, malformed } from "../dicom/corpus/generator";
import { formatLeaks, scanForLeaks } from "../dicom/corpus/leak-scanner";
import { fakeCt, part10, str } from "../dicom/engine/helpers";

const which = (cmd: string) => {
  const r = spawnSync("bash", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

const work = mkdtempSync(join(tmpdir(), "imgsec-deid-"));
const input = join(work, "in");
const keys = join(work, "keys.json");
const corpus = generateCorpus();
mkdirSync(input);
for (const f of corpus.files) writeFileSync(join(input, f.name), f.bytes);
const inputBytes = () => readdirSync(input).map((n) => readFileSync(join(input, n)));

beforeAll(() => {
  expect(runCli(["keys", "init", "--keys", keys]).code).toBe(0);
});

const outputs = (dir: string) =>
  readdirSync(dir).map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));

describe("imgsec deid on the planted-PHI corpus", () => {
  const out = join(work, "out");
  let r: ReturnType<typeof runCli>;
  const before = inputBytes();
  beforeAll(() => {
    r = runCli(["deid", input, out, "--keys", keys, "--jobs", "2", "--format", "json"]);
  });

  test("de-identifies every image, quarantines burned-in kinds, exit 1 with a PHI-free summary", () => {
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.summary.inputs).toBe(corpus.files.length);
    const burned = corpus.files.filter(
      (f) =>
        f.info.burnedInAnnotation === "YES" ||
        ["US", "SC"].includes(f.info.modality) ||
        f.info.sopClassUid.startsWith("1.2.840.10008.5.1.4.1.1.7"), // Secondary Capture classes
    ).length;
    expect(report.summary.quarantined).toBe(burned);
    expect(report.summary.deidentified).toBe(corpus.files.length - burned);
    expect(report.files.every((f: { input: string }) => /^#\d+$/.test(f.input))).toBe(true);
  });

  test("the leak scanner finds no planted value in any output byte or anything printed", () => {
    const leaks = scanForLeaks(
      [...outputs(out), { name: "stdout", bytes: r.stdout }, { name: "stderr", bytes: r.stderr }],
      corpus.planted,
    );
    if (leaks.length) throw new Error(formatLeaks(leaks));
    expect(leaks).toEqual([]);
  });

  test("the scanner does find the planted values in the inputs (it can fail)", () => {
    expect(scanForLeaks(outputs(input), corpus.planted).length).toBeGreaterThan(100);
  });

  test("outputs are named by new 2.25 UIDs and inputs are unchanged", () => {
    for (const o of readdirSync(out)) expect(o).toMatch(/^2\.25\.\d{1,59}\.dcm$/);
    expect(inputBytes()).toEqual(before);
  });

  test("a second run gives byte-identical outputs (UIDs and pseudonyms are keyed, not random)", () => {
    const out2 = join(work, "out2");
    runCli(["deid", input, out2, "--keys", keys, "--jobs", "1"]);
    expect(outputs(out2)).toEqual(outputs(out));
  });

  const dcmdump = which("dcmdump");
  (dcmdump || process.env.CI === "true" ? test : test.skip)(
    "dcmtk's dcmdump reads every output",
    () => {
      if (!dcmdump)
        throw new Error(
          "dcmdump (dcmtk) is missing: scripts/setup-dicom-tools.sh could not install it",
        );
      for (const o of readdirSync(out)) {
        const d = spawnSync(dcmdump, ["-q", join(out, o)], { encoding: "utf8" });
        expect(d.status).toBe(0);
        expect(d.stdout).toMatch(/\(0012,0062\) CS \[YES\]/);
      }
    },
  );
  if (!dcmdump && process.env.CI !== "true")
    console.warn("SKIPPED: dcmdump readback: dcmtk is not installed");
});

describe("imgsec deid inputs and usage", () => {
  test("malformed files get a fixed per-file reason and the rest is still done", () => {
    const dir = join(work, "bad");
    mkdirSync(dir);
    const cases = malformed();
    cases.forEach((c, i) => writeFileSync(join(dir, `case-${i}`), c.bytes));
    writeFileSync(join(dir, "good.dcm"), corpus.files[0].bytes);
    const r = runCli(["deid", dir, join(work, "bad-out"), "--keys", keys, "--format", "json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.summary.deidentified).toBeGreaterThanOrEqual(1);
    expect(report.summary.rejected).toBeGreaterThanOrEqual(cases.length - 2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    for (const n of readdirSync(join(work, "bad-out"))) expect(n).not.toMatch(/^\.imgsec-tmp-/);
  });

  test("a missing key file is a clear error, never a generated key", () => {
    expectOneLineError(
      runCli(["deid", input, join(work, "nokey"), "--keys", join(work, "none.json")]),
      /^imgsec: no key file at .*imgsec keys init/,
    );
    expect(() => statSync(join(work, "none.json"))).toThrow();
  });

  test("unknown options and profiles are usage errors", () => {
    expectOneLineError(
      runCli(["deid", input, join(work, "o3"), "--keys", keys, "--option", "keep-everything"]),
      /^imgsec: unknown option "keep-everything"/,
    );
    expectOneLineError(
      runCli(["deid", input, join(work, "o4"), "--keys", keys, "--profile", "lax"]),
      /^imgsec: unknown profile "lax"/,
    );
  });

  test("--map-out keeps random codes in a 0600 mapping file, consistent across runs", () => {
    const map = join(work, "map.json");
    const a = runCli(["deid", input, join(work, "m1"), "--keys", keys, "--map-out", map]);
    expect(a.code).toBe(1);
    expect(statSync(map).mode & 0o777).toBe(0o600);
    const first = readFileSync(map, "utf8");
    runCli(["deid", input, join(work, "m2"), "--keys", keys, "--map-out", map]);
    expect(readFileSync(map, "utf8")).toBe(first);
    expect(outputs(join(work, "m2"))).toEqual(outputs(join(work, "m1")));
  });
});

// Issue 9: fail closed, claim only what holds.
describe("imgsec deid --option retain-uids: audited by keyed digest, never by the kept UID", () => {
  const burnedIn = (f: (typeof corpus.files)[number]) =>
    f.info.burnedInAnnotation === "YES" ||
    ["US", "SC"].includes(f.info.modality) ||
    f.info.sopClassUid.startsWith("1.2.840.10008.5.1.4.1.1.7");
  // The corpus's UIDs are 2.25 ones; real scanners' are not (e.g. 1.2.826...): both kinds.
  const scanner = [1, 2, 3].map((i) => {
    const uid = `1.2.826.0.1.3680043.10.999.7.${i}`;
    const ds = fakeCt({
      "00080018": str("UI", uid),
      "0020000D": str("UI", "1.2.826.0.1.3680043.10.999.7"),
      "0020000E": str("UI", "1.2.826.0.1.3680043.10.999.7.0"),
    });
    return {
      name: `scanner-${i}.dcm`,
      bytes: part10(ds),
      info: {
        sopInstanceUid: uid,
        studyInstanceUid: "1.2.826.0.1.3680043.10.999.7",
        seriesInstanceUid: "1.2.826.0.1.3680043.10.999.7.0",
      },
    };
  });
  const clean = [...corpus.files.filter((f) => !burnedIn(f)), ...scanner];
  const dir = join(work, "ru");
  const log = join(work, "ru-audit.jsonl");
  let r: ReturnType<typeof runCli>;
  beforeAll(() => {
    mkdirSync(join(dir, "in"), { recursive: true });
    for (const f of clean) writeFileSync(join(dir, "in", f.name), f.bytes);
    r = runCli(
      [
        "deid",
        join(dir, "in"),
        join(dir, "out"),
        "--keys",
        keys,
        "--audit-log",
        log,
        "--option",
        "retain-uids",
        "--jobs",
        "2",
        "--format",
        "json",
      ],
      { env: { IMGSEC_AUDIT_S3: undefined } },
    );
  });

  test("exits 0 and writes every output, named by the kept UID", () => {
    expect(r.stderr).not.toMatch(/refused|internal error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.summary.deidentified).toBe(clean.length);
    expect(readdirSync(join(dir, "out")).sort()).toEqual(
      clean.map((f) => `${f.info.sopInstanceUid}.dcm`).sort(),
    );
  });

  test("the audit log verifies and records each object by a keyed digest of its UID", () => {
    const v = runCli(["audit", "verify", log, "--keys", keys, "--format", "json"]);
    expect(v.code).toBe(0);
    const text = readFileSync(log, "utf8");
    const events = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === "event" && e.op === "deid");
    expect(events).toHaveLength(clean.length);
    const digests = events.map((e) => {
      expect(e.outcome).toBe("ok");
      const kept = e.objects.filter((o: { kind: string }) => o.kind === "retained-instance");
      expect(kept).toHaveLength(1);
      expect(e.objects.some((o: { kind: string }) => o.kind === "instance")).toBe(false);
      expect(kept[0].digest).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      return kept[0].digest;
    });
    expect(new Set(digests).size).toBe(clean.length);
    // No original UID of any kind (instance, study, series) anywhere in the log.
    for (const f of clean)
      for (const uid of [f.info.sopInstanceUid, f.info.studyInstanceUid, f.info.seriesInstanceUid])
        expect(text).not.toContain(uid);
  });
});

describe("--map-out inside the output or the input is refused before anything is written", () => {
  const base = join(work, "mo");
  const src = join(base, "in");
  const out = join(base, "out");
  const log = join(base, "audit.jsonl");
  beforeAll(() => {
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "a.dcm"), corpus.files[0].bytes);
    mkdirSync(join(base, "elsewhere"));
    symlinkSync(out, join(base, "link-to-out"));
    symlinkSync(src, join(base, "link-to-in"));
  });

  test.each([
    ["in the output folder", () => join(out, "map.json")],
    ["in the output folder, relative with ..", () => "mo/elsewhere/../out/map.json"],
    ["in a subfolder of the output", () => join(out, "sub", "deeper", "map.json")],
    ["in the output folder through a symlink", () => join(base, "link-to-out", "map.json")],
    ["in the input folder", () => join(src, "map.json")],
    ["in the input folder through a symlink", () => join(base, "link-to-in", "map.json")],
  ])("%s: exit 2, one line, no output folder, no mapping, no audit record", (_what, mapOut) => {
    const r = runCli(
      ["deid", src + "/", out + "/", "--keys", keys, "--audit-log", log, "--map-out", mapOut()],
      { cwd: work },
    );
    expectOneLineError(r, /^imgsec: --map-out must be outside the output and input folders/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(src)).toEqual(["a.dcm"]);
    expect(existsSync(log)).toBe(false);
  });

  test("beside them it is accepted", () => {
    const r = runCli([
      "deid",
      src,
      out,
      "--keys",
      keys,
      "--audit-log",
      log,
      "--map-out",
      join(base, "elsewhere", "map.json"),
    ]);
    expect(r.code).toBe(0);
    expect(existsSync(join(base, "elsewhere", "map.json"))).toBe(true);
    expect(readdirSync(out).every((n) => n.endsWith(".dcm"))).toBe(true);
  });

  test("unknown profile names that are Object properties are usage errors", () => {
    for (const p of ["constructor", "__proto__", "toString"])
      expectOneLineError(
        runCli(["deid", src, join(base, "p"), "--keys", keys, "--profile", p]),
        /^imgsec: unknown profile/,
      );
  });
});
