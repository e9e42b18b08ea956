/**
 * One case in every form the gate reads, each evaluated with the same params: the cdktf JSON as
 * `imgsec check` reads it today, the same configuration as HCL (a `main.tf` on disk, read by
 * loadStacks), in the array form of Terraform JSON, and as plan JSON of a first deployment and
 * of the deployed stack (to-plan.ts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CheckResult } from "../../../handlers/results/result";
import { NormalizedStack } from "../../../policies/engine/document";
import { DeploymentGate, Params } from "../../../policies/engine/engine";
import { loadStacks, normalizeDocument } from "../../../policies/engine/normalize";
import { configAddressOf } from "../../../policies/engine/plan";
import { Tf } from "../mutations/types";
import { toArrayJson } from "./to-array-json";
import { toHcl } from "./to-hcl";
import { toPlan } from "./to-plan";

export const FORMS = ["cdktf", "hcl", "array-json", "plan-create", "plan-existing"] as const;
export type Form = (typeof FORMS)[number];

export interface Evaluated {
  stack: NormalizedStack;
  results: CheckResult[];
}

/**
 * The case `tf` in every form, evaluated. `dir` is an empty folder for the HCL file; the stack
 * name is the same in every form (`name`), so results differ only where the forms do.
 */
export function evaluateForms(
  gate: DeploymentGate,
  tf: Tf,
  name: string,
  params: Params,
  dir: string,
): Record<Form, Evaluated> {
  const run = (stack: NormalizedStack): Evaluated => {
    stack.stack = name;
    return { stack, results: gate.evaluate(stack, params) };
  };
  const hclFile = join(dir, "main.tf");
  writeFileSync(hclFile, toHcl(tf));
  const arrayText = JSON.stringify(toArrayJson(tf), null, 2);
  return {
    cdktf: run(normalizeDocument(tf, `${name}.json`, name)),
    hcl: run(loadStacks(hclFile)[0]),
    "array-json": run(
      normalizeDocument(JSON.parse(arrayText), "main.tf.json", name, { text: arrayText }),
    ),
    "plan-create": run(normalizeDocument(toPlan(tf, { state: "create" }), "plan.json", name)),
    "plan-existing": run(normalizeDocument(toPlan(tf, { state: "existing" }), "plan.json", name)),
  };
}

/** A verdict: the rule, the resource's config address (instance key dropped), the status. */
export const verdictOf = (r: CheckResult): string =>
  `${r.rule} ${configAddressOf(r.resource)} ${r.status}`;

/** A whole result as the HCL and array forms must reproduce it. */
export const resultOf = (r: CheckResult): string => `${r.status} ${r.resource}: ${r.message}`;
