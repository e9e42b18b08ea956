/**
 * `imgsec report` end to end, as an auditor runs it: the planted-PHI corpus through the job
 * (`imgsec run`), the stacks synthesized, then the report over the stacks, the audit log, the
 * packages and the sample attestations. Statuses follow the evidence (never satisfied without
 * it), failing evidence fails the report, every output is free of PHI, and `report verify`
 * catches a changed output, changed evidence and a wrong signer.
 */
import { createHash } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectOneLineError, ROOT, runCli } from "../helpers/cli";
import { generateCorpus } from "../dicom/corpus/generator";
import type { ComplianceReport, SpecResult } from "../../compliance/report/model";
import { profilePolicyHash } from "../../handlers/dicom/policy";

const work = mkdtempSync(join(tmpdir(), "imgsec-report-"));
const keys = join(work, "keys.json");
const log = join(work, "audit.jsonl");
const records = join(work, "records.jsonl");
const stacks = join(work, "cdktf.out");
const packages = join(work, "packages");
const attestations = join(ROOT, "samples", "attestations.yaml");
const corpus = generateCorpus();
const planted = corpus.planted.map((p) => p.value).filter((v) => v.length >= 6);
// The input folder and file names are planted PHI too: they must not reach the report.
const patientFolder = `ZZFAKE-${planted[0].replace(/[^A-Za-z0-9]/g, "")}`;
const files = corpus.files.slice(0, 8);
let seq = 0;

const report = (args: string[], out = join(work, `report-${++seq}`)) => {
  const r = runCli(["report", ...args, "--out", out, "--keys", keys, "--record-in", records]);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return { ...r, out };
};
const json = (out: string) =>
  JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as ComplianceReport;
const spec = (r: ComplianceReport, citation: string) =>
  r.specifications.find((s) => s.citation === citation) as SpecResult;
const all = ["--format", "html", "--format", "json", "--format", "csv", "--format", "oscal"];
const full = () => [
  "--iac",
  stacks,
  "--audit-log",
  log,
  "--packages",
  packages,
  "--attestations",
  attestations,
];

beforeAll(() => {
  expect(runCli(["keys", "init", "--keys", keys]).code).toBe(0);
  const input = join(work, "in", patientFolder);
  mkdirSync(input, { recursive: true });
  files.forEach((f, i) =>
    writeFileSync(
      join(input, `${planted[i % planted.length].replace(/[^A-Za-z0-9]/g, "")}-${i}.dcm`),
      f.bytes,
    ),
  );
  const run = runCli([
    "run",
    join(work, "in"),
    packages,
    "--dataset",
    "report-test",
    "--keys",
    keys,
    "--audit-log",
    log,
  ]);
  expect(run.code).toBe(0);
  expect(runCli(["synth", "--out", stacks]).code).toBe(0);
}, 300_000);

