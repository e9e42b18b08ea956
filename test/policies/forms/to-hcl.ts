/**
 * A cdktf / Terraform JSON document (object form) as HCL (`main.tf`), written as a Terraform user
 * writes it: resources and data sources as labelled blocks, nested blocks as blocks where the
 * provider schema says they are blocks (schema.ts), maps and object attributes as HCL objects,
 * meta-arguments as bare references (`depends_on = [aws_iam_role.r]`), `"//"` metadata dropped.
 *
 * Strings stay quoted templates: a Terraform JSON string is parsed as a template exactly as an HCL
 * quoted string is, so `${…}`, `%{…}` and their escapes `$${` / `%%{` mean the same in both and
 * are written unchanged; only the string escapes differ (JSON's `\b` and `\f` do not exist in HCL,
 * control characters become `\uXXXX`).
 */
import { BodySchema, bodySchema } from "./schema";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A string as an HCL quoted template (its template sequences kept, see above). */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/** A literal string as an HCL expression whose value is exactly `s` (no template sequences). */
const literalString = (s: string): string =>
  quote(s.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{"));

/** `"${aws_iam_role.r}"` or `aws_iam_role.r` → `aws_iam_role.r` (a meta-argument's reference). */
function bare(v: Json, what: string): string {
  if (typeof v !== "string") throw new Error(`${what} must be a string reference`);
  const m = /^\$\{([^{}]+)\}$/.exec(v);
  const ref = (m ? m[1] : v).trim();
  if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[\d+\]|\["[^"]*"\])*$/.test(ref))
    throw new Error(`${what} is not a reference: ${v}`);
  return ref;
}

const pad = (n: number) => "  ".repeat(n);

/** A value as an HCL expression; strings are templates unless `literal`. */
export function expression(v: Json, indent = 0, literal = false): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`not a number HCL can write: ${v}`);
    return JSON.stringify(v);
  }
  if (typeof v === "string") return literal ? literalString(v) : quote(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const items = v.map((x) => expression(x, indent + 1, literal));
    if (items.every((x) => !x.includes("\n")) && items.join(", ").length < 80)
      return `[${items.join(", ")}]`;
    return `[\n${items.map((x) => `${pad(indent + 1)}${x},`).join("\n")}\n${pad(indent)}]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return "{}";
  const lines = entries.map(
    ([k, x]) =>
      `${pad(indent + 1)}${literal ? literalString(k) : quote(k)} = ${expression(x, indent + 1, literal)}`,
  );
  return `{\n${lines.join("\n")}\n${pad(indent)}}`;
}

/** Meta-arguments of resources and data sources, written by hand. */
const META = new Set([
  "depends_on",
  "provider",
  "lifecycle",
  "count",
  "for_each",
  "provisioner",
  "connection",
]);

function attribute(name: string, v: Json, indent: number): string {
  return `${pad(indent)}${name} = ${expression(v, indent)}`;
}

function block(header: string, lines: string[], indent: number): string {
  if (lines.length === 0) return `${pad(indent)}${header} {}`;
  return `${pad(indent)}${header} {\n${lines.join("\n")}\n${pad(indent)}}`;
}

/** The bodies a nested block value stands for (one object, or a non-empty list of objects). */
function bodiesOf(v: Json): Obj[] | undefined {
  if (isObj(v)) return [v];
  if (Array.isArray(v) && v.length > 0 && v.every(isObj)) return v as Obj[];
  return undefined;
}

/** A resource, data source or nested block body. `top` is true for a resource's own body. */
/** Meta-arguments first (count, for_each, provider) or last (depends_on, lifecycle), as Terraform's
 * style guide writes them. */
const FIRST = ["count", "for_each", "provider"];
const LAST = ["depends_on", "lifecycle"];
const rank = (k: string) => (FIRST.includes(k) ? 0 : LAST.includes(k) ? 2 : 1);

function body(b: Obj, schema: BodySchema | undefined, indent: number, top: boolean): string[] {
  const out: string[] = [];
  const entries = Object.entries(b);
  if (top) entries.sort(([a], [c]) => rank(a) - rank(c));
  for (const [k, v] of entries) {
    if (k === "//") continue;
    if (top && META.has(k)) {
      out.push(meta(k, v, indent));
      continue;
    }
    if (k === "dynamic") {
      out.push(...dynamic(v, schema, indent));
      continue;
    }
    const s = schema?.key(k);
    const bodies = s?.block ? bodiesOf(v) : undefined;
    if (s?.block && bodies) {
      for (const x of bodies) out.push(block(k, body(x, s.body, indent + 1, false), indent));
    } else {
      // An attribute, an empty or null block list (`egress = []`, which Terraform accepts for
      // attributes-as-blocks), or a key the provider does not know: the loader reads an HCL
      // object attribute and a JSON object alike.
      out.push(attribute(k, v, indent));
    }
  }
  return out;
}

function meta(k: string, v: Json, indent: number): string {
  switch (k) {
    case "depends_on":
      if (!Array.isArray(v)) throw new Error("depends_on must be a list");
      return `${pad(indent)}depends_on = [${v.map((x) => bare(x, "depends_on")).join(", ")}]`;
    case "provider":
      return `${pad(indent)}provider = ${bare(v, "provider")}`;
    case "lifecycle": {
      if (!isObj(v)) throw new Error("lifecycle must be an object");
      const lines = Object.entries(v).map(([name, x]) =>
        name === "ignore_changes" || name === "replace_triggered_by"
          ? Array.isArray(x)
            ? `${pad(indent + 1)}${name} = [${x.map((y) => bare(y, name)).join(", ")}]`
            : `${pad(indent + 1)}${name} = ${bare(x, name)}`
          : attribute(name, x, indent + 1),
      );
      return block("lifecycle", lines, indent);
    }
    case "count":
    case "for_each":
      return attribute(k, v, indent);
    default:
      throw new Error(`the HCL converter does not write ${k}`);
  }
}

/** `"dynamic": {"rule": {"for_each": …, "iterator": "r", "content": {…}}}` as dynamic blocks. */
function dynamic(v: Json, schema: BodySchema | undefined, indent: number): string[] {
  if (!isObj(v)) throw new Error('"dynamic" must be an object');
  const out: string[] = [];
  for (const [label, spec] of Object.entries(v)) {
    for (const d of bodiesOf(spec) ?? []) {
      const s = schema?.key(label);
      const lines: string[] = [];
      for (const [k, x] of Object.entries(d)) {
        if (k === "content") {
          for (const c of bodiesOf(x) ?? [])
            lines.push(
              block(
                "content",
                body(c, s?.block ? s.body : undefined, indent + 2, false),
                indent + 1,
              ),
            );
        } else if (k === "iterator")
          lines.push(`${pad(indent + 1)}iterator = ${bare(x, "iterator")}`);
        else lines.push(attribute(k, x, indent + 1));
      }
      out.push(block(`dynamic ${quote(label)}`, lines, indent));
    }
  }
  return out;
}

/** `{"a": {...}}` or `[{"a": {...}}, ...]` (a label level) as [label, body] pairs. */
function labelled(v: Json, what: string): [string, Json][] {
  const levels = Array.isArray(v) ? v : [v];
  return levels.flatMap((l) => {
    if (!isObj(l)) throw new Error(`${what} must be an object`);
    return Object.entries(l).filter(([k]) => k !== "//");
  });
}

/** Every block of a top-level type, as HCL. */
function topLevel(type: string, v: Json): string[] {
  switch (type) {
    case "resource":
    case "data":
      return labelled(v, type).flatMap(([t, byName]) =>
        labelled(byName, `${type} ${t}`).flatMap(([name, b]) =>
          (bodiesOf(b) ?? []).map((x) =>
            block(
              `${type} ${quote(t)} ${quote(name)}`,
              body(x, bodySchema(t, type === "data" ? "data" : "resource"), 1, true),
              0,
            ),
          ),
        ),
      );
    case "provider":
      return labelled(v, type).flatMap(([name, configs]) =>
        (bodiesOf(configs) ?? []).map((c) =>
          block(
            `provider ${quote(name)}`,
            body(c, name === "aws" ? bodySchema("aws", "provider") : undefined, 1, false),
            0,
          ),
        ),
      );
    case "output":
      return labelled(v, type).map(([name, o]) => {
        if (!isObj(o)) throw new Error(`output ${name} must be an object`);
        const lines = Object.entries(o).map(([k, x]) =>
          k === "depends_on" ? meta(k, x, 1) : attribute(k, x, 1),
        );
        return block(`output ${quote(name)}`, lines, 0);
      });
    case "variable":
      return labelled(v, type).map(([name, o]) => {
        if (!isObj(o)) throw new Error(`variable ${name} must be an object`);
        const lines = Object.entries(o).map(([k, x]) =>
          k === "type"
            ? `${pad(1)}type = ${String(x)}`
            : k === "default"
              ? `${pad(1)}default = ${expression(x, 1, true)}`
              : attribute(k, x, 1),
        );
        return block(`variable ${quote(name)}`, lines, 0);
      });
    case "locals":
      return (Array.isArray(v) ? v : [v]).map((l) => {
        if (!isObj(l)) throw new Error("locals must be an object");
        const lines = Object.entries(l)
          .filter(([k]) => k !== "//")
          .map(([k, x]) => attribute(k, x, 1));
        return block("locals", lines, 0);
      });
    case "terraform":
      return (Array.isArray(v) ? v : [v]).map((t) => {
        if (!isObj(t)) throw new Error("terraform must be an object");
        const lines: string[] = [];
        for (const [k, x] of Object.entries(t)) {
          if (k === "//") continue;
          if (k === "backend" || k === "cloud") {
            for (const [name, cfg] of labelled(x, k)) {
              const cfgLines = isObj(cfg)
                ? Object.entries(cfg).map(([a, y]) => attribute(a, y, 2))
                : [];
              lines.push(block(k === "backend" ? `backend ${quote(name)}` : k, cfgLines, 1));
            }
          } else if (k === "required_providers") {
            const providers = labelled(x, k).map(([name, req]) => attribute(name, req, 2));
            lines.push(block(k, providers, 1));
          } else lines.push(attribute(k, x, 1));
        }
        return block("terraform", lines, 0);
      });
    default:
      throw new Error(`the HCL converter does not write top-level ${type} blocks`);
  }
}

/** The order Terraform users usually write a module in. */
const ORDER = ["terraform", "provider", "variable", "locals", "data", "resource", "output"];

/** The document as the text of one `.tf` file. */
export function toHcl(doc: Obj): string {
  const types = Object.keys(doc).filter((k) => k !== "//");
  types.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  const blocks = types.flatMap((t) => topLevel(t, doc[t]));
  return `${blocks.join("\n\n")}\n`;
}
