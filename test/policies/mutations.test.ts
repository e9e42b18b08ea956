import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../stacks/app";
import { resolveEnvironments } from "../../stacks/config";
import { CheckResult } from "../../handlers/results/result";
import { DeploymentGate, Params, defaultParams } from "../../policies/engine/engine";
import { normalizeDocument } from "../../policies/engine/normalize";
import { FIXTURE_EVALUATION_DATE, pipelineFixture } from "./pipeline-fixture";
import { Mutation, Tf } from "./mutations/types";

// Every mutations/*.ts file (but types.ts) exports `mutations: Mutation[]`.
const dir = join(__dirname, "mutations");
const mutations: Mutation[] = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "types.ts")
  .flatMap((f) => require(join(dir, f)).mutations as Mutation[]); // eslint-disable-line @typescript-eslint/no-require-imports

// The project's stacks are synthesized on first use, so that the fixture's cases still run (and
// say so) when the project does not synthesize.
let out: string | undefined;
const stackJson = (name: string): Tf => {
  if (!out) {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-mutations-"));
    buildApp(dir, resolveEnvironments()).synth();
    out = dir;
  }
  return JSON.parse(readFileSync(join(out, "stacks", name, "cdk.tf.json"), "utf8"));
};
const baseOf = (name: string): Tf => (name === "fixture" ? pipelineFixture() : stackJson(name));

const gate = DeploymentGate.load();
/** Mutations are judged on a fixed date (IMGSEC-LMB-007 compares runtime deprecation dates with it),
 * so that they mean the same every day; a mutation's own params win. */
const check = (name: string, tf: Tf, params: Params = {}) =>
  gate.evaluate(normalizeDocument(tf, `${name}.json`, name), {
    ...defaultParams(),
    evaluation_date: FIXTURE_EVALUATION_DATE,
    ...params,
  });

const TODAY = new Date().toISOString().slice(0, 10);

/** Warnings the project's stacks may carry: named, reported relaxations (IMGSEC-SM-003, a secret
 * exempt from rotation with its reason: the pseudonymization key; IMGSEC-IAM-007, the pipeline's
 * role-bound inline policies, inline on purpose). A mutation that adds an inline policy gets this
 * warning too, which is not the mutation's failure. */
const RELAXATIONS = new Set(["IMGSEC-SM-003", "IMGSEC-IAM-007"]);

/**
 * IMGSEC-CW-004 (a warning) on the project's trail: the CIS classes modules/monitoring.ts has no
 * metric filter and alarm for (its securityAlarms list covers unauthorized API calls, root use, KMS
 * key disabling, CloudTrail changes and bucket policy changes). Adding them to securityAlarms
 * empties this list, and this test then says so.
 */
const MONITORING_GAPS = [
  "console sign-in failures",
  "IAM policy changes",
  "security group changes",
  "network ACL changes",
  "network gateway changes",
  "route table changes",
  "VPC changes",
].map((c) => `no metric filter on the trail's log group matches the CIS pattern for ${c}`);

const describeResult = (r: CheckResult) => `${r.status} ${r.rule} ${r.resource}: ${r.message}`;
const isFailing = (r: CheckResult) => r.status === "FAIL" || r.status === "WARN";

