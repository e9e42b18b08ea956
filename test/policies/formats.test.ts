import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv-draft-04";
import { checkStacks } from "../../cli/check";
import { DeploymentGate } from "../../policies/engine/engine";
import {
  findRepositoryRoot,
  Report,
  toGitlab,
  toSarif,
  toText,
} from "../../policies/engine/formats";
import { NormalizedStack } from "../../policies/engine/document";
import { normalizeDocument } from "../../policies/engine/normalize";
import { CheckResult, Severity } from "../../handlers/results/result";

const gate = DeploymentGate.load();
const tmp = () => mkdtempSync(join(tmpdir(), "imgsec-formats-"));

const sarifSchema = () => {
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
  return ajv.compile(schema);
};

/** main.tf as a user writes it: a bucket block at `line` (1-based), comments above it. */
function mainTf(dir: string, opts: { above?: number; indent?: string; bucket?: string } = {}) {
  const pad = Array.from({ length: opts.above ?? 0 }, (_, i) => `# note ${i}`);
  const i = opts.indent ?? "  ";
  const lines = [
    ...pad,
    'resource "aws_s3_bucket" "raw" {',
    `${i}bucket = "${opts.bucket ?? "raw-images"}"`,
    "}",
    "",
  ];
  writeFileSync(join(dir, "main.tf"), lines.join("\n"));
  return { startLine: pad.length + 1, endLine: pad.length + 3 };
}

/** The stack the HCL loader would give for main.tf (the loader is another part of the work). */
function hclStack(lines: { startLine: number; endLine: number }, bucket = "raw-images") {
  const s = normalizeDocument(
    { resource: { aws_s3_bucket: { raw: { bucket } } } },
    "main.tf",
    "infra",
  );
  s.resources["aws_s3_bucket.raw"].source = { file: "main.tf", ...lines };
  return s;
}

async function report(stacks: NormalizedStack[], rootDir: string): Promise<Report> {
  return (await checkStacks(stacks, rootDir, {}, gate)).report;
}

