/** The one result shape every imgsec check emits (IaC, packages, audit logs); the report reads it. */
export type Status = "PASS" | "FAIL" | "WARN" | "WAIVED";
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
}

export interface Summary {
  passed: number;
  failed: number;
  warned: number;
  waived: number;
}

export function summarize(results: CheckResult[]): Summary {
  const count = (s: Status) => results.filter((r) => r.status === s).length;
  return {
    passed: count("PASS"),
    failed: count("FAIL"),
    warned: count("WARN"),
    waived: count("WAIVED"),
  };
}

export const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low"];