describe("the project's own stacks", () => {
  test.each(["imgsec-dev", "imgsec-prod"])(
    "%s has zero failures and unknowns, judged today; warnings only for named relaxations",
    (name) => {
      const results = check(name, stackJson(name), { evaluation_date: TODAY });
      const bad = results
        .filter((r) => r.status !== "PASS")
        .filter((r) => !(r.status === "WARN" && RELAXATIONS.has(r.rule)))
        .filter((r) => !(r.status === "WARN" && r.rule === "IMGSEC-CW-004"))
        .map(describeResult);
      expect(bad).toEqual([]);
      expect(results.length).toBeGreaterThan(0);
    },
  );

  test.each(["imgsec-dev", "imgsec-prod"])(
    "%s: IMGSEC-CW-004 warns exactly of the CIS classes the Monitoring module has no alarm for",
    (name) => {
      const cw004 = check(name, stackJson(name)).filter((r) => r.rule === "IMGSEC-CW-004");
      expect(cw004.map((r) => r.status)).toEqual(MONITORING_GAPS.map(() => "WARN"));
      expect(cw004.map((r) => r.message).sort()).toEqual([...MONITORING_GAPS].sort());
    },
  );

  test("imgsec-prod replicates every PHI bucket: it passes IMGSEC-S3-011 with require_replication", () => {
    const results = check("imgsec-prod", stackJson("imgsec-prod"), { require_replication: true });
    const s3011 = results.filter((r) => r.rule === "IMGSEC-S3-011");
    expect(s3011.map((r) => r.status)).toEqual(["PASS", "PASS", "PASS"]);
    expect(s3011.map((r) => r.resource).sort()).toEqual([
      expect.stringMatching(/^aws_s3_bucket\.audit_bucket_/),
      expect.stringMatching(/^aws_s3_bucket\.processed_bucket_/),
      expect.stringMatching(/^aws_s3_bucket\.raw_bucket_/),
    ]);
    // imgsec-dev keeps no replica (stacks/config.ts): the shipped params do not require one.
    const dev = check("imgsec-dev", stackJson("imgsec-dev"), { require_replication: true });
    expect(
      dev.filter((r) => r.rule === "IMGSEC-S3-011").map((r) => `${r.status} ${r.resource}`),
    ).toEqual([
      expect.stringMatching(/^FAIL aws_s3_bucket\./),
      expect.stringMatching(/^FAIL aws_s3_bucket\./),
      expect.stringMatching(/^FAIL aws_s3_bucket\./),
    ]);
    expect(
      check("imgsec-dev", stackJson("imgsec-dev")).some((r) => r.rule === "IMGSEC-S3-011"),
    ).toBe(false);
  });

  test("every rule that applies to a resource type in the stacks reports PASS evidence", () => {
    const tf = stackJson("imgsec-prod");
    const types = new Set(Object.keys(tf.resource));
    const results = check("imgsec-prod", tf);
    const passed = new Set(results.map((r) => r.rule));
    // The stacks' only secret is exempt from rotation: IMGSEC-SM-003 reports it (WARN), so
    // IMGSEC-SM-002 has nothing of its own to judge.
    expect(results.filter((r) => r.rule === "IMGSEC-SM-003").map((r) => r.status)).toEqual([
      "WARN",
    ]);
    const applicable = gate.catalog.filter(
      (m) =>
        m.resource_types.some((t) => types.has(t)) &&
        !m.id.startsWith("IMGSEC-LMB-006") &&
        m.id !== "IMGSEC-SM-002",
    );
    expect(applicable.map((m) => m.id).filter((id) => !passed.has(id))).toEqual([]);
  });
});

describe("the pipeline fixture (test/policies/pipeline-fixture.ts)", () => {
  test("passes every rule: zero failures and unknowns, warnings only for named relaxations", () => {
    const results = check("fixture", pipelineFixture());
    expect(
      results
        .filter((r) => r.status !== "PASS")
        .filter((r) => !(r.status === "WARN" && RELAXATIONS.has(r.rule)))
        .map(describeResult),
    ).toEqual([]);
  });

  test("every rule that applies to one of its resource types reports PASS evidence", () => {
    const tf = pipelineFixture();
    const types = new Set(Object.keys(tf.resource));
    const passed = new Set(check("fixture", tf).map((r) => r.rule));
    const applicable = gate.catalog.filter(
      (m) => m.resource_types.some((t) => types.has(t)) && !m.id.startsWith("IMGSEC-LMB-006"),
    );
    expect(applicable.length).toBeGreaterThan(10);
    expect(applicable.map((m) => m.id).filter((id) => !passed.has(id))).toEqual([]);
  });
});

describe("each rule fails alone on the stack broken the way it targets", () => {
  test("every rule in the catalog has at least one mutation", () => {
    const covered = new Set(mutations.map((m) => m.rule));
    expect(gate.catalog.map((m) => m.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  // A result the unbroken stack already has (a named relaxation's WARN) is not the mutation's.
  const key = (r: CheckResult) => `${r.rule}\n${r.resource}\n${r.status}\n${r.message}`;

  test.each(mutations.map((m) => [`${m.rule}: ${m.what}`, m] as const))("%s", (_name, m) => {
    const name = m.stack ?? "imgsec-dev";
    const before = new Set(check(name, baseOf(name), m.params).filter(isFailing).map(key));
    const tf = baseOf(name);
    m.apply(tf);
    const results = check(name, tf, m.params);
    // A relaxation's warning on what the mutation adds (an inline role policy) is not its failure.
    const byDesign = (r: CheckResult) =>
      r.status === "WARN" && RELAXATIONS.has(r.rule) && r.rule !== m.rule;
    const failing = results.filter((r) => isFailing(r) && !before.has(key(r)) && !byDesign(r));
    expect([...new Set(failing.map((r) => r.rule))].sort()).toEqual(
      [m.rule, ...(m.alsoFails ?? [])].sort(),
    );
    const meta = gate.catalog.find((c) => c.id === m.rule);
    for (const f of failing.filter((r) => r.rule === m.rule)) {
      expect(f.status).toBe(meta?.level === "warning" ? "WARN" : "FAIL");
      expect(f.message.length).toBeGreaterThan(10);
      if (m.resource) expect(f.resource).toMatch(m.resource);
    }
  });
});
