/**
 * Issue 10, "nothing lost silently": every input of `imgsec deid` ends as exactly one of
 * de-identified, duplicate, conflict, quarantined or rejected, and the counts are the files on
 * disk. Two inputs with one SOP Instance UID never become one output silently: the same bytes are
 * a duplicate (written once), other bytes a conflict (reported by position, not written, nothing
 * replaced), within a run (one thread or several) and across runs into the same folder.
 */
import { spawn } from "node:child_process";
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
import { commitNoClobberDurably } from "../../handlers/fs/atomic";
import { DeidReport, DeidSummary, runPool } from "../../cli/deid";
import { FileOutcome, OutputClaims } from "../../handlers/job/deid-file";
import { BIN, CliResult, ROOT, runCli } from "../helpers/cli";
import { GeneratedFile, findExplicitElement, generateCorpus } from "../dicom/corpus/generator";
import { EXPLICIT, IMPLICIT, fakeCt, part10 } from "../dicom/engine/helpers";

// Required, not imported: the spies must replace the properties the helper calls through.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require("node:fs") as typeof import("node:fs");

const work = mkdtempSync(join(tmpdir(), "imgsec-conflicts-"));
const keys = join(work, "keys.json");
const corpus = generateCorpus();
const burnedIn = (f: GeneratedFile) =>
  f.info.burnedInAnnotation === "YES" ||
  ["US", "SC"].includes(f.info.modality) ||
  f.info.sopClassUid.startsWith("1.2.840.10008.5.1.4.1.1.7");
const clean = corpus.files.filter((f) => !burnedIn(f));
// A native explicit VR image: a pixel byte can change while everything else, the UID included,
// stays; the engine copies pixel data as it is, so the output changes too.
const ct = clean.find((f) => findExplicitElement(f.bytes, 0x7fe00010, "OW") > 0)!;
const other = clean.find((f) => f !== ct && f.info.modality === "CT")!;

/** `f`'s bytes with one pixel byte changed: another object with the same SOP Instance UID. */
function changed(f: GeneratedFile, n = 1): Buffer {
  const b = Buffer.from(f.bytes);
  const at = findExplicitElement(b, 0x7fe00010, "OW") + 12;
  b[at] ^= n;
  return b;
}

let seq = 0;
/** A fresh folder of inputs, written in order: names a.dcm, b.dcm... sort as given. */
function inputs(files: Buffer[], names?: string[]): string {
  const dir = join(work, `in-${++seq}`);
  mkdirSync(dir);
  files.forEach((b, i) =>
    writeFileSync(join(dir, names?.[i] ?? `${String(i).padStart(3, "0")}.dcm`), b),
  );
  return dir;
}

function deid(
  input: string,
  output: string,
  extra: string[] = [],
): { r: CliResult; report: DeidReport; log: string } {
  const log = join(work, `audit-${++seq}.jsonl`);
  const r = runCli(
    ["deid", input, output, "--keys", keys, "--audit-log", log, "--format", "json", ...extra],
    { env: { IMGSEC_AUDIT_S3: undefined } },
  );
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { r, report: JSON.parse(r.stdout) as DeidReport, log };
}

const dcmFiles = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith(".dcm") && !n.startsWith("."))
    .sort();

/** The invariant: every input counted once; outputs on disk = earlier ones + this run's. */
function expectCountsMatchDisk(report: DeidReport, output: string): void {
  const s = report.summary;
  expect(s.deidentified + s.duplicates + s.conflicts + s.quarantined + s.rejected).toBe(s.inputs);
  expect(report.files).toHaveLength(s.inputs);
  expect(dcmFiles(output)).toHaveLength(s.existingOutputs + s.deidentified);
  // No temporary names left, no other folder (conflicts are not written anywhere).
  expect(readdirSync(output).filter((n) => !n.endsWith(".dcm") || n.startsWith("."))).toEqual([]);
  for (const st of ["deidentified", "duplicate", "conflict", "quarantined", "rejected"]) {
    const key = { duplicate: "duplicates", conflict: "conflicts" }[st] ?? st;
    expect(report.files.filter((f) => f.status === st)).toHaveLength(
      s[key as Exclude<keyof DeidSummary, "options">],
    );
  }
  const written = report.files.filter((f) => f.status === "deidentified").map((f) => f.output);
  expect(new Set(written).size).toBe(written.length);
}

