import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkStacks } from "../../cli/check";
import { DeploymentGate } from "../../policies/engine/engine";
import { toJson, toSarif, toText } from "../../policies/engine/formats";
import { InlineWaiver, NormalizedStack } from "../../policies/engine/document";
import { normalizeDocument } from "../../policies/engine/normalize";
import { applyWaivers } from "../../policies/engine/waivers";
import { CheckResult } from "../../handlers/results/result";

const gate = DeploymentGate.load();
const TODAY = new Date("2026-06-01T12:00:00Z");

/**
 * A stack as the HCL loader gives it (the loader is another part of the work): two instances of a
 * count block in main.tf, lines and inline waivers set by hand, the plan form giving the instance
 * addresses and their shared config address.
 */
function stack(name: string, waivers: Omit<InlineWaiver, "file">[]): NormalizedStack {
  const plan = {
    format_version: "1.2",
    terraform_version: "1.9.8",
    planned_values: {
      root_module: {
        resources: [0, 1].map((i) => ({
          address: `aws_s3_bucket.logs[${i}]`,
          mode: "managed",
          type: "aws_s3_bucket",
          name: "logs",
          index: i,
          provider_name: "registry.terraform.io/hashicorp/aws",
          values: { bucket: `logs-${i}` },
        })),
      },
    },
  };
  const s = normalizeDocument(plan, "main.tf", name);
  for (const r of Object.values(s.resources))
    r.source = { file: "main.tf", startLine: 3, endLine: 6 };
  s.inlineWaivers = waivers.map((w) => ({ ...w, file: "main.tf" }));
  return s;
}

const dir = mkdtempSync(join(tmpdir(), "imgsec-inline-"));
writeFileSync(
  join(dir, "main.tf"),
  [
    '# imgsec:waive IMGSEC-S3-007 until=2027-03-31 reason="legacy bucket, SEC-123"',
    '# imgsec:waive IMGSEC-S3-008 reason="archive managed by the records office"',
    'resource "aws_s3_bucket" "logs" {',
    "  count  = 2",
    '  bucket = "logs-${count.index}"',
    "}",
    "",
  ].join("\n"),
);

const of = (results: CheckResult[], rule: string) => results.filter((r) => r.rule === rule);

