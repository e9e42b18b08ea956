import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { CheckResult } from "./result";
import { UnusableInputError } from "./normalize";

const WaiverSchema = z.strictObject({
  rule: z.string().regex(/^IMGSEC-[A-Z0-9]+-\d{3}$/, "a rule id such as IMGSEC-S3-001"),
  /** A resource address; `*` matches any run of characters. */
  resource: z.string().min(1),
  /** Limits the waiver to one stack. */
  stack: z.string().min(1).optional(),
  justification: z.string().trim().min(10, "a justification of at least 10 characters"),
  expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD"),
});
export type Waiver = z.infer<typeof WaiverSchema>;

export interface WaiverOutcome {
  results: CheckResult[];
  /** Waivers that matched no failing result (stale, or the resource was fixed). */
  unused: Waiver[];
  /** Expired waivers; the failures they matched stay FAIL. */
  expired: Waiver[];
}

export function loadWaivers(file: string): Waiver[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UnusableInputError(
      `cannot read waivers file ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UnusableInputError(
      `waivers file ${file} is not valid ${/\.json$/i.test(file) ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  const list = Array.isArray(doc) ? doc : (doc as { waivers?: unknown })?.waivers;
  const parsed = z.array(WaiverSchema).safeParse(list);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UnusableInputError(
      `waivers file ${file}: ${i.path.join(".") || "(root)"}: ${i.message}`,
    );
  }
  for (const w of parsed.data) {
    if (Number.isNaN(Date.parse(`${w.expires}T00:00:00Z`))) {
      throw new UnusableInputError(
        `waivers file ${file}: ${w.rule} ${w.resource}: expires ${w.expires} is not a date`,
      );
    }
  }
  return parsed.data;
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
    if (r.status !== "FAIL" && r.status !== "WARN") return r;
    const w =
      waivers.find((x) => matches(x, r) && !isExpired(x)) ?? waivers.find((x) => matches(x, r));
    if (!w) return r;
    used.add(w);
    if (isExpired(w))
      return {
        ...r,
        status: "FAIL" as const,
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
