/**
 * Turns the three inputs `imgsec check` accepts into one document per stack, the only shape the
 * Rego rules see:
 *
 *   { stack, source: "cdktf"|"plan"|"tfjson", params: {...},
 *     resources: { "<address>": { address, config_address, type, name, mode, values,
 *                                 refs: { <top-level attribute>: ["<config address>", ...] },
 *                                 policies: { <attribute>: {Statement: [...]} | null } } } }
 *
 * - cdktf `cdk.tf.json` and plain `*.tf.json`: references are strings such as
 *   `${aws_s3_bucket.raw.id}`; `refs` lists the resources each attribute mentions.
 * - `terraform show -json` plans: values come from planned_values, references from the
 *   configuration's expressions (values unknown until apply are simply absent).
 * - IAM policy documents in `policy` / `assume_role_policy` (and inline policies) are parsed once
 *   here, with Statement, Action, NotAction, Resource and NotResource always arrays; a literal that
 *   is not JSON is `null`, which rules treat as failing; a document whose value is unknown is
 *   `{unknown: true, Statement: []}`, which rules report as UNKNOWN.
 *
 * Unknown values. A value is known when it is a literal, or a reference to a managed resource or
 * data source of the same document (kept as `${type.name.attr}`, listed in `refs`): rules resolve
 * what such a reference means (a role's ARN is a named principal). Everything else (a variable, a
 * local, a module output, a function call, a conditional, a reference to a resource that is not in
 * the document) is unknown: each such interpolation is rewritten to the marker `${?}` (UNKNOWN), so
 * a literal part around it survives ("arn:aws:iam::${?}:root" is still an account's root). In a
 * plan, values in `after_unknown` that no resolvable reference explains are written as `${?}` too;
 * Rego's `lib.is_unknown` finds the marker anywhere in a value.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export interface NormalizedResource {
  address: string;
  config_address: string;
  type: string;
  name: string;
  mode: "managed" | "data";
  values: Obj;
  refs: Record<string, string[]>;
  /** Inbound references, by source type and attribute: {"aws_s3_bucket_versioning": {"bucket": [addresses]}}.
   * Built once here so rules relate resources in linear time instead of scanning all pairs. */
  referenced_by: Record<string, Record<string, string[]>>;
  policies: Record<string, Obj | null>;
}

export interface NormalizedStack {
  stack: string;
  source: "cdktf" | "plan" | "tfjson";
  file: string;
  resources: Record<string, NormalizedResource>;
}

/** Raised for input that cannot be checked; the CLI prints its one-line message and exits 2. */
export class UnusableInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnusableInputError";
  }
}

const POLICY_ATTRIBUTES = new Set(["policy", "assume_role_policy"]);
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function readJson(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UnusableInputError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new UnusableInputError(
      `${file} is not valid JSON: ${(e as Error).message.split("\n")[0]}`,
    );
  }
}

/** Loads a file or directory: a cdktf.out (manifest.json), a stack folder, a plan, or *.tf.json. */
export function loadStacks(path: string): NormalizedStack[] {
  if (!existsSync(path)) throw new UnusableInputError(`no such file or directory: ${path}`);
  if (statSync(path).isDirectory()) return loadDirectory(path);
  return [normalizeDocument(readJson(path), path, stackNameFor(path))];
}

