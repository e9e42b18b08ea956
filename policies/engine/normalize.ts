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
 *   here, with Statement, Action, NotAction, Resource and NotResource always arrays; a document that
 *   is not known or not JSON is `null`, which rules treat as failing.
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

const INTERPOLATION = /\$\{([^}]*)\}/g;
const ADDRESS_IN_EXPR = /\b(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)/g;

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
          policies: policiesOf(values),
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
      for (const s of strings(v)) {
        for (const m of s.matchAll(INTERPOLATION)) {
          for (const a of m[1].matchAll(ADDRESS_IN_EXPR)) {
            const addr = `${a[1] ?? ""}${a[2]}.${a[3]}`;
            if (known.has(addr)) refs.add(addr);
          }
        }
      }
      if (refs.size) r.refs[attr] = [...refs];
    }
  }
  return out;
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
  const walkConfig = (mod: Json | undefined, prefix: string) => {
    if (!isObj(mod)) return;
    for (const c of Array.isArray(mod.resources) ? mod.resources : []) {
      if (!isObj(c) || typeof c.address !== "string") continue;
      const configAddress = prefix + c.address;
      const refs: Record<string, string[]> = {};
      for (const [attr, expr] of Object.entries(isObj(c.expressions) ? c.expressions : {})) {
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
  return out;
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
      if (typeof v === "string" && v !== "") push(byName, v, r);
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
      for (const s of strings(v)) for (const target of byName.get(s) ?? []) link(r, attr, target);
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

export function parsePolicy(v: Json): Obj | null {
  let doc: Json = v;
  if (typeof v === "string") {
    try {
      doc = JSON.parse(v) as Json;
    } catch {
      return null;
    }
  }
  if (!isObj(doc)) return null;
  const st = doc.Statement;
  const statements = (Array.isArray(st) ? st : st === undefined ? [] : [st])
    .filter(isObj)
    .map((s) => {
      const n: Obj = { ...s };
      for (const k of ARRAY_KEYS) if (k in n) n[k] = Array.isArray(n[k]) ? n[k] : [n[k]];
      return n;
    });
  return { ...doc, Statement: statements };
}
