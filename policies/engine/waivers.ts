import { CheckResult } from "../../handlers/results/result";

/** A waiver: `resource` may use `*`; `stack` limits it to one stack; valid through `expires` (UTC). */
export interface Waiver {
  rule: string;
  resource: string;
  stack?: string;
  justification: string;
  expires: string;
}

export interface WaiverOutcome {
  results: CheckResult[];
  /** Waivers that matched no failing or unknown result (stale, or the resource was fixed). */
  unused: Waiver[];
  /** Expired waivers; the failures they matched stay FAIL. */
  expired: Waiver[];
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(value);
}

const matches = (w: Waiver, r: CheckResult) =>
  w.rule === r.rule && globMatch(w.resource, r.resource) && (!w.stack || w.stack === r.stack);

/**
 * Applies waivers to failing results: a live waiver turns FAIL into WAIVED; an expired one leaves
 * it FAIL and says so. A waiver is valid through the end of its `expires` day (UTC).
 */
export function applyWaivers(
  results: CheckResult[],
  waivers: Waiver[],
  today = new Date(),
): WaiverOutcome {
  const todayStr = today.toISOString().slice(0, 10);
  const isExpired = (w: Waiver) => w.expires < todayStr;
  const used = new Set<Waiver>();
  const out = results.map((r) => {
    // An UNKNOWN is waivable too: a team may know what a variable holds and say so, with an expiry.
    if (r.status !== "FAIL" && r.status !== "WARN" && r.status !== "UNKNOWN") return r;
    const w =
      waivers.find((x) => matches(x, r) && !isExpired(x)) ?? waivers.find((x) => matches(x, r));
    if (!w) return r;
    used.add(w);
    if (isExpired(w))
      return {
        ...r,
        status: r.status === "UNKNOWN" ? r.status : ("FAIL" as const),
        message: `${r.message} (waiver expired ${w.expires})`,
      };
    return {
      ...r,
      status: "WAIVED" as const,
      message: `${r.message} (waived until ${w.expires}: ${w.justification})`,
    };
  });
  return {
    results: out,
    unused: waivers.filter((w) => !used.has(w)),
    expired: waivers.filter(isExpired),
  };
}
