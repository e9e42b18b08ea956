/**
 * The organization's answers for what no tool can check (--attestations, YAML or JSON). Validated
 * against a schema: a file that does not follow it is unusable input (exit 2), never half-read.
 * Answers that name no specification of the catalog, or one twice, are reported and not used.
 */
import { readFileSync } from "node:fs";
import type { Attestation } from "./model";

import { AttestationsError } from "./errors";
import { isCalendarDate } from "../../handlers/results/calendar";

export interface AttestationsFile {
  /** The organization as it names itself (optional, shown in the report's title). */
  organization?: string;
  attestations: Attestation[];
}

export interface LoadedAttestations extends AttestationsFile {
  bytes: Buffer;
}

const CITATION_RE = /^164\.3(08|10|12|14|16)(\([0-9a-zA-Z]+\))+$/;

function schema() {
  // Loaded on demand: zod costs start-up time that report runs without attestations need not pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { z } = require("zod") as typeof import("zod");
  const text = (max: number) =>
    z
      .string()
      .trim()
      .min(1)
      .max(max)
      // Control characters (tabs and newlines aside) have no place in an attestation.
      .refine((s) => ![...s].some((c) => isControl(c)), "holds control characters");
  const date = z
    .union([z.string(), z.date()])
    .transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v))
    .refine(isCalendarDate, "must be a date written YYYY-MM-DD");
  const entry = z
    .strictObject({
      citation: z
        .string()
        .regex(CITATION_RE, "must be a Security Rule citation such as 164.308(a)(1)(ii)(A)"),
      decision: z.enum(["implemented", "alternative", "not-reasonable", "not-applicable"]),
      attested_by: text(200),
      date,
      document: text(500),
      rationale: text(4000).optional(),
      alternative: text(4000).optional(),
    })
    .superRefine((a, ctx) => {
      if (a.decision !== "implemented" && !a.rationale)
        ctx.addIssue({
          code: "custom",
          path: ["rationale"],
          message: `is required for ${a.decision}`,
        });
      if (a.decision === "alternative" && !a.alternative)
        ctx.addIssue({
          code: "custom",
          path: ["alternative"],
          message: "names the alternative measure",
        });
    });
  return z.strictObject({
    organization: text(200).optional(),
    attestations: z.array(entry).max(1000),
  });
}

/** Reads and validates an attestations file; AttestationsError (one line) when it is unusable. */
export function loadAttestations(file: string, today = new Date()): LoadedAttestations {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new AttestationsError(
      `cannot read --attestations ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  let raw: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both. Unique keys, no custom tags, no aliases
    // bombs (maxAliasCount), and one document only.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const YAML = require("yaml") as typeof import("yaml");
    raw = YAML.parse(bytes.toString("utf8"), { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    const m = /at line (\d+)/.exec((e as Error).message);
    throw new AttestationsError(
      `--attestations ${file} is not valid YAML or JSON${m ? ` (line ${m[1]})` : ""}`,
    );
  }
  const r = schema().safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AttestationsError(
      `--attestations ${file}: ${issue.path.length ? issue.path.join(".") : "the document"} ${issue.message}`,
    );
  }
  const todayText = today.toISOString().slice(0, 10);
  const attestations = r.data.attestations.map((a, i): Attestation => {
    if (a.date > todayText)
      throw new AttestationsError(
        `--attestations ${file}: attestations.${i}.date ${a.date} is in the future`,
      );
    return {
      citation: a.citation,
      decision: a.decision,
      attestedBy: a.attested_by,
      date: a.date,
      document: a.document,
      ...(a.rationale ? { rationale: a.rationale } : {}),
      ...(a.alternative ? { alternative: a.alternative } : {}),
    };
  });
  return { organization: r.data.organization, attestations, bytes };
}

function isControl(c: string): boolean {
  const n = c.charCodeAt(0);
  return (n < 0x20 && c !== "\t" && c !== "\n") || n === 0x7f;
}
