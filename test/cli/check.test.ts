import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv-draft-04";
import { expectOneLineError, runCli } from "../helpers/cli";
import { DEV_REPLICATION_EXEMPT_REASON } from "../../stacks/config";
import { KEYS_SECRET_ROTATION_EXEMPTION } from "../../modules/pipeline";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generatePlan } = require("../../bench/gen-plan.js");

/** A WARN of `imgsec check`'s text output: its rule, resource (without cdktf's hash), message and fix. */
interface Warning {
  rule: string;
  resource: string;
  message: string;
  fix: string;
}

/** The WARN results of the text output, by stack, in the order printed. */
function warningsByStack(stdout: string): Record<string, Warning[]> {
  const byStack: Record<string, Warning[]> = {};
  let stack = "";
  const lines = stdout.split("\n");
  lines.forEach((line, i) => {
    const header = /^(imgsec-[a-z]+) {2}\(/.exec(line);
    if (header) byStack[(stack = header[1])] = [];
    const warn = /^ {4}WARN {4}(\S+)\s+(\S+)/.exec(line);
    if (warn)
      byStack[stack].push({
        rule: warn[1],
        resource: warn[2].replace(/_[0-9A-F]{8}$/, ""),
        message: lines[i + 1].trim(),
        fix: lines[i + 2].trim(),
      });
  });
  return byStack;
}

const dir = mkdtempSync(join(tmpdir(), "imgsec-check-"));
const good = join(dir, "good");
const broken = join(dir, "broken");
const rawSse = (
  tf: Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
) =>
  Object.entries(tf.resource.aws_s3_bucket_server_side_encryption_configuration).find(([id]) =>
    id.startsWith("raw_"),
  )?.[1] as Record<string, unknown>;

beforeAll(() => {
  expect(runCli(["synth", "--out", good]).code).toBe(0);
  cpSync(good, broken, { recursive: true });
  const file = join(broken, "stacks", "imgsec-dev", "cdk.tf.json");
  const tf = JSON.parse(readFileSync(file, "utf8"));
  rawSse(tf).rule = [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }];
  writeFileSync(file, JSON.stringify(tf, null, 2));
});