describe("SARIF 2.1.0", () => {
  test("valid against the SARIF schema; file relative to the git root; the block's whole region", async () => {
    const repo = tmp();
    mkdirSync(join(repo, ".git"));
    const infra = join(repo, "infra");
    mkdirSync(infra);
    const lines = mainTf(infra, { above: 4 });
    const sarif = JSON.parse(toSarif(await report([hclStack(lines)], infra)));
    const validate = sarifSchema();
    expect(validate({ version: "2.1.0", runs: [{ results: [] }] })).toBe(false); // it can fail
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    const results = sarif.runs[0].results;
    expect(results.length).toBeGreaterThan(3);
    for (const r of results) {
      expect(r.locations[0].physicalLocation).toEqual({
        artifactLocation: { uri: "infra/main.tf", uriBaseId: "%SRCROOT%" },
        region: { startLine: 5, endLine: 7 },
      });
    }
    expect(findRepositoryRoot(infra)).toBe(repo);
  });

  test("outside a git repository the file is relative to the checked folder", async () => {
    const dir = tmp();
    expect(findRepositoryRoot(dir)).toBeUndefined(); // /tmp is not in a repository
    const lines = mainTf(dir);
    const sarif = JSON.parse(toSarif(await report([hclStack(lines)], dir)));
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(
      "main.tf",
    );
  });

  test("primaryLocationLineHash is stable when lines move or indentation changes, not when the block changes", async () => {
    const dir = tmp();
    const hashes = async (opts: Parameters<typeof mainTf>[1], bucket?: string) => {
      const lines = mainTf(dir, opts);
      const sarif = JSON.parse(toSarif(await report([hclStack(lines, bucket)], dir)));
      return Object.fromEntries(
        sarif.runs[0].results.map(
          (r: { ruleId: string; partialFingerprints: Record<string, string> }) => [
            r.ruleId,
            r.partialFingerprints.primaryLocationLineHash,
          ],
        ),
      );
    };
    const before = await hashes({});
    expect(Object.values(before).every((h) => /^[0-9a-f]{16}:1$/.test(h as string))).toBe(true);
    expect(new Set(Object.values(before)).size).toBe(Object.keys(before).length); // per rule
    expect(await hashes({ above: 12 })).toEqual(before); // moved down 12 lines
    expect(await hashes({ indent: "      " })).toEqual(before); // re-indented
    const changed = await hashes({ bucket: "raw-images-2" }, "raw-images-2");
    for (const rule of Object.keys(before)) expect(changed[rule]).not.toBe(before[rule]);
  });

  test("rules carry security-severity as GitHub reads it, precision, and the HIPAA citations as tags", () => {
    const sarif = JSON.parse(
      toSarif({ results: [], files: {}, catalog: gate.catalog, unusedWaivers: [], version: "1" }),
    );
    const expected: Record<Severity, string> = {
      critical: "9.5",
      high: "7.5",
      medium: "5.0",
      low: "2.0",
    };
    const rules = sarif.runs[0].tool.driver.rules;
    expect(rules).toHaveLength(gate.catalog.length);
    for (const [i, m] of gate.catalog.entries()) {
      expect(rules[i].properties["security-severity"]).toBe(expected[m.severity]);
      expect(rules[i].properties.precision).toBe("high");
      expect(rules[i].properties.tags).toEqual([
        "security",
        "hipaa",
        ...m.controls.map((c) => `HIPAA ${c}`),
      ]);
    }
    expect(new Set(gate.catalog.map((m) => m.severity)).size).toBeGreaterThan(2);
  });

  test("cdktf: the block's lines in cdk.tf.json, the construct path as a logical location", async () => {
    const dir = tmp();
    const doc = {
      "//": { metadata: { stackName: "imgsec-dev", version: "0.21.0" } },
      resource: {
        aws_s3_bucket: {
          raw_bucket_1A2B3C4D: {
            "//": { metadata: { path: "imgsec-dev/raw/bucket", uniqueId: "raw_bucket_1A2B3C4D" } },
            bucket: "raw",
          },
        },
      },
    };
    const text = JSON.stringify(doc, null, 2);
    writeFileSync(join(dir, "cdk.tf.json"), text);
    const s = normalizeDocument(doc, join(dir, "cdk.tf.json"), "x");
    const r = await report([s], dir);
    const sarif = JSON.parse(toSarif(r));
    const [first] = sarif.runs[0].results;
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.includes('"raw_bucket_1A2B3C4D": {')) + 1;
    expect(first.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "cdk.tf.json", uriBaseId: "%SRCROOT%" },
      region: { startLine: start, endLine: start + 8 },
    });
    expect(lines[start + 7]).toBe("      }"); // the block's closing brace (1-based line start + 8)
    expect(first.locations[0].logicalLocations).toEqual([
      {
        name: "aws_s3_bucket.raw_bucket_1A2B3C4D",
        fullyQualifiedName: "imgsec-dev/aws_s3_bucket.raw_bucket_1A2B3C4D",
        kind: "resource",
      },
      { fullyQualifiedName: "imgsec-dev/raw/bucket", kind: "object" },
    ]);
    expect(toText(r)).toMatch(
      /^ {4}FAIL {4}IMGSEC-S3-001 {3}aws_s3_bucket\.raw_bucket_1A2B3C4D {2}\(cdk\.tf\.json:\d+, construct imgsec-dev\/raw\/bucket\)$/m,
    );
  });

  test("plans: the plan file, the module path as a logical location, one line for terraform show -json", async () => {
    const dir = tmp();
    const plan = {
      format_version: "1.2",
      terraform_version: "1.9.8",
      planned_values: {
        root_module: {
          child_modules: [
            {
              address: "module.phi",
              resources: [
                {
                  address: "module.phi.aws_s3_bucket.raw",
                  mode: "managed",
                  type: "aws_s3_bucket",
                  name: "raw",
                  provider_name: "registry.terraform.io/hashicorp/aws",
                  values: { bucket: "raw" },
                },
              ],
            },
          ],
        },
      },
    };
    writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
    const s = normalizeDocument(plan, join(dir, "plan.json"), "plan");
    const r = await report([s], dir);
    const [first] = JSON.parse(toSarif(r)).runs[0].results;
    expect(first.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "plan.json", uriBaseId: "%SRCROOT%" },
      region: { startLine: 1, endLine: 1 },
    });
    expect(first.locations[0].logicalLocations[1]).toEqual({
      fullyQualifiedName: "module.phi",
      kind: "module",
    });
    expect(r.results[0].location).toEqual({
      file: "plan.json",
      startLine: 1,
      endLine: 1,
      module: "module.phi",
    });
    // The fingerprint hashes the resource's own JSON, not the whole (one-line) plan: a change to
    // another resource keeps it.
    const other = {
      ...plan,
      planned_values: {
        root_module: {
          ...plan.planned_values.root_module,
          resources: [
            {
              address: "aws_sns_topic.t",
              mode: "managed",
              type: "aws_sns_topic",
              name: "t",
              values: { name: "t" },
            },
          ],
        },
      },
    };
    writeFileSync(join(dir, "plan.json"), JSON.stringify(other));
    const s2 = normalizeDocument(other, join(dir, "plan.json"), "plan");
    const [again] = JSON.parse(toSarif(await report([s2], dir))).runs[0].results.filter(
      (x: { ruleId: string; message: { text: string } }) =>
        x.ruleId === first.ruleId && x.message.text === first.message.text,
    );
    expect(again.partialFingerprints).toEqual(first.partialFingerprints);
  });
});

