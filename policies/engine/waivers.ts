import { CheckResult } from "../../handlers/results/result";
import { InlineWaiver, UnusableInputError } from "./document";
import { isCalendarDate } from "../../handlers/results/calendar";

/** A waiver: `resource` may use `*`; `stack` limits it to one stack; valid through `expires` (UTC). */
export interface Waiver {
  rule: string;
  resource: string;
  stack?: string;
  justification: string;
  expires: string;
}

/** A waiver written in the configuration (`# imgsec:waive ...`), with the stack it was read from. */
export interface ScopedInlineWaiver extends InlineWaiver {
  stack: string;
}

/** What became of an inline waiver: it waived or matched a failure, matched none, or was ignored. */
export type InlineWaiverState = "used" | "expired" | "unused" | "ignored";

export interface InlineWaivers {
  waivers: ScopedInlineWaiver[];
  /** The config address of a result's resource: every instance of a count/for_each block has the
   * same one, so a waiver above the block covers them all. */
  configAddress: (stack: string | undefined, resource: string) => string | undefined;
}

export interface WaiverOutcome {
  results: CheckResult[];
  /** Waivers that matched no failing or unknown result (stale, or the resource was fixed). */
  unused: Waiver[];
  /** Expired waivers; the failures they matched stay FAIL. */
  expired: Waiver[];
  /** Each inline waiver's state, in the order given. */
  inline: { waiver: ScopedInlineWaiver; state: InlineWaiverState }[];
  /** The results an inline waiver turned WAIVED, with that waiver (SARIF: an in-source suppression). */
  waivedInline: Map<CheckResult, ScopedInlineWaiver>;
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

/** `main.tf:12`: where an inline waiver is written. */
export const waiverPlace = (w: InlineWaiver) => `${w.file}:${w.line}`;

/** "until 2027-03-31" or "no expiry": an inline waiver's expiry may be left out. */
export const inlineExpiry = (w: InlineWaiver) => (w.until ? `until ${w.until}` : "no expiry");

/**
 * Refuses an inline waiver the gate cannot apply safely: one without a reason, or whose expiry is
 * not a real date (which would otherwise never expire, or always).
 */
export function checkInlineWaiver(w: InlineWaiver): void {
  if (!w.reason || !w.reason.trim())
    throw new UnusableInputError(`${waiverPlace(w)}: imgsec:waive ${w.rule} needs reason="..."`);
  if (w.until !== undefined && !isCalendarDate(w.until))
    throw new UnusableInputError(
      `${waiverPlace(w)}: imgsec:waive ${w.rule}: until=${w.until} is not a date (YYYY-MM-DD)`,
    );
}

/**
 * Applies waivers to failing, warning and unknown results. A live waiver turns the result WAIVED;
 * an expired one leaves a failure FAIL and says so. Waivers are valid through the end of their
 * expiry day (UTC); an inline waiver without `until` does not expire. File waivers are tried
 * before inline ones; every waiver that matches a result counts as used, whichever one applied.
 * Inline waivers match by rule, stack and the resource's config address (all its instances).
 */
export function applyWaivers(
  results: CheckResult[],
  waivers: Waiver[],
  today = new Date(),
  inline: InlineWaivers = { waivers: [], configAddress: () => undefined },
): WaiverOutcome {
  const todayStr = today.toISOString().slice(0, 10);
  const isExpired = (w: Waiver) => w.expires < todayStr;
  const inlineExpired = (w: ScopedInlineWaiver) => w.until !== undefined && w.until < todayStr;
  inline.waivers.forEach(checkInlineWaiver);
  const used = new Set<Waiver>();
  const usedInline = new Set<ScopedInlineWaiver>();
  const waivedInline = new Map<CheckResult, ScopedInlineWaiver>();
  const out = results.map((r) => {
    // An UNKNOWN is waivable too: a team may know what a variable holds and say so, with an expiry.
    if (r.status !== "FAIL" && r.status !== "WARN" && r.status !== "UNKNOWN") return r;
    const fileMatches = waivers.filter((x) => matches(x, r));
    const config = inline.waivers.length ? inline.configAddress(r.stack, r.resource) : undefined;
    const inlineMatches = config
      ? inline.waivers.filter(
          (x) => x.rule === r.rule && x.stack === r.stack && x.address === config,
        )
      : [];
    fileMatches.forEach((w) => used.add(w));
    inlineMatches.forEach((w) => usedInline.add(w));
    const liveFile = fileMatches.find((w) => !isExpired(w));
    if (liveFile)
      return {
        ...r,
        status: "WAIVED" as const,
        message: `${r.message} (waived until ${liveFile.expires}: ${liveFile.justification})`,
      };
    const liveInline = inlineMatches.find((w) => !inlineExpired(w));
    if (liveInline) {
      const waived: CheckResult = {
        ...r,
        status: "WAIVED",
        message: `${r.message} (waived in ${waiverPlace(liveInline)}${liveInline.until ? ` until ${liveInline.until}` : ", no expiry"}: ${liveInline.reason})`,
      };
      waivedInline.set(waived, liveInline);
      return waived;
    }
    const note = fileMatches.length
      ? `waiver expired ${fileMatches[0].expires}`
      : inlineMatches.length
        ? `inline waiver in ${waiverPlace(inlineMatches[0])} expired ${inlineMatches[0].until}`
        : undefined;
    if (!note) return r;
    return {
      ...r,
      status: r.status === "UNKNOWN" ? r.status : ("FAIL" as const),
      message: `${r.message} (${note})`,
    };
  });
  return {
    results: out,
    unused: waivers.filter((w) => !used.has(w)),
    expired: waivers.filter(isExpired),
    inline: inline.waivers.map((waiver) => ({
      waiver,
      state: !usedInline.has(waiver) ? "unused" : inlineExpired(waiver) ? "expired" : "used",
    })),
    waivedInline,
  };
}