describe("imgsec check", () => {
  test("the project's stacks pass: exit 0", () => {
    const r = runCli(["check", good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imgsec-dev {2}\(cdktf: .*cdk\.tf\.json\): \d+ passed, 0 failed/m);
    // Only designed warnings, each a named, reported relaxation that says why: the pipeline's keys
    // secret is exempt from rotation (IMGSEC-SM-003); its role policies are inline on purpose
    // (IMGSEC-IAM-007); imgsec-dev's PHI buckets keep no replica (IMGSEC-S3-011).
    const warnings = warningsByStack(r.stdout);
    expect(Object.keys(warnings)).toEqual(["imgsec-dev", "imgsec-prod"]);
    const rules = (stack: string) => [...new Set(warnings[stack].map((w) => w.rule))].sort();
    expect(rules("imgsec-dev")).toEqual(["IMGSEC-IAM-007", "IMGSEC-S3-011", "IMGSEC-SM-003"]);
    expect(rules("imgsec-prod")).toEqual(["IMGSEC-IAM-007", "IMGSEC-SM-003"]);
    const of = (stack: string, rule: string) => warnings[stack].filter((w) => w.rule === rule);
    for (const stack of ["imgsec-dev", "imgsec-prod"]) {
      expect(of(stack, "IMGSEC-SM-003").map((w) => `${w.resource}: ${w.message}`)).toEqual([
        `aws_secretsmanager_secret.pipeline_keys-secret: exempt from rotation (tag imgsec:rotation-exempt): ${KEYS_SECRET_ROTATION_EXEMPTION}`,
      ]);
      // One per inline role policy of the stack, none elsewhere; the fix line says why they stay.
      const tf = JSON.parse(readFileSync(join(good, "stacks", stack, "cdk.tf.json"), "utf8"));
      const rolePolicies = Object.keys(tf.resource.aws_iam_role_policy).map((id) =>
        `aws_iam_role_policy.${id}`.replace(/_[0-9A-F]{8}$/, ""),
      );
      expect(
        of(stack, "IMGSEC-IAM-007")
          .map((w) => w.resource)
          .sort(),
      ).toEqual(rolePolicies.sort());
      for (const w of of(stack, "IMGSEC-IAM-007")) {
        expect(w.message).toBe(
          "an inline policy of its role: use a managed policy and an attachment",
        );
        expect(w.fix).toMatch(/keep a role-bound inline policy deliberately and record why/);
      }
    }
    expect(of("imgsec-dev", "IMGSEC-S3-011").map((w) => `${w.resource}: ${w.message}`)).toEqual(
      ["audit", "processed", "raw"].map(
        (b) =>
          `aws_s3_bucket.${b}_bucket: no replication: exempt (tag imgsec:replication-exempt): ${DEV_REPLICATION_EXEMPT_REASON}`,
      ),
    );
    const total = warnings["imgsec-dev"].length + warnings["imgsec-prod"].length;
    expect(r.stdout).toMatch(
      new RegExp(
        `^PASSED: \\d+ passed, 0 failed, 0 unknown, ${total} warnings, 0 waived \\(2 stacks, \\d+ rules\\)$`,
        "m",
      ),
    );
  });

  test("a broken stack fails: exit 1, grouped by stack and severity, with the fix", () => {
    const r = runCli(["check", broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^imgsec-dev .*: \d+ passed, 1 failed/m);
    expect(r.stdout).toMatch(/^ {2}HIGH\n {4}FAIL {4}IMGSEC-S3-001 {3}aws_s3_bucket\.raw_bucket_/m);
    expect(r.stdout).toMatch(/fix: Add an aws_s3_bucket_server_side_encryption_configuration/);
    expect(r.stdout).toMatch(/^imgsec-prod .*: \d+ passed, 0 failed/m);
    expect(r.stdout).toMatch(/^FAILED: /m);
  });

  test("--format json: the shared result shape, PASS results included", () => {
    const r = runCli(["check", broken, "--format", "json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.failed).toBe(1);
    expect(doc.summary.passed).toBeGreaterThan(10);
    const fail = doc.results.find((x: { status: string }) => x.status === "FAIL");
    expect(Object.keys(fail).sort()).toEqual([
      "controls",
      "location",
      "message",
      "remediation",
      "resource",
      "rule",
      "severity",
      "stack",
      "status",
      "title",
    ]);
    expect(fail).toMatchObject({
      rule: "IMGSEC-S3-001",
      stack: "imgsec-dev",
      severity: "high",
      controls: ["164.312(a)(2)(iv)", "164.312(e)(2)(ii)"],
    });
    // Where it is written: the bucket's block in the stack's cdk.tf.json, and its construct.
    expect(fail.location).toEqual({
      file: "stacks/imgsec-dev/cdk.tf.json",
      startLine: expect.any(Number),
      endLine: expect.any(Number),
      construct: "imgsec-dev/raw/bucket",
    });
    const lines = readFileSync(join(broken, "stacks", "imgsec-dev", "cdk.tf.json"), "utf8").split(
      "\n",
    );
    expect(lines[fail.location.startLine - 1]).toMatch(/^ {6}"raw_bucket_[0-9A-F]{8}": \{$/);
    expect(lines[fail.location.endLine - 1]).toMatch(/^ {6}\},?$/);
    expect(doc.results.filter((x: { status: string }) => x.status === "PASS").length).toBe(
      doc.summary.passed,
    );
  });

  test("--format sarif is valid SARIF 2.1.0 with a located, ranked failure", () => {
    const r = runCli(["check", broken, "--format", "sarif"]);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout);
    const schema = JSON.parse(
      readFileSync(
        require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"),
        "utf8",
      ),
    );
    const ajv = new Ajv({
      strict: false,
      allErrors: true,
      validateFormats: false,
      unicodeRegExp: false,
    });
    const validate = ajv.compile(schema);
    expect(validate({ version: "2.1.0" })).toBe(false); // the validator can fail
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    // The one failure; the stacks' designed warnings are results too (level "warning").
    const failures = sarif.runs[0].results.filter((x: { level: string }) => x.level === "error");
    expect(failures.map((x: { ruleId: string }) => x.ruleId)).toEqual(["IMGSEC-S3-001"]);
    const result = sarif.runs[0].results.find(
      (x: { ruleId: string }) => x.ruleId === "IMGSEC-S3-001",
    );
    expect(result.ruleId).toBe("IMGSEC-S3-001");
    expect(sarif.runs[0].tool.driver.rules[result.ruleIndex].id).toBe("IMGSEC-S3-001");
    expect(sarif.runs[0].tool.driver.rules[result.ruleIndex].properties["security-severity"]).toBe(
      "7.5",
    );
    const loc = result.locations[0].physicalLocation;
    expect(loc.artifactLocation.uri).toMatch(/stacks\/imgsec-dev\/cdk\.tf\.json$/);
    const lines = readFileSync(join(broken, "stacks", "imgsec-dev", "cdk.tf.json"), "utf8").split(
      "\n",
    );
    expect(lines[loc.region.startLine - 1]).toMatch(/"raw_bucket_[0-9A-F]{8}": \{/);
    expect(loc.region.endLine).toBeGreaterThan(loc.region.startLine);
    expect(result.locations[0].logicalLocations[1]).toEqual({
      fullyQualifiedName: "imgsec-dev/raw/bucket",
      kind: "object",
    });
    expect(result.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/);
  });

  test("--format gitlab: GitLab Code Quality issues for failures, unknowns and warnings", () => {
    const r = runCli(["check", broken, "--format", "gitlab", "--no-audit"]);
    expect(r.code).toBe(1);
    const issues = JSON.parse(r.stdout);
    const { summary } = JSON.parse(
      runCli(["check", broken, "--format", "json", "--no-audit"]).stdout,
    );
    // Every FAIL, UNKNOWN and WARN, nothing else.
    expect(issues).toHaveLength(summary.failed + summary.unknown + summary.warned);
    const pairs = issues.map((i: { check_name: string; severity: string }) =>
      [i.check_name, i.severity].join(" "),
    );
    expect(pairs).toContain("IMGSEC-S3-001 major"); // a high-severity failure
    expect(pairs.filter((p: string) => p === "IMGSEC-SM-003 info")).toHaveLength(2); // warnings
    const s3 = issues.find((i: { check_name: string }) => i.check_name === "IMGSEC-S3-001");
    expect(s3.location).toEqual({
      path: "stacks/imgsec-dev/cdk.tf.json",
      lines: { begin: expect.any(Number), end: expect.any(Number) },
    });
  });

  test("text names the construct and the line of a cdktf finding", () => {
    const r = runCli(["check", broken, "--no-audit"]);
    expect(r.stdout).toMatch(
      /^ {4}FAIL {4}IMGSEC-S3-001 {3}aws_s3_bucket\.raw_bucket_[0-9A-F]{8} {2}\(stacks\/imgsec-dev\/cdk\.tf\.json:\d+, construct imgsec-dev\/raw\/bucket\)$/m,
    );
  });

  test("--format junit: one failure element per failed result", () => {
    const r = runCli(["check", broken, "--format", "junit"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="imgsec check" tests="\d+" failures="1" skipped="0">/,
    );
    expect(r.stdout.match(/<failure /g)).toHaveLength(1);
    expect(r.stdout).toMatch(/<testsuite name="imgsec-dev" tests="\d+" failures="1"/);
    expect(r.stdout).toMatch(
      /<testcase classname="imgsec-dev\.IMGSEC-S3-001" name="aws_s3_bucket\.raw_bucket_[0-9A-F]+">\n\s+<failure message=/,
    );
    expect(r.stdout.match(/<testsuite /g)).toHaveLength(2);
  });

  test("--out writes the report to a file and keeps stdout clean", () => {
    const file = join(dir, "report.sarif");
    const r = runCli(["check", broken, "--format", "sarif", "--out", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(JSON.parse(readFileSync(file, "utf8")).version).toBe("2.1.0");
    expect(r.stderr).toMatch(/FAILED: .* \(report: .*report\.sarif\)/);
  });
});

describe("thresholds", () => {
  test("--params overrides policies/params.json: a stricter log retention fails CW-002", () => {
    const file = join(dir, "params.json");
    writeFileSync(file, JSON.stringify({ min_log_retention_days: 2557 }));
    const r = runCli(["check", good, "--params", file, "--format", "json"]);
    expect(r.code).toBe(1);
    const fails = JSON.parse(r.stdout).results.filter(
      (x: { status: string }) => x.status === "FAIL",
    );
    expect([...new Set(fails.map((x: { rule: string }) => x.rule))]).toEqual(["IMGSEC-CW-002"]);
  });

  test("an unknown or mistyped parameter is unusable input", () => {
    const unknown = join(dir, "unknown-params.json");
    writeFileSync(unknown, JSON.stringify({ min_retention: 1 }));
    expectOneLineError(
      runCli(["check", good, "--params", unknown]),
      /^imgsec: params file .*: unknown parameter min_retention$/,
    );
    const typed = join(dir, "typed-params.json");
    writeFileSync(typed, JSON.stringify({ lambda_require_vpc: "yes" }));
    expectOneLineError(
      runCli(["check", good, "--params", typed]),
      /lambda_require_vpc must be a boolean$/,
    );
  });

  test("--show-passed lists PASS results in the text table", () => {
    const r = runCli(["check", good, "--show-passed"]);
    expect(r.stdout).toMatch(/^ {4}PASS {4}IMGSEC-S3-001 {3}aws_s3_bucket\.raw_bucket_/m);
  });
});

describe("waivers", () => {
  const waiver = (expires: string, resource = "aws_s3_bucket.raw_bucket_*") =>
    `- rule: IMGSEC-S3-001\n  resource: "${resource}"\n  justification: Legacy ingest path, migrating in Q1 (ticket SEC-123)\n  expires: "${expires}"\n`;

  test("a live waiver turns the failure into WAIVED: exit 0", () => {
    const file = join(dir, "w.yaml");
    writeFileSync(file, waiver("2999-12-31"));
    const r = runCli(["check", broken, "--waivers", file, "--format", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ failed: 0, waived: 1 });
    expect(doc.results.find((x: { status: string }) => x.status === "WAIVED").message).toMatch(
      /waived until 2999-12-31: Legacy ingest path/,
    );
  });

  test("an expired waiver counts as a failure", () => {
    const file = join(dir, "expired.yaml");
    writeFileSync(file, waiver("2001-01-01"));
    const r = runCli(["check", broken, "--waivers", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\(waiver expired 2001-01-01\)/);
  });

  test("a waiver that matches nothing is reported", () => {
    const file = join(dir, "unused.json");
    writeFileSync(
      file,
      JSON.stringify([
        {
          rule: "IMGSEC-S3-001",
          resource: "aws_s3_bucket.nothing",
          justification: "no longer needed at all",
          expires: "2999-01-01",
        },
      ]),
    );
    const r = runCli(["check", good, "--waivers", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^unused waiver: IMGSEC-S3-001 aws_s3_bucket\.nothing matches no failure$/m,
    );
    const j = runCli(["check", good, "--waivers", file, "--format", "json"]);
    expect(JSON.parse(j.stdout).unusedWaivers).toHaveLength(1);
  });

  test("a malformed waivers file is unusable input (exit 2)", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "- rule: S3\n  resource: x\n  justification: short\n  expires: soon\n");
    expectOneLineError(
      runCli(["check", good, "--waivers", file]),
      /^imgsec: waivers file .*bad\.yaml: 0\.rule: a rule id such as IMGSEC-S3-001$/,
    );
  });
});

describe("inputs", () => {
  test("a Terraform plan of 1,000+ resources with every tenth bucket broken", () => {
    const file = join(dir, "plan.json");
    writeFileSync(file, JSON.stringify(generatePlan({ buckets: 130, breakEvery: 10 })));
    const r = runCli(["check", file, "--format", "json"]);
    expect(r.code).toBe(1);
    const fails = JSON.parse(r.stdout).results.filter(
      (x: { status: string; rule: string }) => x.status === "FAIL",
    );
    expect(
      fails
        .filter((x: { rule: string }) => x.rule === "IMGSEC-S3-001")
        .map((x: { resource: string }) => x.resource),
    ).toHaveLength(13);
  });

  test("unusable input: one line, exit 2, no output file", () => {
    expectOneLineError(
      runCli(["check", join(dir, "missing")]),
      /^imgsec: no such file or directory: /,
    );
    const notJson = join(dir, "x.json");
    writeFileSync(notJson, "{ not json");
    expectOneLineError(runCli(["check", notJson]), /^imgsec: .*x\.json is not valid JSON/);
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ kind: "Deployment" }));
    const out = join(dir, "never.json");
    expectOneLineError(runCli(["check", other, "--out", out]), /^imgsec: unrecognized format/);
    expect(existsSync(out)).toBe(false);
    expect(runCli(["check", good, "--format", "html"]).code).toBe(2);
  });
});

describe("HCL: locations, inline waivers, --var and --var-file reach the loader", () => {
  const repo = join(dir, "repo");
  const infra = join(repo, "infra");
  beforeAll(() => {
    mkdirSync(join(repo, ".git"), { recursive: true });
    mkdirSync(infra, { recursive: true });
    writeFileSync(
      join(infra, "main.tf"),
      [
        'variable "rotate" {',
        "  default = false",
        "}",
        "",
        '# imgsec:waive IMGSEC-S3-007 until=2999-03-31 reason="legacy bucket, SEC-123"',
        'resource "aws_s3_bucket" "raw" {',
        '  bucket = "raw"',
        "}",
        "",
        'resource "aws_kms_key" "k" {',
        "  enable_key_rotation     = var.rotate",
        "  deletion_window_in_days = 30",
        "}",
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "rotate.tfvars"), "rotate = true\n");
  });

  test("text names file and line; the comment waiver applies, with where and until when", () => {
    const r = runCli(["check", infra, "--no-audit"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {4}FAIL {4}IMGSEC-KMS-001 {2}aws_kms_key\.k {2}\(main\.tf:10\)$/m);
    expect(r.stdout).toMatch(
      /^ {4}WAIVED {2}IMGSEC-S3-007 {3}aws_s3_bucket\.raw {2}\(main\.tf:6\)\n.*\(waived in main\.tf:5 until 2999-03-31: legacy bucket, SEC-123\)$/m,
    );
  });

  test("--no-inline-waivers: the waived failure fails again, and the count of ignored waivers is shown", () => {
    const r = runCli(["check", infra, "--no-audit", "--no-inline-waivers"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {4}FAIL {4}IMGSEC-S3-007 /m);
    expect(r.stdout).toMatch(/^--no-inline-waivers: 1 inline waiver in the configuration ignored/m);
    const j = runCli(["check", infra, "--no-audit", "--no-inline-waivers", "--format", "json"]);
    expect(JSON.parse(j.stdout).inlineWaivers).toMatchObject({ applied: false, found: 1 });
    expect(j.stderr).toMatch(/^imgsec: --no-inline-waivers: 1 inline waiver\(s\) ignored$/m);
  });

  test("SARIF and GitLab paths are relative to the repository root, with the block's lines", () => {
    const sarif = JSON.parse(runCli(["check", infra, "--no-audit", "--format", "sarif"]).stdout);
    const kms = sarif.runs[0].results.find(
      (x: { ruleId: string }) => x.ruleId === "IMGSEC-KMS-001",
    );
    expect(kms.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "infra/main.tf", uriBaseId: "%SRCROOT%" },
      region: { startLine: 10, endLine: 13 },
    });
    const gitlab = JSON.parse(runCli(["check", infra, "--no-audit", "--format", "gitlab"]).stdout);
    expect(
      gitlab.find((x: { check_name: string }) => x.check_name === "IMGSEC-KMS-001").location,
    ).toEqual({
      path: "infra/main.tf",
      lines: { begin: 10, end: 13 },
    });
  });

  test("--var and --var-file set the variable the verdict depends on", () => {
    const kms = (args: string[]) =>
      JSON.parse(
        runCli(["check", infra, "--no-audit", "--format", "json", ...args]).stdout,
      ).results.find((x: { rule: string }) => x.rule === "IMGSEC-KMS-001").status;
    expect(kms([])).toBe("FAIL");
    expect(kms(["--var", "rotate=true"])).toBe("PASS");
    expect(kms(["--var-file", join(dir, "rotate.tfvars")])).toBe("PASS");
    expect(kms(["--var-file", join(dir, "rotate.tfvars"), "--var", "rotate=false"])).toBe("FAIL");
  });
});