describe("GitLab Code Quality", () => {
  const result = (
    status: CheckResult["status"],
    severity: Severity,
    rule: string,
  ): CheckResult => ({
    rule,
    title: `${rule} title`,
    status,
    resource: "aws_s3_bucket.raw",
    stack: "infra",
    severity,
    controls: ["164.312(a)(2)(iv)"],
    message: `${rule} message`,
    remediation: `${rule} fix`,
    location: { file: "main.tf", startLine: 3, endLine: 9 },
  });

  test("one issue per FAIL, UNKNOWN and WARN, with GitLab's fields, severities and lines", () => {
    const dir = tmp();
    mainTf(dir, { above: 2 });
    const r: Report = {
      results: [
        result("FAIL", "critical", "IMGSEC-A-001"),
        result("FAIL", "high", "IMGSEC-A-002"),
        result("FAIL", "medium", "IMGSEC-A-003"),
        result("FAIL", "low", "IMGSEC-A-004"),
        result("UNKNOWN", "high", "IMGSEC-A-005"),
        result("WARN", "high", "IMGSEC-A-006"),
        result("PASS", "high", "IMGSEC-A-007"),
        result("WAIVED", "high", "IMGSEC-A-008"),
      ],
      files: { infra: { file: dir, source: "tfjson" } },
      catalog: [],
      unusedWaivers: [],
      version: "1",
      rootDir: dir,
    };
    const issues = JSON.parse(toGitlab(r));
    expect(
      issues.map((i: { check_name: string; severity: string }) => [i.check_name, i.severity]),
    ).toEqual([
      ["IMGSEC-A-001", "critical"],
      ["IMGSEC-A-002", "major"],
      ["IMGSEC-A-003", "minor"],
      ["IMGSEC-A-004", "info"],
      ["IMGSEC-A-005", "major"], // an UNKNOWN fails the gate by default
      ["IMGSEC-A-006", "info"], // a warning does not
    ]);
    expect(issues[0]).toEqual({
      type: "issue",
      check_name: "IMGSEC-A-001",
      description: "aws_s3_bucket.raw: IMGSEC-A-001 message",
      content: { body: "IMGSEC-A-001 title\n\nHIPAA: 164.312(a)(2)(iv)\n\nFix: IMGSEC-A-001 fix" },
      categories: ["Security"],
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      severity: "critical",
      location: { path: "main.tf", lines: { begin: 3, end: 9 } },
    });
    expect(issues[4].description).toBe("UNKNOWN: aws_s3_bucket.raw: IMGSEC-A-005 message");
    expect(new Set(issues.map((i: { fingerprint: string }) => i.fingerprint)).size).toBe(6);
    // Under --unknown warn an UNKNOWN does not fail the gate: info.
    expect(JSON.parse(toGitlab({ ...r, unknownMode: "warn" }))[4].severity).toBe("info");
  });

  test("fingerprints are unique when a rule reports one resource twice, and stable across runs", async () => {
    const dir = tmp();
    const lines = mainTf(dir);
    const r = await report([hclStack(lines)], dir);
    const twice = {
      ...r,
      results: [...r.results, ...r.results.filter((x) => x.status === "FAIL").slice(0, 1)],
    };
    const issues = JSON.parse(toGitlab(twice));
    const prints = issues.map((i: { fingerprint: string }) => i.fingerprint);
    expect(new Set(prints).size).toBe(prints.length);
    expect(JSON.parse(toGitlab(twice)).map((i: { fingerprint: string }) => i.fingerprint)).toEqual(
      prints,
    );
    expect(issues.every((i: { location: { path: string } }) => i.location.path === "main.tf")).toBe(
      true,
    );
  });
});

describe("text output", () => {
  test("file:line beside the resource when the loader knows it", async () => {
    const dir = tmp();
    const lines = mainTf(dir, { above: 11 });
    const text = toText(await report([hclStack(lines)], dir));
    expect(text).toMatch(/^ {4}FAIL {4}IMGSEC-S3-001 {3}aws_s3_bucket\.raw {2}\(main\.tf:12\)$/m);
    // Each finding names the HIPAA specifications its rule supports, from the rule's METADATA.
    const s3001 = text.slice(text.indexOf("IMGSEC-S3-001"));
    expect(s3001).toMatch(/^ {12}HIPAA: 45 CFR 164\.312\(a\)\(2\)\(iv\)/m);
  });
});
