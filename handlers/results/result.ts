/** The one result shape every imgsec check emits (IaC, packages, audit logs); the report reads it. */
/** UNKNOWN: the verdict depends on a value the engine cannot know (a variable, a function result, a
 * plan value known only after apply). It is never a PASS. */
export type Status = "PASS" | "FAIL" | "WARN" | "WAIVED" | "UNKNOWN";
export type Severity = "critical" | "high" | "medium" | "low";

export interface CheckResult {
  rule: string;
  title: string;
  status: Status;
  resource: string;
  stack?: string;
  severity: Severity;
  controls: string[];
  message: string;
  remediation: string;
  /**
   * Where the resource is written (IaC results): file relative to the checked path, 1-based block
   * lines, module path, cdktf construct path. Absent where nothing better than `resource` is known.
   */
  location?: {
    file: string;
    startLine?: number;
    endLine?: number;
    module?: string;
    construct?: string;
  };
}

export interface Summary {
  passed: number;
  failed: number;
  warned: number;
  waived: number;
  unknown: number;
}

export function summarize(results: CheckResult[]): Summary {
  const count = (s: Status) => results.filter((r) => r.status === s).length;
  return {
    passed: count("PASS"),
    failed: count("FAIL"),
    warned: count("WARN"),
    waived: count("WAIVED"),
    unknown: count("UNKNOWN"),
  };
}

export const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low"];
