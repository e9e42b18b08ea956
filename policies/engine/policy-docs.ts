/** IAM policy documents, parsed once for every rule (see normalize.ts). */
import { isObj, Json, Obj, strings, UNKNOWN } from "./document";

export const POLICY_ATTRIBUTES = new Set(["policy", "assume_role_policy"]);

// ---- policy documents -------------------------------------------------------------------------

export function policiesOf(values: Obj): Record<string, Obj | null> {
  const out: Record<string, Obj | null> = {};
  for (const [attr, v] of Object.entries(values)) {
    if (POLICY_ATTRIBUTES.has(attr)) out[attr] = parsePolicy(v);
  }
  // aws_iam_role inline_policy blocks: inline_policy.<i>
  const inline = values.inline_policy;
  (Array.isArray(inline) ? inline : isObj(inline) ? [inline] : []).forEach((p, i) => {
    if (isObj(p) && "policy" in p) out[`inline_policy.${i}`] = parsePolicy(p.policy);
  });
  return out;
}

const ARRAY_KEYS = ["Action", "NotAction", "Resource", "NotResource"];
/** A whole value that is one reference (`${data.aws_iam_policy_document.p.json}`). */
const REFERENCE_ONLY = /^\$\{[^{}]*\}$/;

/** A policy document whose content is not known: rules report UNKNOWN for it. */
export const unknownDocument = (): Obj => ({ unknown: true, Statement: [] });

export function parsePolicy(v: Json): Obj | null {
  let doc: Json = v;
  if (typeof v === "string") {
    try {
      doc = JSON.parse(v) as Json;
    } catch {
      // A document built by an expression (a variable, jsonencode(...), a data source's json)
      // is unknown, not malformed.
      return v.includes(UNKNOWN) || REFERENCE_ONLY.test(v) ? unknownDocument() : null;
    }
  }
  if (!isObj(doc)) return null;
  const st = doc.Statement;
  const raw = Array.isArray(st) ? st : st === undefined ? [] : [st];
  // A statement that is itself an expression ("Statement": ["${var.s}"]) is unknown, not absent:
  // dropping it with the other non-objects would let the rest of the document pass.
  if (raw.some((x) => !isObj(x) && [...strings(x)].some((t) => t.includes(UNKNOWN))))
    return unknownDocument();
  const statements = raw.filter(isObj).map((s) => {
    const n: Obj = { ...s };
    for (const k of ARRAY_KEYS) if (k in n) n[k] = Array.isArray(n[k]) ? n[k] : [n[k]];
    return n;
  });
  return { ...doc, Statement: statements };
}
