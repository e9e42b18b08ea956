/**
 * Turns what `imgsec check` accepts (a Terraform module of HCL and/or JSON files, cdktf output, a
 * plan) into one document per stack, the only shape the Rego rules see:
 *
 *   { stack, source: "cdktf"|"plan"|"tfjson"|"hcl", params: {...},
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
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
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
import { configFileNames, LoadedConfig, loadModuleDirectory, LoadOptions } from "./config/load";
import { fromPlan } from "./plan";
import { fromTfJson } from "./tfjson";

export type { Json, NormalizedResource, NormalizedStack } from "./document";
export { UNKNOWN, UnusableInputError } from "./document";
export type { LoadOptions } from "./config/load";
export { parsePolicy } from "./policy-docs";

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UnusableInputError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
}

function parseJson(text: string, file: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new UnusableInputError(
      `${file} is not valid JSON: ${(e as Error).message.split("\n")[0]}`,
    );
  }
}

/** A stack as the loader returns it: the contract's stack, and the loader's notes (what it could
 * not read or know: a module not downloaded, a function it does not evaluate). */
/** A stack as loaded (its notes are part of NormalizedStack now; the name stays for callers). */
export type LoadedStack = NormalizedStack;

/**
 * Loads a file or directory: a cdktf.out (manifest.json), a stack folder, a plan, a Terraform
 * module directory (`.tf`, `.tofu`, `.tf.json`, `.tofu.json`), or one such file.
 */
export function loadStacks(path: string, opts: LoadOptions = {}): LoadedStack[] {
  if (!existsSync(path)) throw new UnusableInputError(`no such file or directory: ${path}`);
  if (statSync(path).isDirectory()) return loadDirectory(path, opts);
  if (/\.(tf|tofu)$/.test(path))
    return [moduleStack(loadModuleDirectory(path, opts, path), path, "hcl")];
  const text = readText(path);
  return [normalizeDocument(parseJson(text, path), path, stackNameFor(path), { text, opts })];
}

function loadDirectory(dir: string, opts: LoadOptions): LoadedStack[] {
  const manifest = join(dir, "manifest.json");
  if (existsSync(manifest)) {
    const m = parseJson(readText(manifest), manifest);
    const stacks = isObj(m) && isObj(m.stacks) ? m.stacks : undefined;
    if (!stacks) throw new UnusableInputError(`${manifest} is not a cdktf manifest (no "stacks")`);
    return Object.entries(stacks).map(([name, s]) => {
      const rel =
        isObj(s) && typeof s.synthesizedStackPath === "string" ? s.synthesizedStackPath : undefined;
      if (!rel)
        throw new UnusableInputError(`${manifest}: stack ${name} has no synthesizedStackPath`);
      const file = join(dir, rel);
      const text = readText(file);
      return normalizeDocument(parseJson(text, file), file, name, { text, base: dir, opts });
    });
  }
  // A Terraform module directory: its files are one configuration, as Terraform merges them.
  const names = configFileNames(dir);
  if (names.length === 0) {
    throw new UnusableInputError(
      `${dir} has neither a cdktf manifest.json nor *.tf.json files (nor *.tf, *.tofu, *.tofu.json)`,
    );
  }
  const hcl = names.some((n) => /\.(tf|tofu)$/.test(n));
  return [moduleStack(loadModuleDirectory(dir, opts), dir, hcl ? "hcl" : "tfjson")];
}

function moduleStack(loaded: LoadedConfig, path: string, source: "hcl" | "tfjson"): LoadedStack {
  indexInboundReferences(loaded.resources);
  const name = basename(statSync(path).isDirectory() ? resolve(path) : path).replace(
    /\.(tf|tofu)$/,
    "",
  );
  return {
    stack: name,
    source,
    file: path,
    resources: loaded.resources,
    inlineWaivers: loaded.inlineWaivers,
    notes: loaded.notes,
  };
}

function stackNameFor(file: string): string {
  const parent = basename(join(file, ".."));
  return basename(file) === "cdk.tf.json"
    ? parent
    : basename(file).replace(/(\.tf|\.tofu)?\.json$/, "");
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

/**
 * One parsed document. `text` (the file's text) gives source lines, `base` is what source
 * locations are relative to (the checked path; default the file), `opts` the variable values.
 */
export function normalizeDocument(
  doc: Json,
  file: string,
  stack: string,
  from: { text?: string; base?: string; opts?: LoadOptions } = {},
): LoadedStack {
  const source = detectFormat(doc);
  if (source === "plan") {
    const resources = fromPlan(doc as Obj);
    indexInboundReferences(resources);
    return { stack, source, file, resources };
  }
  const loaded = fromTfJson(doc as Obj, { file, ...from });
  indexInboundReferences(loaded.resources);
  if (source === "cdktf") {
    const meta = ((doc as Obj)["//"] as Obj).metadata as Obj;
    if (typeof meta.stackName === "string") stack = meta.stackName;
  }
  return {
    stack,
    source,
    file,
    resources: loaded.resources,
    inlineWaivers: loaded.inlineWaivers,
    notes: loaded.notes,
  };
}

// ---- inbound reference index ------------------------------------------------------------------

/**
 * The instances of a block (count, for_each) that an attribute refers to: a reference names one
 * instance (`${aws_s3_bucket.b["x"].id}`), or a plan's value names it literally (its bucket, id,
 * arn or name); only when neither tells them apart are they all linked. Linking every bucket of a
 * set to each versioning resource would pass a bucket on another bucket's control.
 */
function instancesReferred(
  candidates: NormalizedResource[],
  value: Json | undefined,
): NormalizedResource[] {
  if (candidates.length < 2 || value === undefined) return candidates;
  const texts = [...strings(value)];
  const byReference = candidates.filter((c) =>
    texts.some((t) => t.includes(`\${${c.address}.`) || t.includes(`\${${c.address}}`)),
  );
  if (byReference.length) return byReference;
  const byName = candidates.filter((c) =>
    NAME_KEYS.some((k) => {
      const v = c.values[k];
      return typeof v === "string" && v !== "" && !v.includes(UNKNOWN) && texts.includes(v);
    }),
  );
  return byName.length ? byName : candidates;
}

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
      for (const t of targets)
        for (const target of instancesReferred(byConfig.get(t) ?? [], r.values[attr]))
          link(r, attr, target);
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