function loadDirectory(dir: string): NormalizedStack[] {
  const manifest = join(dir, "manifest.json");
  if (existsSync(manifest)) {
    const m = readJson(manifest);
    const stacks = isObj(m) && isObj(m.stacks) ? m.stacks : undefined;
    if (!stacks) throw new UnusableInputError(`${manifest} is not a cdktf manifest (no "stacks")`);
    return Object.entries(stacks).map(([name, s]) => {
      const rel =
        isObj(s) && typeof s.synthesizedStackPath === "string" ? s.synthesizedStackPath : undefined;
      if (!rel)
        throw new UnusableInputError(`${manifest}: stack ${name} has no synthesizedStackPath`);
      const file = join(dir, rel);
      return normalizeDocument(readJson(file), file, name);
    });
  }
  // A Terraform module directory: every *.tf.json in it is one configuration, as Terraform merges them.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".tf.json"))
    .sort();
  if (files.length === 0) {
    throw new UnusableInputError(`${dir} has neither a cdktf manifest.json nor *.tf.json files`);
  }
  const merged: Obj = {};
  for (const f of files) {
    const doc = readJson(join(dir, f));
    if (!isObj(doc)) throw new UnusableInputError(`${join(dir, f)} is not a Terraform JSON object`);
    for (const kind of ["resource", "data"]) {
      const byType = doc[kind];
      if (!isObj(byType)) continue;
      const target = (merged[kind] ??= {}) as Obj;
      for (const [type, byName] of Object.entries(byType)) {
        if (isObj(byName))
          target[type] = { ...(isObj(target[type]) ? target[type] : {}), ...byName };
      }
    }
  }
  return [normalizeDocument(merged, dir, basename(dir))];
}

function stackNameFor(file: string): string {
  const parent = basename(join(file, ".."));
  return basename(file) === "cdk.tf.json" ? parent : basename(file).replace(/\.json$/, "");
}

export function detectFormat(doc: Json): "cdktf" | "plan" | "tfjson" {
  if (!isObj(doc))
    throw new UnusableInputError("unrecognized format: the JSON document is not an object");
  if (
    isObj(doc.planned_values) ||
    (typeof doc.format_version === "string" && "terraform_version" in doc)
  )
    return "plan";
  const meta = isObj(doc["//"]) ? doc["//"] : undefined;
  if (meta && isObj(meta.metadata) && "stackName" in meta.metadata) return "cdktf";
  if (["resource", "data", "terraform", "provider", "module"].some((k) => k in doc))
    return "tfjson";
  throw new UnusableInputError(
    "unrecognized format: expected cdktf cdk.tf.json, Terraform plan JSON (terraform show -json) or *.tf.json",
  );
}

export function normalizeDocument(doc: Json, file: string, stack: string): NormalizedStack {
  const source = detectFormat(doc);
  const resources = source === "plan" ? fromPlan(doc as Obj) : fromTfJson(doc as Obj);
  indexInboundReferences(resources);
  if (source === "cdktf") {
    const meta = ((doc as Obj)["//"] as Obj).metadata as Obj;
    if (typeof meta.stackName === "string") stack = meta.stackName;
  }
  return { stack, source, file, resources };
}

// ---- *.tf.json and cdktf -------------------------------------------------------------------

