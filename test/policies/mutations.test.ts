import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../stacks/app";
import { DEV_REPLICATION_EXEMPT_REASON, resolveEnvironments } from "../../stacks/config";
import { CheckResult } from "../../handlers/results/result";
import { DeploymentGate, Params, defaultParams } from "../../policies/engine/engine";
import { normalizeDocument } from "../../policies/engine/normalize";
import { FIXTURE_EVALUATION_DATE, pipelineFixture } from "./pipeline-fixture";
import { Mutation, Tf, findResource } from "./mutations/types";

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
 * role-bound inline policies, inline on purpose; IMGSEC-S3-011, a PHI bucket exempt from
 * replication with its reason: imgsec-dev's). A mutation that adds an inline policy gets the
 * IAM-007 warning too, which is not the mutation's failure. */
const RELAXATIONS = new Set(["IMGSEC-SM-003", "IMGSEC-IAM-007", "IMGSEC-S3-011"]);

/** The PHI buckets of a project stack (replicas are copies, judged through their source). */
const PHI_BUCKETS = [
  expect.stringMatching(/^aws_s3_bucket\.audit_bucket_/),
  expect.stringMatching(/^aws_s3_bucket\.processed_bucket_/),
  expect.stringMatching(/^aws_s3_bucket\.raw_bucket_/),
];

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
        .map(describeResult);
      expect(bad).toEqual([]);
      expect(results.length).toBeGreaterThan(0);
    },
  );

  test.each(["imgsec-dev", "imgsec-prod"])(
    "%s: IMGSEC-CW-004 passes: the Monitoring module alarms on every CIS event class",
    (name) => {
      const cw004 = check(name, stackJson(name)).filter((r) => r.rule === "IMGSEC-CW-004");
      expect(cw004.map((r) => `${r.status} ${r.message}`)).toEqual([
        "PASS the trail's log group has a metric filter and a notifying alarm for every CIS event class",
      ]);
      expect(cw004[0].resource).toMatch(/^aws_cloudtrail\.audit-trail_/);
    },
  );

  test("imgsec-prod replicates every PHI bucket: it passes IMGSEC-S3-011 with the shipped params", () => {
    expect(defaultParams().require_replication).toBe(true);
    const s3011 = check("imgsec-prod", stackJson("imgsec-prod")).filter(
      (r) => r.rule === "IMGSEC-S3-011",
    );
    expect(s3011.map((r) => r.status)).toEqual(["PASS", "PASS", "PASS"]);
    expect(s3011.map((r) => r.resource).sort()).toEqual(PHI_BUCKETS);
    for (const r of s3011) expect(r.message).toMatch(/^replicates to aws_s3_bucket\.\w+_replica_/);
  });

  test("imgsec-dev keeps no replica, explicitly: IMGSEC-S3-011 warns on each PHI bucket with the reason", () => {
    const tf = stackJson("imgsec-dev");
    const s3011 = (t: Tf, params: Params = {}) =>
      check("imgsec-dev", t, params).filter((r) => r.rule === "IMGSEC-S3-011");
    const warned = s3011(tf);
    expect(warned.map((r) => r.status)).toEqual(["WARN", "WARN", "WARN"]);
    expect(warned.map((r) => r.resource).sort()).toEqual(PHI_BUCKETS);
    for (const r of warned) {
      expect(r.message).toBe(
        `no replication: exempt (tag imgsec:replication-exempt): ${DEV_REPLICATION_EXEMPT_REASON}`,
      );
    }
    // Reported whether or not a gate requires replication.
    expect(s3011(tf, { require_replication: false }).map((r) => r.status)).toEqual([
      "WARN",
      "WARN",
      "WARN",
    ]);

    // The raw bucket's tag, changed three ways; the other two buckets stay exempt.
    const raw = (edit: (tags: Tf) => void) => {
      const t = stackJson("imgsec-dev");
      edit(findResource(t, "aws_s3_bucket", "raw_bucket_").tags);
      return s3011(t).map((r) => `${r.status} ${r.resource.replace(/_[0-9A-F]{8}$/, "")}`);
    };
    expect(raw((tags) => delete tags["imgsec:replication-exempt"])).toEqual([
      "WARN aws_s3_bucket.audit_bucket",
      "WARN aws_s3_bucket.processed_bucket",
      "FAIL aws_s3_bucket.raw_bucket",
    ]);
    expect(raw((tags) => (tags["imgsec:replication-exempt"] = " "))).toEqual([
      "WARN aws_s3_bucket.audit_bucket",
      "WARN aws_s3_bucket.processed_bucket",
      "FAIL aws_s3_bucket.raw_bucket",
    ]);
    expect(
      raw((tags) => (tags["imgsec:replication-exempt"] = "${var.replication_reason}")),
    ).toEqual([
      "WARN aws_s3_bucket.audit_bucket",
      "WARN aws_s3_bucket.processed_bucket",
      "UNKNOWN aws_s3_bucket.raw_bucket",
    ]);
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
