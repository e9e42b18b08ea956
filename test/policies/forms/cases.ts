/**
 * The cases every form is checked on: the mutation cases (test/policies/mutations/*.ts, each of
 * which breaks one rule on a synthesized project stack or on the pipeline fixture) and the
 * unbroken bases, each with the params the mutation harness evaluates it with
 * (test/policies/mutations.test.ts: policies/params.json, the fixed evaluation date, then the
 * mutation's own params).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../../stacks/app";
import { resolveEnvironments } from "../../../stacks/config";
import { Params, defaultParams } from "../../../policies/engine/engine";
import { FIXTURE_EVALUATION_DATE, pipelineFixture } from "../pipeline-fixture";
import { Mutation, Tf } from "../mutations/types";

export type Base = "imgsec-dev" | "imgsec-prod" | "fixture";

export interface FormCase {
  /** For test names: `IMGSEC-S3-003: the raw bucket's versioning is suspended`, `base imgsec-dev`. */
  name: string;
  base: Base;
  /** The rule the case breaks (none for a base). */
  rule?: string;
  params: Params;
  /** A fresh copy of the case's cdktf JSON. */
  tf(): Tf;
}

/** Every mutations/*.ts file (but types.ts) exports `mutations: Mutation[]`. */
export function loadMutations(): Mutation[] {
  const dir = join(__dirname, "..", "mutations");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f !== "types.ts")
    .sort()
    .flatMap((f) => require(join(dir, f)).mutations as Mutation[]); // eslint-disable-line @typescript-eslint/no-require-imports
}

let synthesized: string | undefined;

/** A project stack's cdk.tf.json, synthesized once per process (as mutations.test.ts does). */
export function stackJson(name: "imgsec-dev" | "imgsec-prod"): Tf {
  if (!synthesized) {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-forms-"));
    buildApp(dir, resolveEnvironments()).synth();
    synthesized = dir;
  }
  return JSON.parse(readFileSync(join(synthesized, "stacks", name, "cdk.tf.json"), "utf8"));
}

/** Removes the synthesized stacks' folder (afterAll). */
export function removeSynthesized(): void {
  if (synthesized) rmSync(synthesized, { recursive: true, force: true });
  synthesized = undefined;
}

export const baseJson = (base: Base): Tf =>
  base === "fixture" ? pipelineFixture() : stackJson(base);

/** The params a case is judged with: the shipped ones, the fixed date, the mutation's own. */
export const paramsFor = (own: Params = {}): Params => ({
  ...defaultParams(),
  evaluation_date: FIXTURE_EVALUATION_DATE,
  ...own,
});

export function formCases(): FormCase[] {
  const bases: FormCase[] = (["imgsec-dev", "imgsec-prod", "fixture"] as const).map((base) => ({
    name: `base ${base}`,
    base,
    params: paramsFor(),
    tf: () => baseJson(base),
  }));
  const mutated: FormCase[] = loadMutations().map((m) => {
    const base = m.stack ?? "imgsec-dev";
    return {
      name: `${m.rule}: ${m.what}`,
      base,
      rule: m.rule,
      params: paramsFor(m.params),
      tf: () => {
        const tf = baseJson(base);
        m.apply(tf);
        return tf;
      },
    };
  });
  return [...bases, ...mutated];
}