function fromTfJson(doc: Obj): Record<string, NormalizedResource> {
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

/** The marker that stands for an unknown part of a value (see the module comment). */
export const UNKNOWN = "${?}";

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

function* strings(v: Json): Generator<string> {
  if (typeof v === "string") yield v;
  else if (Array.isArray(v)) for (const x of v) yield* strings(x);
  else if (isObj(v)) for (const x of Object.values(v)) yield* strings(x);
}

// ---- plan JSON --------------------------------------------------------------------------------

function fromPlan(doc: Obj): Record<string, NormalizedResource> {
  const out: Record<string, NormalizedResource> = {};
  const planned = isObj(doc.planned_values) ? doc.planned_values.root_module : undefined;
  const walkPlanned = (mod: Json | undefined) => {
    if (!isObj(mod)) return;
    for (const r of Array.isArray(mod.resources) ? mod.resources : []) {
      if (!isObj(r) || typeof r.address !== "string" || typeof r.type !== "string") {
        throw new UnusableInputError("plan: a planned resource has no address or type");
      }
      const values = isObj(r.values) ? r.values : {};
      const configAddress = r.address.replace(/\[[^\]]*\]/g, "");
      out[r.address] = {
        address: r.address,
        config_address: configAddress,
        type: r.type,
        name: String(r.name ?? ""),
        mode: r.mode === "data" ? "data" : "managed",
        values,
        refs: {},
        referenced_by: {},
        policies: policiesOf(values),
      };
    }
    for (const child of Array.isArray(mod.child_modules) ? mod.child_modules : [])
      walkPlanned(child);
  };
  walkPlanned(planned);

  // References live in the configuration, keyed by config address (module path + type.name).
  const byConfigAddress = new Map<string, NormalizedResource[]>();
  for (const r of Object.values(out)) {
    const list = byConfigAddress.get(r.config_address);
    if (list) list.push(r);
    else byConfigAddress.set(r.config_address, [r]);
  }
  const configAddresses = new Set(byConfigAddress.keys());
  // The attributes each resource's configuration sets: only those can be unknown values of the
  // user's; other after_unknown attributes are ones the provider computes (a new role's arn).
  const configured = new Map<string, Set<string>>();
  const walkConfig = (mod: Json | undefined, prefix: string) => {
    if (!isObj(mod)) return;
    for (const c of Array.isArray(mod.resources) ? mod.resources : []) {
      if (!isObj(c) || typeof c.address !== "string") continue;
      const configAddress = prefix + c.address;
      const refs: Record<string, string[]> = {};
      const expressions = isObj(c.expressions) ? c.expressions : {};
      configured.set(configAddress, new Set(Object.keys(expressions)));
      for (const [attr, expr] of Object.entries(expressions)) {
        const found = new Set<string>();
        for (const ref of references(expr)) {
          const target = resolveReference(prefix, ref, configAddresses);
          if (target) found.add(target);
        }
        if (found.size) refs[attr] = [...found];
      }
      for (const r of byConfigAddress.get(configAddress) ?? []) r.refs = refs;
    }
    const calls = isObj(mod.module_calls) ? mod.module_calls : {};
    for (const [name, call] of Object.entries(calls)) {
      if (isObj(call)) walkConfig(call.module, `${prefix}module.${name}.`);
    }
  };
  walkConfig(isObj(doc.configuration) ? doc.configuration.root_module : undefined, "");
  markPlanUnknowns(doc, out, configured);
  return out;
}

/**
 * Writes UNKNOWN where a plan says a value the configuration sets is not known until apply
 * (`after_unknown`) and no resolvable reference explains it: the attribute is then neither absent (which rules would read
 * as the provider's default) nor a reference a rule can resolve. Unknown policy documents are
 * marked whatever their references, since no rule can read a document it cannot see.
 */
function markPlanUnknowns(
  doc: Obj,
  resources: Record<string, NormalizedResource>,
  configured: Map<string, Set<string>>,
): void {
  for (const change of Array.isArray(doc.resource_changes) ? doc.resource_changes : []) {
    if (!isObj(change) || typeof change.address !== "string" || !isObj(change.change)) continue;
    const r = resources[change.address];
    const unknown = change.change.after_unknown;
    if (!r || !isObj(unknown)) continue;
    // Without the resource's configuration (a plan without it), every unknown counts: fail closed.
    const set = configured.get(r.config_address);
    for (const [attr, u] of Object.entries(unknown)) {
      if (set && !set.has(attr)) continue;
      if (POLICY_ATTRIBUTES.has(attr) && u === true) {
        r.policies[attr] = unknownDocument();
        continue;
      }
      if (attr === "inline_policy") markInlinePolicies(r, u);
      if (r.refs[attr]?.length) continue;
      const merged = withUnknown(r.values[attr], u);
      if (merged !== undefined) r.values[attr] = merged;
    }
  }
}