/** The deid events of an audit log, in order. */
function deidEvents(log: string): { outcome: string; details: Record<string, unknown> }[] {
  return readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === "event" && e.op === "deid");
}

/** The output of one object alone, in a folder of its own (the engine is deterministic). */
function alone(bytes: Buffer, extra: string[] = []): Buffer {
  const out = join(work, `alone-${++seq}`);
  const { report } = deid(inputs([bytes]), out, extra);
  expect(report.summary.deidentified).toBe(1);
  return readFileSync(join(out, report.files[0].output!));
}

beforeAll(() => {
  expect(runCli(["keys", "init", "--keys", keys]).code).toBe(0);
});

describe.each([["1"], ["2"]])("one run, --jobs %s", (jobs) => {
  test("the same file twice: one output, the second a duplicate of the first, exit 0", () => {
    const out = join(work, `dup-${jobs}`);
    const { r, report, log } = deid(inputs([ct.bytes, other.bytes, ct.bytes]), out, [
      "--jobs",
      jobs,
    ]);
    expect(r.code).toBe(0);
    expect(report.summary).toMatchObject({
      inputs: 3,
      deidentified: 2,
      duplicates: 1,
      conflicts: 0,
      existingOutputs: 0,
    });
    expectCountsMatchDisk(report, out);
    const dup = report.files.find((f) => f.status === "duplicate")!;
    const first = report.files.find((f) => f.output === dup.output && f !== dup)!;
    expect(first.status).toBe("deidentified");
    expect(dup).toEqual({
      input: dup.input,
      status: "duplicate",
      reason: "identical to another input",
      output: first.output,
      other: first.input,
    });
    expect(readFileSync(join(out, dup.output!))).toEqual(alone(ct.bytes));
    expect(
      deidEvents(log)
        .map((e) => [e.outcome, e.details.status])
        .sort(),
    ).toEqual([
      ["ok", "deidentified"],
      ["ok", "deidentified"],
      ["ok", "duplicate"],
    ]);
  });

  test("two objects with one SOP Instance UID: one output, the other a conflict by position, exit 1", () => {
    const out = join(work, `conflict-${jobs}`);
    const a = ct.bytes;
    const b = changed(ct);
    const { r, report, log } = deid(
      inputs([a, other.bytes, b], ["a-DOE^JANE.dcm", "b.dcm", "c-DOE^JANE.dcm"]),
      out,
      ["--jobs", jobs],
    );
    expect(r.code).toBe(1);
    expect(report.summary).toMatchObject({
      inputs: 3,
      deidentified: 2,
      duplicates: 0,
      conflicts: 1,
    });
    expectCountsMatchDisk(report, out);
    const conflict = report.files.find((f) => f.status === "conflict")!;
    const winner = report.files.find((f) => f.output === conflict.output && f !== conflict)!;
    expect(winner.status).toBe("deidentified");
    expect(conflict).toMatchObject({
      reason: "same SOP Instance UID as another input, other content",
      other: winner.input,
    });
    expect([conflict.input, winner.input].sort()).toEqual(["#1", "#3"]);
    // The output is the winner's, whole: never the loser's, never a mix.
    const kept = readFileSync(join(out, conflict.output!));
    expect(kept).toEqual(alone(winner.input === "#1" ? a : b));
    if (jobs === "1") expect(winner.input).toBe("#1"); // one thread: the first input wins
    // Inputs by position only, never by name.
    expect(r.stdout + r.stderr).not.toContain("DOE");
    const events = deidEvents(log);
    expect(events).toHaveLength(3);
    expect(events.filter((e) => e.details.status === "conflict")).toEqual([
      expect.objectContaining({
        outcome: "refused",
        details: expect.objectContaining({ existing: false }),
      }),
    ]);
  });
});

