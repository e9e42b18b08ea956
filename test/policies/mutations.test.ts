import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../stacks/app";
import { resolveEnvironments } from "../../stacks/config";
import { DeploymentGate, Params, defaultParams } from "../../policies/engine/engine";
import { normalizeDocument } from "../../policies/engine/normalize";
import { Mutation, Tf } from "./mutations/types";

// Every mutations/*.ts file (but types.ts) exports `mutations: Mutation[]`.
const dir = join(__dirname, "mutations");
const mutations: Mutation[] = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "types.ts")
  .flatMap((f) => require(join(dir, f)).mutations as Mutation[]); // eslint-disable-line @typescript-eslint/no-require-imports

const out = mkdtempSync(join(tmpdir(), "imgsec-mutations-"));
buildApp(out, resolveEnvironments()).synth();
const stackJson = (name: string): Tf =>
  JSON.parse(readFileSync(join(out, "stacks", name, "cdk.tf.json"), "utf8"));
const gate = DeploymentGate.load();
const check = (name: string, tf: Tf, params: Params = {}) =>
  gate.evaluate(normalizeDocument(tf, `${name}.json`, name), { ...defaultParams(), ...params });

describe("the project's own stacks", () => {
  test.each(["imgsec-dev", "imgsec-prod"])("%s has zero failures and zero warnings", (name) => {
    const results = check(name, stackJson(name));
    const bad = results
      .filter((r) => r.status !== "PASS")
      .map((r) => `${r.rule} ${r.resource}: ${r.message}`);
    expect(bad).toEqual([]);
    expect(results.length).toBeGreaterThan(0);
  });

  test("every rule that applies to a resource type in the stacks reports PASS evidence", () => {
    const tf = stackJson("imgsec-prod");
    const types = new Set(Object.keys(tf.resource));
    const passed = new Set(check("imgsec-prod", tf).map((r) => r.rule));
    const applicable = gate.catalog.filter(
      (m) => m.resource_types.some((t) => types.has(t)) && !m.id.startsWith("IMGSEC-LMB-006"),
    );
    expect(applicable.map((m) => m.id).filter((id) => !passed.has(id))).toEqual([]);
  });
});

describe("each rule fails alone on the stack broken the way it targets", () => {
  test("every rule in the catalog has at least one mutation", () => {
    const covered = new Set(mutations.map((m) => m.rule));
    expect(gate.catalog.map((m) => m.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  test.each(mutations.map((m) => [`${m.rule}: ${m.what}`, m] as const))("%s", (_name, m) => {
    const name = m.stack ?? "imgsec-dev";
    const tf = stackJson(name);
    m.apply(tf);
    const results = check(name, tf, m.params);
    const failing = results.filter((r) => r.status === "FAIL" || r.status === "WARN");
    expect([...new Set(failing.map((r) => r.rule))]).toEqual([m.rule]);
    const meta = gate.catalog.find((c) => c.id === m.rule);
    for (const f of failing) {
      expect(f.status).toBe(meta?.level === "warning" ? "WARN" : "FAIL");
      expect(f.message.length).toBeGreaterThan(10);
      if (m.resource) expect(f.resource).toMatch(m.resource);
    }
  });
});