describe("imgsec report over the demo's evidence", () => {
  let out: string;
  let r: ComplianceReport;
  beforeAll(() => {
    const res = report([...full(), ...all]);
    expect(res.stderr).toBe(`audit: recorded in ${records}\n`);
    expect(res.code).toBe(0);
    out = res.out;
    r = json(out);
  });

  test("every output is written, listed in the signed manifest, and validates", () => {
    const names = readdirSync(out).sort();
    expect(names).toEqual(
      [
        "manifest.json",
        "manifest.sig",
        "report.csv",
        "report.html",
        "report.json",
        "report.oscal.json",
      ].sort(),
    );
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    for (const f of manifest.files) {
      const h = createHash("sha256")
        .update(readFileSync(join(out, f.name)))
        .digest("hex");
      expect(h).toBe(f.sha256);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { validateReportJson } = require("../../compliance/report/json");
    expect(validateReportJson(r)).toEqual([]);
  });

  test("the evidence was gathered by the verifiers, each input with its digest", () => {
    expect(r.evidence.map((e) => e.kind)).toEqual([
      "iac",
      "audit-log",
      "deid-runs",
      "packages",
      "attestations",
    ]);
    expect(r.evidence.every((e) => e.status === "PASS" || e.status === "WARN")).toBe(true);
    const pk = r.evidence.find((e) => e.kind === "packages");
    expect(pk?.facts).toMatchObject({ packages: files.length, verified: files.length, failed: 0 });
    const logInput = r.inputs.find((i) => i.kind === "audit-log");
    expect(logInput?.appendOnly).toBe(true);
    const prefix = readFileSync(log).subarray(0, logInput?.bytes);
    expect(createHash("sha256").update(prefix).digest("hex")).toBe(logInput?.sha256);
    const pkInput = r.inputs.find((i) => i.kind === "packages");
    expect(pkInput?.files).toHaveLength(files.length);
    // Package names are new UIDs, never what the user named anything.
    for (const f of pkInput?.files ?? []) expect(f.name).toMatch(/^2\.25\.\d+\.imgsec$/);
  });

  test("the de-identification runs are read from the log: policy, profile, codes, counts", () => {
    expect(r.deidRuns).toHaveLength(1);
    const run = r.deidRuns[0];
    expect(run.policy).toBe(profilePolicyHash("strict"));
    expect(run.profile).toBe("strict");
    expect(run.options).toEqual([]);
    expect(run.methods.map((m) => m.code)).toContain("113100");
    expect(run.datasets).toEqual(["report-test"]);
    // 164.514(c): the pseudonym mode the log shows in use.
    expect(r.reidentification.modes).toEqual(["keyed-hmac"]);
    const total = Object.values(run.counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(files.length);
  });

  test("statuses follow the evidence", () => {
    // Encryption: rules passed on the stacks and the packages, and attested.
    const enc = spec(r, "164.312(a)(2)(iv)");
    expect(enc.rules.length).toBeGreaterThan(0);
    expect(enc.rules.every((x) => x.counts.FAIL === 0)).toBe(true);
    expect(enc.status).toBe("satisfied");
    // The sample's decisions.
    expect(spec(r, "164.308(a)(5)(ii)(A)")).toMatchObject({
      status: expect.stringMatching(/attested|satisfied/),
      attestation: { decision: "alternative" },
    });
    expect(spec(r, "164.314(b)(1)").status).toBe("not-applicable");
    expect(spec(r, "164.308(a)(4)(ii)(A)").status).toBe("not-applicable");
    // Nothing satisfied without evidence.
    for (const s of r.specifications) {
      // A standard with specifications is satisfied through them (checked as themselves).
      if (s.status !== "satisfied" || s.reason.startsWith("through its")) continue;
      const evidence = s.rules.length + s.runtime.filter((x) => x.status !== "MISSING").length;
      expect(evidence).toBeGreaterThan(0);
    }
    expect(r.summary.pass).toBe(true);
    expect(r.summary.failed).toEqual([]);
  });

  test("the report is recorded in the audit log by the manifest's digest", () => {
    const digest = createHash("sha256")
      .update(readFileSync(join(out, "manifest.json")))
      .digest("hex");
    const events = readFileSync(records, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((x) => x.type === "event" && x.op === "report");
    expect(events.some((e) => e.objects[0].digest === `sha256:${digest}`)).toBe(true);
  });

  test("no PHI in any output: planted values, input names and folder names", () => {
    for (const name of readdirSync(out)) {
      const text = readFileSync(join(out, name), "latin1");
      for (const p of planted) expect(text).not.toContain(p);
      expect(text).not.toContain(patientFolder);
    }
  });

  test("report verify: passes, then catches a changed output, changed evidence, a wrong key", () => {
    const ok = runCli(["report", "verify", out, "--keys", keys]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/0 failed/);
    // An auditor with the public key only.
    const pem = join(work, "pub.pem");
    expect(runCli(["audit", "public-key", "--keys", keys, "--out", pem]).code).toBe(0);
    expect(runCli(["report", "verify", out, "--pubkey", pem]).code).toBe(0);
    // Appending to the log (as this report's own record did) leaves its evidence intact.
    appendFileSync(log, "");
    // A changed output.
    const copy = join(work, "tampered");
    cpSync(out, copy, { recursive: true });
    writeFileSync(
      join(copy, "report.html"),
      readFileSync(join(copy, "report.html"), "utf8").replace("satisfied", "sat1sfied"),
    );
    const bad = runCli(["report", "verify", copy, "--keys", keys]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL IMGSEC-REPORT-002 report\.html: changed/);
    // A changed manifest: the signature no longer verifies.
    const m = JSON.parse(readFileSync(join(copy, "manifest.json"), "utf8"));
    m.pass = !m.pass;
    writeFileSync(join(copy, "manifest.json"), JSON.stringify(m, null, 2) + "\n");
    expect(runCli(["report", "verify", copy, "--keys", keys]).stdout).toMatch(
      /FAIL IMGSEC-REPORT-001/,
    );
    // Another signer.
    const other = join(work, "other-keys.json");
    expect(runCli(["keys", "init", "--keys", other]).code).toBe(0);
    const wrong = runCli(["report", "verify", out, "--keys", other]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(
      /FAIL IMGSEC-REPORT-001 manifest\.json: the signature does not verify/,
    );
  });
});

describe("statuses without evidence, and with failing evidence", () => {
  test("no evidence at all: nothing satisfied, required specifications lacking, exit 1", () => {
    const res = report([]);
    expect(res.code).toBe(1);
    const r = json(res.out);
    expect(r.summary.byStatus.satisfied).toBe(0);
    expect(r.summary.byStatus.attested).toBe(0);
    expect(r.summary.requiredLacking.length).toBeGreaterThan(10);
    for (const s of r.specifications) expect(["not-tested", "not-attested"]).toContain(s.status);
    expect(res.stdout).toMatch(/report: FAIL/);
  });

  test("evidence without attestations: organizational parts are not attested, never satisfied", () => {
    const res = report(["--iac", stacks, "--audit-log", log, "--packages", packages]);
    expect(res.code).toBe(1);
    const r = json(res.out);
    for (const s of r.specifications) {
      if (s.needsAttestation) expect(s.status).not.toBe("satisfied");
      if (s.status === "satisfied") expect(s.attestation).toBeUndefined();
    }
    expect(spec(r, "164.308(a)(1)(ii)(A)").status).toBe("not-attested");
  });

  test("a tampered package fails the specifications its rules support", () => {
    const dir = join(work, "bad-packages");
    cpSync(packages, dir, { recursive: true });
    const victim = readdirSync(dir).filter((n) => n.endsWith(".imgsec"))[0];
    const b = readFileSync(join(dir, victim));
    b[b.length - 100] ^= 0xff;
    writeFileSync(join(dir, victim), b);
    const res = report(["--packages", dir, "--attestations", attestations]);
    expect(res.code).toBe(1);
    const r = json(res.out);
    expect(r.evidence[0]).toMatchObject({ kind: "packages", status: "FAIL" });
    expect(r.summary.failed.length).toBeGreaterThan(0);
    const failedByPackages = (s: SpecResult) =>
      s.runtime.some((x) => x.kind === "packages" && x.status === "FAIL");
    for (const c of r.summary.failed) {
      const s = spec(r, c);
      const children = r.specifications.filter((x) => x.standard === c && x.kind !== "standard");
      expect(failedByPackages(s) || children.some(failedByPackages)).toBe(true);
    }
  });

  test("a tampered audit log fails; the runs it records are not evidence", () => {
    const bad = join(work, "bad-audit.jsonl");
    const lines = readFileSync(log, "utf8").split("\n");
    lines[2] = lines[2].replace(/"outcome":"ok"/, '"outcome":"failed"');
    writeFileSync(bad, lines.join("\n"));
    const res = report(["--audit-log", bad]);
    expect(res.code).toBe(1);
    const r = json(res.out);
    expect(r.evidence.find((e) => e.kind === "audit-log")?.status).toBe("FAIL");
    expect(r.evidence.find((e) => e.kind === "deid-runs")?.status).toBe("FAIL");
  });

  test("--period: evidence outside it is shown apart", () => {
    const res = report([
      "--audit-log",
      log,
      "--attestations",
      attestations,
      "--period",
      "2000-01-01..2000-12-31",
    ]);
    const r = json(res.out);
    expect(r.period).toEqual({ from: "2000-01-01", to: "2000-12-31" });
    const run = r.deidRuns[0];
    expect(Object.keys(run.counts)).toHaveLength(0);
    expect(run.outsidePeriod).toBe(files.length);
    const attested = r.specifications.filter((s) => s.attestation);
    expect(attested.length).toBeGreaterThan(0);
    expect(attested.every((s) => s.attestation?.outsidePeriod === true)).toBe(true);
  });

  test("--sample draws a stated, reproducible sample", () => {
    const a = json(report(["--packages", packages, "--sample", "3", "--seed", "0".repeat(32)]).out);
    const b = json(report(["--packages", packages, "--sample", "3", "--seed", "0".repeat(32)]).out);
    expect(a.evidence[0].facts).toMatchObject({
      packages: files.length,
      verified: 3,
      sampled: true,
      seed: "0".repeat(32),
    });
    expect(a.inputs[0].files).toEqual(b.inputs[0].files);
    expect(a.evidence[0].summary).toMatch(/random sample of 3 of 8/);
  });
});

describe("scale: findings listed once per rule, counted beyond the cap", () => {
  test("101 failing buckets: each specification lists 100 findings per rule and counts the rest; the evidence lists all", () => {
    const dir = join(work, "many-buckets");
    mkdirSync(dir);
    const resource: Record<string, Record<string, unknown>> = { aws_s3_bucket: {} };
    for (let i = 0; i < 101; i++) resource.aws_s3_bucket[`b${i}`] = { bucket: `bucket-${i}` };
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ resource }));
    const res = report(["--iac", dir]);
    expect(res.code).toBe(1);
    const r = json(res.out);
    const capped = r.specifications.flatMap((s) => s.rules).filter((x) => x.findingsOmitted);
    expect(capped.length).toBeGreaterThan(0);
    for (const x of capped) {
      expect(x.findings).toHaveLength(100);
      expect(x.findings.length + (x.findingsOmitted ?? 0)).toBe(
        x.counts.FAIL + x.counts.UNKNOWN + x.counts.WAIVED + x.counts.WARN,
      );
    }
    const iac = r.evidence.find((e) => e.kind === "iac");
    const rule = capped[0].rule;
    expect(iac?.results.filter((x) => x.rule === rule).length).toBe(
      capped[0].findings.length + (capped[0].findingsOmitted ?? 0),
    );
    expect(readFileSync(join(res.out, "report.html"), "utf8")).toMatch(/more are counted above/);
  });

  test("report verify catches evidence changed since: a file edited, a file added", () => {
    const dir = join(work, "evidence-iac");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({ resource: { aws_s3_bucket: { b: { bucket: "b" } } } }),
    );
    const res = report(["--iac", dir]);
    const verify = () => runCli(["report", "verify", res.out, "--keys", keys]);
    expect(verify().code).toBe(0);
    writeFileSync(join(dir, "extra.tf.json"), JSON.stringify({ resource: {} }));
    const added = verify();
    expect(added.code).toBe(1);
    expect(added.stdout).toMatch(
      /FAIL IMGSEC-REPORT-003 iac-1 .*files added since: extra\.tf\.json/,
    );
    rmSync(join(dir, "extra.tf.json"));
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({ resource: { aws_s3_bucket: { b: { bucket: "c" } } } }),
    );
    const edited = verify();
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(/FAIL IMGSEC-REPORT-003 iac-1 .*changed: main\.tf\.json/);
  });

  test("a log that cannot record the report stops the run before anything is written", () => {
    const other = join(work, "other-for-record.json");
    expect(runCli(["keys", "init", "--keys", other]).code).toBe(0);
    const log2 = join(work, "records-2.jsonl");
    expect(
      runCli(["report", "--out", join(work, "recorded"), "--keys", keys, "--record-in", log2]).code,
    ).toBe(1);
    const out = join(work, "unrecorded");
    // That log belongs to `keys`: recording into it with another key file is refused.
    const r = runCli(["report", "--out", out, "--keys", other, "--record-in", log2]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(() => readdirSync(out)).toThrow();
  });
});

