/**
 * `npm start` (`imgsec demo`) on a fresh folder, as a new user runs it: every step passes and it
 * ends by writing the compliance report of the run, which says where it is and verifies.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli";

test("demo: keys, synth, gate, run, verify, audit, then the report, in a fresh folder", () => {
  const cwd = mkdtempSync(join(tmpdir(), "imgsec-demo-"));
  const env = { IMGSEC_KEYS: undefined, IMGSEC_AUDIT_LOG: undefined, IMGSEC_AUDIT_S3: undefined };
  const r = runCli(["demo"], { cwd, env });
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(`Open the report: ${join(cwd, "report", "report.html")}`);
  expect(r.stdout).toMatch(/report: PASS/);
  expect(readdirSync(join(cwd, "report")).sort()).toEqual(
    [
      "manifest.json",
      "manifest.sig",
      "report.csv",
      "report.html",
      "report.json",
      "report.oscal.json",
    ].sort(),
  );
  const report = JSON.parse(readFileSync(join(cwd, "report", "report.json"), "utf8"));
  expect(report.summary.pass).toBe(true);
  expect(report.evidence.map((e: { kind: string }) => e.kind)).toEqual([
    "iac",
    "audit-log",
    "deid-runs",
    "packages",
    "attestations",
  ]);
  // The report is recorded in the demo's audit log, which still verifies, as does the report.
  expect(readFileSync(join(cwd, ".imgsec", "audit.jsonl"), "utf8")).toContain('"op":"report"');
  expect(runCli(["audit", "verify", ".imgsec/audit.jsonl"], { cwd, env }).code).toBe(0);
  const v = runCli(["report", "verify", "report"], { cwd, env });
  expect(v.stdout).toMatch(/0 failed/);
  expect(v.code).toBe(0);
  expect(existsSync(join(cwd, "packages"))).toBe(true);
}, 300_000);
