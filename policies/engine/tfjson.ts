/** cdktf `cdk.tf.json` and plain `*.tf.json`: resources and their references (see normalize.ts). */
import { isObj, Json, NormalizedResource, Obj, UNKNOWN, UnusableInputError } from "./document";
import { policiesOf } from "./policy-docs";

// ---- *.tf.json and cdktf -------------------------------------------------------------------

export function fromTfJson(doc: Obj): Record<string, NormalizedResource> {
  const out: Record<string, NormalizedResource> = {};
  const add = (mode: "managed" | "data", byType: Json | undefined) => {
    if (byType === undefined) return;
    if (!isObj(byType))
      throw new UnusableInputError(
        `"${mode === "data" ? "data" : "resource"}" must be an object of resource types`,
      );
    for (const [type, byName] of Object.entries(byType)) {
      if (!isObj(byName))
        throw new UnusableInputError(`resource type ${type} must be an object of named resources`);
      for (const [name, block] of Object.entries(byName)) {
        const values = isObj(block) ? stripMeta(block) : {};
        const address = `${mode === "data" ? "data." : ""}${type}.${name}`;
        out[address] = {
          address,
          config_address: address,
          type,
          name,
          mode,
          values,
          refs: {},
          referenced_by: {},
          policies: {},
        };
      }
    }
  };
  add("managed", doc.resource);
  add("data", doc.data);
  const known = new Set(Object.keys(out));
  for (const r of Object.values(out)) {
    for (const [attr, v] of Object.entries(r.values)) {
      const refs = new Set<string>();
      r.values[attr] = markUnknown(v, known, refs);
      if (refs.size) r.refs[attr] = [...refs];
    }
    r.policies = policiesOf(r.values);
  }
  return out;
}

/** A reference to a resource or data source and an optional attribute path: `aws_iam_role.r.arn`,
 * `data.aws_caller_identity.current.account_id`, `aws_s3_bucket.b[0].id`. */
const REFERENCE =
  /^\s*((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*)(?:\[\d+\]|\.[A-Za-z_][A-Za-z0-9_-]*|\["[^"\\]*"\])*\s*$/;

/**
 * A value with every interpolation that is not a resolvable reference replaced by UNKNOWN;
 * resolvable references are kept and their resource addresses added to `refs`.
 */
function markUnknown(v: Json, known: Set<string>, refs: Set<string>): Json {
  if (typeof v === "string") return markString(v, known, refs);
  if (Array.isArray(v)) return v.map((x) => markUnknown(x, known, refs));
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) out[k] = markUnknown(x, known, refs);
    return out;
  }
  return v;
}

function markString(s: string, known: Set<string>, refs: Set<string>): string {
  if (!s.includes("${") && !s.includes("%{")) return s;
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    // `$${` and `%%{` are Terraform's escapes for a literal `${` / `%{`.
    if ((c === "$" || c === "%") && s[i + 1] === c && s[i + 2] === "{") {
      out += s.slice(i, i + 3);
      i += 3;
      continue;
    }
    if ((c === "$" || c === "%") && s[i + 1] === "{") {
      const end = closingBrace(s, i + 2);
      if (end < 0) {
        // An unterminated template is not valid Terraform: nothing after it can be known.
        return out + UNKNOWN;
      }
      const expr = s.slice(i + 2, end);
      const m = c === "$" ? REFERENCE.exec(expr) : null;
      if (m && known.has(m[1])) {
        refs.add(m[1]);
        out += s.slice(i, end + 1);
      } else out += UNKNOWN;
      i = end + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** The index of the `}` that closes a template opened just before `from`, skipping nested braces
 * and quoted strings; -1 when there is none. */
function closingBrace(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === "\\") i++;
    } else if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** cdktf's "//" metadata and Terraform meta-arguments are not resource values. */
function stripMeta(block: Obj): Obj {
  const { ["//"]: _m, depends_on: _d, lifecycle: _l, provider: _p, ...values } = block;
  return values;
}
