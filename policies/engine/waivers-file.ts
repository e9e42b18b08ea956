// Reading and validating a waivers file (JSON or YAML). Kept apart from waivers.ts so that a check
// without waivers does not load the YAML and schema libraries.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { formatZodError } from "../../modules/errors";
import { UnusableInputError } from "./normalize";
import { Waiver } from "./waivers";

const WaiverSchema = z.strictObject({
  rule: z.string().regex(/^IMGSEC-[A-Z0-9]+-\d{3}$/, "a rule id such as IMGSEC-S3-001"),
  /** A resource address; `*` matches any run of characters. */
  resource: z.string().min(1),
  /** Limits the waiver to one stack. */
  stack: z.string().min(1).optional(),
  justification: z.string().trim().min(10, "a justification of at least 10 characters"),
  expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD"),
});

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
    throw new UnusableInputError(`waivers file ${file}: ${formatZodError(parsed.error)}`);
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