describe("inline waivers (# imgsec:waive) applied like file waivers", () => {
  const waivers = [
    {
      rule: "IMGSEC-S3-007",
      address: "aws_s3_bucket.logs",
      reason: "legacy bucket, SEC-123",
      until: "2027-03-31",
      line: 1,
    },
    {
      rule: "IMGSEC-S3-008",
      address: "aws_s3_bucket.logs",
      reason: "archive managed by the records office",
      line: 2,
    },
    {
      rule: "IMGSEC-S3-001",
      address: "aws_s3_bucket.logs",
      reason: "was temporary",
      until: "2026-01-31",
      line: 8,
    },
    { rule: "IMGSEC-S3-010", address: "aws_s3_bucket.logs", reason: "nothing fails", line: 9 },
  ];

  test("a live waiver covers every instance of a count block; the message says where and until when", async () => {
    const { report, failed } = await checkStacks(
      [stack("s", waivers)],
      dir,
      { today: TODAY },
      gate,
    );
    expect(failed).toBe(true);
    const logging = of(report.results, "IMGSEC-S3-007");
    expect(logging.map((r) => [r.resource, r.status])).toEqual([
      ["aws_s3_bucket.logs[0]", "WAIVED"],
      ["aws_s3_bucket.logs[1]", "WAIVED"],
    ]);
    expect(logging[0].message).toMatch(
      /\(waived in main\.tf:1 until 2027-03-31: legacy bucket, SEC-123\)$/,
    );
  });

  test("a waiver without expiry is allowed and reported as 'no expiry' in text and JSON", async () => {
    const { report } = await checkStacks([stack("s", waivers)], dir, { today: TODAY }, gate);
    const lifecycle = of(report.results, "IMGSEC-S3-008");
    expect(lifecycle.every((r) => r.status === "WAIVED")).toBe(true);
    expect(lifecycle[0].message).toMatch(
      /\(waived in main\.tf:2, no expiry: archive managed by the records office\)$/,
    );
    expect(toText(report)).toMatch(/waived in main\.tf:2, no expiry/);
    const json = JSON.parse(toJson(report));
    expect(json.inlineWaivers).toMatchObject({ applied: true, found: 4 });
    expect(json.inlineWaivers.waivers[1]).toEqual({
      rule: "IMGSEC-S3-008",
      address: "aws_s3_bucket.logs",
      stack: "s",
      file: "main.tf",
      line: 2,
      reason: "archive managed by the records office",
      expires: "no expiry",
      state: "used",
    });
  });

  test("an expired waiver leaves the failure FAIL with a note; one that matches nothing is unused", async () => {
    const { report } = await checkStacks([stack("s", waivers)], dir, { today: TODAY }, gate);
    const sse = of(report.results, "IMGSEC-S3-001");
    expect(sse.map((r) => r.status)).toEqual(["FAIL", "FAIL"]);
    expect(sse[0].message).toMatch(/\(inline waiver in main\.tf:8 expired 2026-01-31\)$/);
    const states = report.inlineWaivers?.waivers.map((w) => [w.waiver.rule, w.state]);
    expect(states).toEqual([
      ["IMGSEC-S3-007", "used"],
      ["IMGSEC-S3-008", "used"],
      ["IMGSEC-S3-001", "expired"],
      ["IMGSEC-S3-010", "unused"],
    ]);
    expect(toText(report)).toMatch(
      /^unused inline waiver: IMGSEC-S3-010 aws_s3_bucket\.logs at main\.tf:9 \(s, no expiry\) matches no failure$/m,
    );
  });

  test("a waiver is scoped to its stack: the same address in another stack stays FAIL", async () => {
    const { report } = await checkStacks(
      [stack("a", waivers.slice(0, 1)), stack("b", [])],
      dir,
      { today: TODAY },
      gate,
    );
    const logging = of(report.results, "IMGSEC-S3-007");
    expect(logging.map((r) => [r.stack, r.status])).toEqual([
      ["a", "WAIVED"],
      ["a", "WAIVED"],
      ["b", "FAIL"],
      ["b", "FAIL"],
    ]);
  });

  test("--no-inline-waivers ignores them, says how many, and lists them for review", async () => {
    const { report } = await checkStacks(
      [stack("s", waivers)],
      dir,
      { today: TODAY, noInlineWaivers: true },
      gate,
    );
    expect(report.results.some((r) => r.status === "WAIVED")).toBe(false);
    expect(of(report.results, "IMGSEC-S3-007").every((r) => r.status === "FAIL")).toBe(true);
    expect(toText(report)).toMatch(
      /^--no-inline-waivers: 4 inline waivers in the configuration ignored \(not applied\)$/m,
    );
    const json = JSON.parse(toJson(report)).inlineWaivers;
    expect(json).toMatchObject({ applied: false, found: 4 });
    expect(json.waivers.every((w: { state: string }) => w.state === "ignored")).toBe(true);
  });

  test("SARIF marks a result waived in code as suppressed in source, at the comment", async () => {
    const { report } = await checkStacks([stack("s", waivers)], dir, { today: TODAY }, gate);
    const sarif = JSON.parse(toSarif(report));
    const waived = sarif.runs[0].results.filter(
      (r: { ruleId: string }) => r.ruleId === "IMGSEC-S3-007",
    );
    expect(waived).toHaveLength(2);
    expect(waived[0].suppressions).toEqual([
      {
        kind: "inSource",
        status: "accepted",
        justification: "legacy bucket, SEC-123",
        location: {
          physicalLocation: {
            artifactLocation: { uri: "main.tf", uriBaseId: "%SRCROOT%" },
            region: { startLine: 1 },
          },
        },
      },
    ]);
  });

  test("a file waiver and an inline waiver on one failure: the file waiver applies, both are used", () => {
    const result: CheckResult = {
      rule: "IMGSEC-S3-007",
      title: "t",
      status: "FAIL",
      resource: "aws_s3_bucket.logs[0]",
      stack: "s",
      severity: "medium",
      controls: [],
      message: "no logging",
      remediation: "r",
    };
    const out = applyWaivers(
      [result],
      [
        {
          rule: "IMGSEC-S3-007",
          resource: "aws_s3_bucket.logs*",
          justification: "central exception SEC-1",
          expires: "2027-01-01",
        },
      ],
      TODAY,
      {
        waivers: [{ ...waivers[0], file: "main.tf", stack: "s" }],
        configAddress: () => "aws_s3_bucket.logs",
      },
    );
    expect(out.results[0].message).toBe(
      "no logging (waived until 2027-01-01: central exception SEC-1)",
    );
    expect(out.unused).toEqual([]);
    expect(out.inline.map((x) => x.state)).toEqual(["used"]);
    expect(out.waivedInline.size).toBe(0);
  });

  test("an inline waiver whose expiry is not a date, or without a reason, is unusable input", () => {
    const base = { rule: "IMGSEC-S3-007", address: "a.b", file: "main.tf", line: 4, stack: "s" };
    const run = (w: InlineWaiver & { stack: string }) => () =>
      applyWaivers([], [], TODAY, { waivers: [w], configAddress: () => undefined });
    expect(run({ ...base, reason: "ok", until: "2027-02-30" })).toThrow(
      /^main\.tf:4: imgsec:waive IMGSEC-S3-007: until=2027-02-30 is not a date/,
    );
    expect(run({ ...base, reason: " " })).toThrow(
      /^main\.tf:4: imgsec:waive IMGSEC-S3-007 needs reason=/,
    );
  });
});
