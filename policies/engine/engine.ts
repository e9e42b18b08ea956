import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPolicySync } from "@open-policy-agent/opa-wasm";
import { loadCatalog, RuleMeta } from "./catalog";
import { NormalizedStack } from "./normalize";
import { projectRoot } from "./paths";
import { CheckResult } from "./result";

type LoadedPolicy = ReturnType<typeof loadPolicySync>;
interface RawResult {
  package: string;
  resource: string;
  status: "PASS" | "FAIL";
  message: string;
}

export type Params = Record<string, unknown>;

/** {type: [addresses]}: lets rules visit only the resources of one type. */
export function resourcesByType(stack: NormalizedStack): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of Object.values(stack.resources)) (out[r.type] ??= []).push(r.address);
  return out;
}

export function defaultParams(): Params {
  return JSON.parse(readFileSync(join(projectRoot(), "policies", "params.json"), "utf8")) as Params;
}

/**
 * The deployment gate: the compiled rules (policies/dist/deployment.wasm) evaluated in-process,
 * one stack per evaluation, with each result completed from the rule catalog.
 */
export class DeploymentGate {
  private readonly byPackage: Map<string, RuleMeta>;

  private constructor(
    private readonly policy: LoadedPolicy,
    readonly catalog: RuleMeta[],
  ) {
    this.byPackage = new Map(catalog.map((r) => [r.package, r]));
  }

  static load(dist = join(projectRoot(), "policies", "dist")): DeploymentGate {
    const wasm = readFileSync(join(dist, "deployment.wasm"));
    return new DeploymentGate(loadPolicySync(wasm), loadCatalog(join(dist, "catalog.json")));
  }

  evaluate(stack: NormalizedStack, params: Params = defaultParams()): CheckResult[] {
    const input = {
      stack: stack.stack,
      source: stack.source,
      params,
      resources: stack.resources,
      by_type: resourcesByType(stack),
    };
    const out = this.policy.evaluate(input, "imgsec/main/results") as { result: RawResult[] }[];
    const raw = out[0]?.result ?? [];
    const results = raw.map((r): CheckResult => {
      const meta = this.byPackage.get(r.package);
      if (!meta)
        throw new Error(`rule package ${r.package} is missing from the catalog: rebuild policies`);
      return {
        rule: meta.id,
        title: meta.title,
        status: r.status === "FAIL" && meta.level === "warning" ? "WARN" : r.status,
        resource: r.resource,
        stack: stack.stack,
        severity: meta.severity,
        controls: meta.controls,
        message: r.message,
        remediation: meta.remediation,
      };
    });
    // opa-wasm returns sets in insertion order; sort so output is stable across runs and engines.
    return results.sort(
      (a, b) =>
        a.rule.localeCompare(b.rule) ||
        a.resource.localeCompare(b.resource) ||
        a.status.localeCompare(b.status) ||
        a.message.localeCompare(b.message),
    );
  }
}
