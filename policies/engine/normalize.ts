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
import {
  isObj,
  Json,
  NormalizedResource,
  NormalizedStack,
  Obj,
  strings,
  UNKNOWN,
  UnusableInputError,
} from "./document";
import { fromPlan } from "./plan";
import { fromTfJson } from "./tfjson";

export type { Json, NormalizedResource, NormalizedStack } from "./document";
export { UNKNOWN, UnusableInputError } from "./document";
export { parsePolicy } from "./policy-docs";

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