describe("unusable input: one line, exit 2, nothing written", () => {
  test.each([
    [["--period", "2026-13-01..2026-12-31"], /--period .*YYYY-MM-DD/],
    [["--period", "2026-12-31..2026-01-01"], /ends before it begins/],
    [["--sample", "0", "--packages", "."], /--sample 0/],
    [
      ["--packages", "/nonexistent-imgsec"],
      /--packages \/nonexistent-imgsec: no such file or folder/,
    ],
    [["--format", "pdf"], /--format pdf/],
  ])("%j", (args, pattern) => {
    const out = join(work, `unusable-${++seq}`);
    const r = runCli(["report", ...args, "--out", out, "--keys", keys, "--no-audit"]);
    expectOneLineError(r, pattern);
    expect(() => readdirSync(out)).toThrow();
  });

  test("attestations that break the schema are refused; misplaced answers are reported, not used", () => {
    const bad = join(work, "bad.yaml");
    writeFileSync(
      bad,
      'attestations:\n  - citation: "164.308(a)(1)(ii)(A)"\n    decision: implemented\n    attested_by: X\n    date: 2026-01-01\n    document: D\n    signed: yes\n',
    );
    expectOneLineError(
      runCli(["report", "--attestations", bad, "--out", join(work, "x1"), "--no-audit"]),
      /attestations\.0 .*signed/i,
    );
    writeFileSync(
      bad,
      'attestations:\n  - citation: "164.308(a)(1)(ii)(A)"\n    decision: implemented\n    attested_by: X\n    date: 2999-01-01\n    document: D\n',
    );
    expectOneLineError(
      runCli(["report", "--attestations", bad, "--out", join(work, "x2"), "--no-audit"]),
      /in the future/,
    );
    writeFileSync(
      bad,
      'attestations:\n  - citation: "164.308(a)(1)(ii)(A)"\n    decision: not-reasonable\n    rationale: too costly\n    attested_by: X\n    date: 2026-01-01\n    document: D\n  - citation: "164.308(z)(9)"\n    decision: implemented\n    attested_by: X\n    date: 2026-01-01\n    document: D\n',
    );
    const res = report(["--attestations", bad]);
    expect(res.code).toBe(1);
    const r = json(res.out);
    expect(r.attestationProblems).toHaveLength(2);
    expect(r.attestationProblems[0]).toMatch(/164\.308\(a\)\(1\)\(ii\)\(A\) is Required/);
    expect(spec(r, "164.308(a)(1)(ii)(A)").status).toBe("not-attested");
  });

  test("--out holding other files is refused, never overwritten", () => {
    const out = join(work, "occupied");
    mkdirSync(out);
    writeFileSync(join(out, "notes.txt"), "mine");
    expectOneLineError(runCli(["report", "--out", out, "--no-audit"]), /holds other files/);
    expect(readdirSync(out)).toEqual(["notes.txt"]);
  });
});
