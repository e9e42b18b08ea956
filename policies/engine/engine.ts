import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPolicySync } from "@open-policy-agent/opa-wasm";
import { loadCatalog, RuleMeta } from "./catalog";
import { NormalizedStack } from "./normalize";
import { projectRoot } from "./paths";
import { CheckResult } from "../../handlers/results/result";

export type LoadedPolicy = ReturnType<typeof loadPolicySync>;

/** One result as a compiled bundle's entrypoint returns it, before the catalog completes it. */
export interface RawResult {
  package: string;
  resource: string;
  status: "PASS" | "FAIL" | "UNKNOWN";
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

/** The folder holding the compiled bundles and their catalogs (policies/dist). */
export function distDir(): string {
  return join(projectRoot(), "policies", "dist");
}

/** A compiled bundle's WASM bytes and its rule catalog, read from `dist`. */
export function readBundle(
  dist: string,
  wasmFile: string,
  catalogFile: string,
): { wasm: Buffer; catalog: RuleMeta[] } {
  return {
    wasm: readFileSync(join(dist, wasmFile)),
    catalog: loadCatalog(join(dist, catalogFile)),
  };
}

/** The raw results of one evaluation of `entrypoint` (an empty list when it is undefined). */
export function evaluateEntrypoint(
  policy: LoadedPolicy,
  input: unknown,
  entrypoint: string,
): RawResult[] {
  const out = policy.evaluate(input, entrypoint) as { result: RawResult[] }[];
  return out[0]?.result ?? [];
}

/**
 * Raw results completed from the rule catalog (id, title, severity, controls, remediation; a
 * warning-level rule's FAIL becomes WARN), sorted so output is stable across runs and engines.
 * `stack` is set on every result when given, and left out otherwise.
 */
export function completeResults(
  raw: RawResult[],
  byPackage: Map<string, RuleMeta>,
  stack?: string,
): CheckResult[] {
  const results = raw.map((r): CheckResult => {
    const meta = byPackage.get(r.package);
    if (!meta)
      throw new Error(`rule package ${r.package} is missing from the catalog: rebuild policies`);
    return {
      rule: meta.id,
      title: meta.title,
      status: r.status === "FAIL" && meta.level === "warning" ? "WARN" : r.status,
      resource: r.resource,
      ...(stack === undefined ? {} : { stack }),
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

  static load(dist = distDir()): DeploymentGate {
    const { wasm, catalog } = readBundle(dist, "deployment.wasm", "catalog.json");
    return new DeploymentGate(loadPolicySync(wasm), catalog);
  }

  evaluate(stack: NormalizedStack, params: Params = defaultParams()): CheckResult[] {
    const input = {
      stack: stack.stack,
      source: stack.source,
      params,
      resources: stack.resources,
      by_type: resourcesByType(stack),
      // IMGSEC-LMB-007 compares runtime deprecation dates with it (WASM has no clock);
      // params.evaluation_date, when set, pins it for a reproducible run.
      evaluation_date: new Date().toISOString().slice(0, 10),
    };
    const raw = evaluateEntrypoint(this.policy, input, "imgsec/main/results");
    return completeResults(raw, this.byPackage, stack.stack);
  }
}