describe("the text summary", () => {
  test("counts each outcome and names conflicts by position, paths only with --show-paths", () => {
    const dir = inputs(
      [ct.bytes, ct.bytes, changed(ct)],
      ["DOE^JANE-a.dcm", "DOE^JANE-b.dcm", "DOE^JANE-c.dcm"],
    );
    const out = join(work, "text");
    const r = runCli(["deid", dir, out, "--keys", keys, "--jobs", "1"], {
      env: { IMGSEC_AUDIT_S3: undefined },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^de-identified 1, duplicates 1, conflicts 1, quarantined 0, rejected 0 \(of 3 inputs/,
    );
    expect(r.stdout).toContain("  input #2: duplicate: identical to another input (input #1)\n");
    expect(r.stdout).toContain(
      "  input #3: conflict: same SOP Instance UID as another input, other content (input #1): not written\n",
    );
    expect(r.stdout + r.stderr).not.toContain("DOE");
    const shown = runCli(
      ["deid", dir, join(work, "text2"), "--keys", keys, "--jobs", "1", "--show-paths"],
      {
        env: { IMGSEC_AUDIT_S3: undefined },
      },
    );
    expect(shown.stdout).toContain("input DOE^JANE-c.dcm: conflict:");
    expect(shown.stdout).toContain("(input DOE^JANE-a.dcm)");
  });
});

describe("a second run into the same output folder", () => {
  const out = join(work, "rerun");
  let dir: string;
  let first: DeidReport;
  let before: Map<string, { ino: number; mtimeMs: number; bytes: Buffer }>;
  const snapshot = () =>
    new Map(
      dcmFiles(out).map((n) => {
        const st = statSync(join(out, n));
        return [n, { ino: st.ino, mtimeMs: st.mtimeMs, bytes: readFileSync(join(out, n)) }];
      }),
    );
  beforeAll(() => {
    dir = inputs(corpus.files.map((f) => f.bytes));
    first = deid(dir, out, ["--jobs", "2"]).report;
    before = snapshot();
  });

  test("the first run: de-identified and quarantined, counts match the disk", () => {
    expect(first.summary.deidentified).toBe(clean.length);
    expect(first.summary.duplicates + first.summary.conflicts).toBe(0);
    expectCountsMatchDisk(first, out);
  });

  test("the same inputs again: every output a duplicate, nothing rewritten, exit 0 if only duplicates", () => {
    const { r, report, log } = deid(inputs(clean.map((f) => f.bytes)), out, ["--jobs", "2"]);
    expect(r.code).toBe(0);
    expect(report.summary).toMatchObject({
      inputs: clean.length,
      deidentified: 0,
      duplicates: clean.length,
      conflicts: 0,
      existingOutputs: clean.length,
    });
    expectCountsMatchDisk(report, out);
    for (const f of report.files)
      expect(f).toMatchObject({
        status: "duplicate",
        reason: "identical to an output already in the folder",
        other: "existing",
      });
    expect(snapshot()).toEqual(before); // same inodes, same times, same bytes
    for (const e of deidEvents(log))
      expect(e).toMatchObject({ outcome: "ok", details: { status: "duplicate", existing: true } });
  });

  test("the text summary of a resumed run counts the duplicates and says what was there", () => {
    const r = runCli(["deid", dir, out, "--keys", keys, "--jobs", "1"], {
      env: { IMGSEC_AUDIT_S3: undefined },
    });
    expect(r.code).toBe(1); // the burned-in kinds are quarantined again
    expect(r.stdout).toContain(
      `de-identified 0, duplicates ${clean.length}, conflicts 0, quarantined ${corpus.files.length - clean.length}, rejected 0`,
    );
    expect(r.stdout).toContain(
      `outputs: 0 written by this run, ${clean.length} already there before it (none replaced)`,
    );
    expect(r.stdout).not.toMatch(/input #\d+: duplicate/);
    expect(snapshot()).toEqual(before);
  });

  test.each([["1"], ["3"]])(
    "a changed object with the same UID (--jobs %s): a conflict with the earlier output, which stays",
    (jobs) => {
      const { r, report, log } = deid(
        inputs([other.bytes, changed(ct, jobs === "1" ? 1 : 2)]),
        out,
        ["--jobs", jobs],
      );
      expect(r.code).toBe(1);
      expect(report.summary).toMatchObject({ deidentified: 0, duplicates: 1, conflicts: 1 });
      expectCountsMatchDisk(report, out);
      expect(report.files[1]).toEqual({
        input: "#2",
        status: "conflict",
        reason: "same SOP Instance UID as an output already in the folder, other content",
        output: report.files[1].output,
        other: "existing",
      });
      expect(snapshot()).toEqual(before);
      // Records are appended as outcomes arrive: sorted by status here.
      const events = deidEvents(log).sort((x, y) =>
        String(x.details.status).localeCompare(String(y.details.status)),
      );
      expect(events).toMatchObject([
        { outcome: "refused", details: { status: "conflict", existing: true } },
        { outcome: "ok", details: { status: "duplicate", existing: true } },
      ]);
    },
  );

  test("new objects among old ones: only the new ones are written", () => {
    const extra = changed(other, 4); // other's UID is taken: a conflict
    const fresh = corpus.files.filter(burnedIn).map((f) => f.bytes); // quarantined again
    const { report } = deid(
      inputs([...clean.slice(0, 3).map((f) => f.bytes), extra, ...fresh]),
      out,
    );
    expectCountsMatchDisk(report, out);
    expect(report.summary).toMatchObject({
      deidentified: 0,
      duplicates: 3,
      conflicts: 1,
      quarantined: fresh.length,
      existingOutputs: clean.length,
    });
  });
});

describe("many workers, many copies", () => {
  test("copies and variants of one UID among a corpus (--jobs 4): one output per UID", () => {
    const out = join(work, "many");
    const files = [
      ...clean.map((f) => f.bytes),
      ...Array.from({ length: 6 }, () => ct.bytes),
      ...[1, 2, 4].map((n) => changed(ct, n)),
      ...clean.slice(0, 5).map((f) => f.bytes),
    ];
    const { r, report } = deid(inputs(files), out, ["--jobs", "4"]);
    expect(r.code).toBe(1);
    expectCountsMatchDisk(report, out);
    expect(report.summary).toMatchObject({
      inputs: files.length,
      deidentified: clean.length,
      conflicts: 3,
      duplicates: 6 + 5,
    });
  });

  test("two processes into one folder at once: no output written twice, counts add up", async () => {
    const out = join(work, "two-procs");
    const dir = inputs([...clean.map((f) => f.bytes), ...clean.map((f) => f.bytes)]);
    const run = () =>
      new Promise<DeidReport>((resolve, reject) => {
        const p = spawn(
          process.execPath,
          [BIN, "deid", dir, out, "--keys", keys, "--jobs", "2", "--format", "json", "--no-audit"],
          { env: { ...process.env, IMGSEC_AUDIT_S3: undefined } },
        );
        let stdout = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.on("error", reject);
        p.on("close", () => {
          try {
            resolve(JSON.parse(stdout) as DeidReport);
          } catch (e) {
            reject(e);
          }
        });
      });
    const [a, b] = await Promise.all([run(), run()]);
    for (const rep of [a, b]) {
      expect(rep.summary.conflicts + rep.summary.rejected + rep.summary.quarantined).toBe(0);
      expect(rep.summary.deidentified + rep.summary.duplicates).toBe(2 * clean.length);
    }
    expect(a.summary.deidentified + b.summary.deidentified).toBe(clean.length);
    expect(dcmFiles(out)).toHaveLength(clean.length);
  });
});

describe("--option retain-uids", () => {
  test("outputs named by the kept UID: duplicates, conflicts and a second run alike", () => {
    const out = join(work, "ru");
    const first = deid(inputs([ct.bytes, ct.bytes, changed(ct), other.bytes]), out, [
      "--option",
      "retain-uids",
      "--jobs",
      "2",
    ]);
    expect(first.r.code).toBe(1);
    expect(first.report.summary).toMatchObject({ deidentified: 2, duplicates: 1, conflicts: 1 });
    expectCountsMatchDisk(first.report, out);
    expect(dcmFiles(out)).toEqual(
      [`${ct.info.sopInstanceUid}.dcm`, `${other.info.sopInstanceUid}.dcm`].sort(),
    );
    // The audit log names objects by keyed digest only, duplicates and conflicts too.
    const text = readFileSync(first.log, "utf8");
    expect(text).not.toContain(ct.info.sopInstanceUid);
    expect(
      deidEvents(first.log)
        .map((e) => e.details.status)
        .sort(),
    ).toEqual(["conflict", "deidentified", "deidentified", "duplicate"]);

    const again = deid(inputs([ct.bytes, changed(ct, 8)]), out, ["--option", "retain-uids"]);
    expect(again.r.code).toBe(1);
    expect(again.report.files.map((f) => [f.status, f.other])).toEqual([
      ["duplicate", "existing"],
      ["conflict", "existing"],
    ]);
    expectCountsMatchDisk(again.report, out);
    expect(runCli(["audit", "verify", again.log, "--keys", keys]).code).toBe(0);
  });
});

describe("two encodings of one instance", () => {
  // One SOP Instance UID, written once in explicit and once in implicit VR: other bytes out.
  const explicit = part10(fakeCt(), EXPLICIT);
  const implicit = part10(fakeCt(), IMPLICIT);
  test.each([[[] as string[]], [["--option", "retain-uids"]]])(
    "are a conflict, never an overwrite (%j)",
    (extra) => {
      const out = join(work, `encodings-${++seq}`);
      const { r, report } = deid(inputs([explicit, implicit]), out, [...extra, "--jobs", "1"]);
      expect(r.code).toBe(1);
      expectCountsMatchDisk(report, out);
      expect(report.files.map((f) => [f.status, f.other])).toEqual([
        ["deidentified", undefined],
        ["conflict", "#1"],
      ]);
      expect(readFileSync(join(out, report.files[0].output!))).toEqual(alone(explicit, extra));
      expect(report.files[1].output).toBe(report.files[0].output);
    },
  );
});

describe("runPool: claims across worker threads (the built worker)", () => {
  test("eight copies of one file through four workers: one written, seven duplicates of it", async () => {
    const out = mkdtempSync(join(work, "pool-"));
    const dir = inputs(Array.from({ length: 8 }, () => ct.bytes));
    const files = readdirSync(dir)
      .sort()
      .map((n) => join(dir, n));
    const outcomes: FileOutcome[] = [];
    const config = { outDir: out, options: [], pseudonymizationKey: Buffer.alloc(32, 0x5a) };
    await runPool(
      files,
      config,
      4,
      (i, o) => (outcomes[i] = o),
      join(ROOT, "dist", "handlers", "job", "deid-worker.js"),
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual([
      "deidentified",
      ...Array(7).fill("duplicate"),
    ]);
    const winner = outcomes.findIndex((o) => o.status === "deidentified");
    for (const o of outcomes) if (o.status === "duplicate") expect(o.other).toBe(winner);
    expect(readdirSync(out)).toEqual([outcomes[winner].output]);
  });
});

describe("OutputClaims: the run's register of output names", () => {
  test("the first claim writes; the others wait until it settles, then duplicate or conflict", async () => {
    const claims = new OutputClaims();
    expect(await claims.claim(0, "x.dcm", "sha256:a")).toEqual({ write: true });
    const order: string[] = [];
    const second = claims.claim(1, "x.dcm", "sha256:a").then((a) => (order.push("1"), a));
    const third = claims.claim(2, "x.dcm", "sha256:b").then((a) => (order.push("2"), a));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]); // still held by input 0
    claims.settle(0, { digest: "sha256:a", existing: false });
    expect(await second).toEqual({ write: false, status: "duplicate", other: 0 });
    expect(await third).toEqual({ write: false, status: "conflict", other: 0 });
    expect(await claims.claim(3, "y.dcm", "sha256:a")).toEqual({ write: true });
  });

  test("a claim whose write failed leaves the name free for the next input", async () => {
    const claims = new OutputClaims();
    await claims.claim(0, "x.dcm", "sha256:a");
    const next = claims.claim(1, "x.dcm", "sha256:a");
    claims.settle(0); // rejected: nothing was written
    expect(await next).toEqual({ write: true });
    claims.settle(1, { digest: "sha256:c", existing: true }); // an earlier output was there
    expect(await claims.claim(2, "x.dcm", "sha256:c")).toEqual({
      write: false,
      status: "duplicate",
      other: "existing",
    });
  });
});

// The no-clobber commit deid uses (fsyncs on the thread pool; the same never-a-clobber).
describe("commitNoClobberDurably", () => {
  const dir = () => mkdtempSync(join(work, "commit-"));
  afterEach(() => jest.restoreAllMocks());

  test("puts the file in place when the name is free", async () => {
    const d = dir();
    writeFileSync(join(d, ".t"), "new");
    expect(await commitNoClobberDurably(join(d, ".t"), join(d, "x.dcm"))).toBe("committed");
    expect(readdirSync(d)).toEqual(["x.dcm"]);
    expect(readFileSync(join(d, "x.dcm"), "utf8")).toBe("new");
  });

  test("never replaces a file: 'exists', the target untouched, the temporary file left", async () => {
    const d = dir();
    writeFileSync(join(d, "x.dcm"), "old");
    writeFileSync(join(d, ".t"), "new");
    expect(await commitNoClobberDurably(join(d, ".t"), join(d, "x.dcm"))).toBe("exists");
    expect(readFileSync(join(d, "x.dcm"), "utf8")).toBe("old");
    expect(readdirSync(d).sort()).toEqual([".t", "x.dcm"]);
  });

  test.each([["EPERM"], ["ENOTSUP"]])(
    "without hard links (%s): an exclusive placeholder, then the rename; still never a clobber",
    async (code) => {
      jest.spyOn(fs, "linkSync").mockImplementation(() => {
        throw Object.assign(new Error(code), { code, syscall: "link" });
      });
      const d = dir();
      writeFileSync(join(d, ".t"), "new");
      expect(await commitNoClobberDurably(join(d, ".t"), join(d, "x.dcm"))).toBe("committed");
      expect(readdirSync(d)).toEqual(["x.dcm"]);
      expect(readFileSync(join(d, "x.dcm"), "utf8")).toBe("new");
      writeFileSync(join(d, ".u"), "newer");
      expect(await commitNoClobberDurably(join(d, ".u"), join(d, "x.dcm"))).toBe("exists");
      expect(readFileSync(join(d, "x.dcm"), "utf8")).toBe("new");
    },
  );

  test("a failure after the name was taken removes what it put there and the temporary file", async () => {
    const d = dir();
    writeFileSync(join(d, ".t"), "new");
    jest.spyOn(fs, "linkSync").mockImplementation(() => {
      throw Object.assign(new Error("EPERM"), { code: "EPERM", syscall: "link" });
    });
    jest.spyOn(fs, "renameSync").mockImplementation(() => {
      throw Object.assign(new Error("EIO"), { code: "EIO", syscall: "rename" });
    });
    await expect(commitNoClobberDurably(join(d, ".t"), join(d, "x.dcm"))).rejects.toThrow("EIO");
    expect(readdirSync(d)).toEqual([]);
  });

  test("another error of link goes up, and nothing is left", async () => {
    const d = dir();
    writeFileSync(join(d, ".t"), "new");
    jest.spyOn(fs, "linkSync").mockImplementation(() => {
      throw Object.assign(new Error("EIO"), { code: "EIO", syscall: "link" });
    });
    await expect(commitNoClobberDurably(join(d, ".t"), join(d, "x.dcm"))).rejects.toThrow("EIO");
    expect(readdirSync(d)).toEqual([]);
  });
});