/** `value` with UNKNOWN written at every `true` leaf of the after_unknown tree `u`. */
function withUnknown(value: Json | undefined, u: Json): Json | undefined {
  if (u === true) return value === undefined || value === null ? UNKNOWN : value;
  if (Array.isArray(u)) {
    const base = Array.isArray(value) ? [...value] : [];
    let changed = false;
    u.forEach((x, i) => {
      const m = withUnknown(base[i], x);
      if (m !== undefined && m !== base[i]) {
        while (base.length < i) base.push(null);
        base[i] = m;
        changed = true;
      }
    });
    return changed ? base : value;
  }
  if (isObj(u)) {
    const base: Obj = isObj(value) ? { ...value } : {};
    let changed = false;
    for (const [k, x] of Object.entries(u)) {
      const m = withUnknown(base[k], x);
      if (m !== undefined && m !== base[k]) {
        base[k] = m;
        changed = true;
      }
    }
    return changed ? base : value;
  }
  return value;
}

function markInlinePolicies(r: NormalizedResource, u: Json): void {
  (Array.isArray(u) ? u : []).forEach((block, i) => {
    if (block === true || (isObj(block) && block.policy === true))
      r.policies[`inline_policy.${i}`] = unknownDocument();
  });
}

function* references(expr: Json): Generator<string> {
  if (Array.isArray(expr)) for (const e of expr) yield* references(e);
  else if (isObj(expr)) {
    if (Array.isArray(expr.references))
      for (const r of expr.references) if (typeof r === "string") yield r;
    for (const [k, v] of Object.entries(expr))
      if (k !== "references" && k !== "constant_value") yield* references(v);
  }
}

/** "aws_s3_bucket.raw.id" → "aws_s3_bucket.raw" (the longest prefix that is a resource). */
function resolveReference(prefix: string, ref: string, known: Set<string>): string | undefined {
  const parts = ref.replace(/\[[^\]]*\]/g, "").split(".");
  for (let n = parts.length; n >= 2; n--) {
    const candidate = prefix + parts.slice(0, n).join(".");
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

// ---- inbound reference index ------------------------------------------------------------------

/** Attributes whose literal value names a resource (a plan often names a bucket instead of
 * referring to it). */
const NAME_KEYS = ["bucket", "id", "arn", "name", "function_name"];

/**
 * Fills `referenced_by` on every resource: each attribute of a source that refers to a target by
 * reference (`refs`, by config address) or by the target's literal name, id or ARN.
 */
export function indexInboundReferences(resources: Record<string, NormalizedResource>): void {
  const byConfig = new Map<string, NormalizedResource[]>();
  const byName = new Map<string, NormalizedResource[]>();
  const push = <K>(m: Map<K, NormalizedResource[]>, k: K, r: NormalizedResource) => {
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  };
  for (const r of Object.values(resources)) {
    push(byConfig, r.config_address, r);
    for (const k of NAME_KEYS) {
      const v = r.values[k];
      // A name with an unknown part names nothing we can match: "${?}" would link unrelated
      // resources (every new bucket's id in a plan is unknown).
      if (typeof v === "string" && v !== "" && !v.includes(UNKNOWN)) push(byName, v, r);
    }
  }
  const link = (source: NormalizedResource, attr: string, target: NormalizedResource) => {
    if (target === source) return;
    const byAttr = (target.referenced_by[source.type] ??= {});
    const list = (byAttr[attr] ??= []);
    if (!list.includes(source.address)) list.push(source.address);
  };
  for (const r of Object.values(resources)) {
    for (const [attr, targets] of Object.entries(r.refs)) {
      for (const t of targets) for (const target of byConfig.get(t) ?? []) link(r, attr, target);
    }
    for (const [attr, v] of Object.entries(r.values)) {
      if (NAME_KEYS.includes(attr) && r.type === "aws_s3_bucket") continue;
      for (const s of strings(v)) {
        if (s.includes(UNKNOWN)) continue;
        for (const target of byName.get(s) ?? []) link(r, attr, target);
      }
    }
  }
}

// ---- policy documents -------------------------------------------------------------------------

function policiesOf(values: Obj): Record<string, Obj | null> {
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
const unknownDocument = (): Obj => ({ unknown: true, Statement: [] });

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
