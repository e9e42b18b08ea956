import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "./paths";
import { Severity } from "../../handlers/results/result";

/** One rule's metadata, extracted from its METADATA block at build time (scripts/build-policies.js). */
export interface RuleMeta {
  package: string;
  id: string;
  title: string;
  description: string;
  severity: Severity;
  /** `warning`: failures are reported as WARN and do not fail the gate. */
  level: "error" | "warning";
  controls: string[];
  resource_types: string[];
  /** Deployment rules: the attributes whose value decides the verdict (an unknown one gives UNKNOWN). */
  inputs?: string[];
  remediation: string;
}

export function loadCatalog(
  file = join(projectRoot(), "policies", "dist", "catalog.json"),
): RuleMeta[] {
  return JSON.parse(readFileSync(file, "utf8")) as RuleMeta[];
}
