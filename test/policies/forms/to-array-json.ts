/**
 * A cdktf / Terraform JSON document (object form) in the array form `hcl2json` emits and
 * Terraform's JSON syntax allows: at every label level an array of objects (the labels split
 * across several objects), every block body (resources, data sources, nested blocks, providers,
 * outputs) an array of objects, and `"//"` comment properties at those levels. cdktf's `"//"`
 * metadata is replaced by plain comments, so the document reads as hand-written Terraform JSON.
 *
 * Attribute values are left as they are: a map (`tags`) stays an object, where Terraform would
 * read a `"//"` key as a tag; nested blocks are told from attributes by the provider schema
 * (schema.ts).
 */
import { BodySchema, bodySchema } from "./schema";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deterministic variety: which bodies get a comment, how label levels are split. */
class Sprinkler {
  private n = 0;
  /** A `"//"` comment on every other body, at varying positions. */
  comment(o: Obj, what: string): Obj {
    this.n++;
    if (this.n % 2 === 0) return o;
    const note = { "//": `${what}: comment ${this.n}` };
    return this.n % 4 === 1 ? { ...note, ...o } : { ...o, ...note };
  }
  /** `{a, b, c, d}` → `[{a}, {b, c}, {d}]`: chunks of 1, 2, 3, … keys, one comment among them. */
  split(o: Obj, what: string): Obj[] {
    const entries = Object.entries(o).filter(([k]) => k !== "//");
    const out: Obj[] = [];
    let size = 1;
    for (let i = 0; i < entries.length; i += size, size = (size % 3) + 1)
      out.push(Object.fromEntries(entries.slice(i, i + size)));
    if (out.length === 0) out.push({});
    out[0] = this.comment(out[0], what);
    return out;
  }
}

const bodiesOf = (v: Json): Obj[] | undefined =>
  isObj(v) ? [v] : Array.isArray(v) && v.length > 0 && v.every(isObj) ? (v as Obj[]) : undefined;

function body(b: Obj, schema: BodySchema | undefined, s: Sprinkler, what: string): Obj[] {
  const out: Obj = {};
  for (const [k, v] of Object.entries(b)) {
    if (k === "//") continue;
    if (k === "lifecycle" && isObj(v)) {
      out[k] = [s.comment({ ...v }, "lifecycle")];
      continue;
    }
    if (k === "dynamic" && isObj(v)) {
      out[k] = s.split(
        Object.fromEntries(
          Object.entries(v).map(([label, spec]) => [
            label,
            (bodiesOf(spec) ?? []).map((d) => {
              const nested = schema?.key(label);
              const content = bodiesOf(d.content ?? null);
              return {
                ...d,
                ...(content
                  ? {
                      content: content.flatMap((c) =>
                        body(c, nested?.block ? nested.body : undefined, s, `${label} content`),
                      ),
                    }
                  : {}),
              };
            }),
          ]),
        ),
        "dynamic",
      );
      continue;
    }
    const key = schema?.key(k);
    const bodies = key?.block ? bodiesOf(v) : undefined;
    out[k] = key?.block && bodies ? bodies.flatMap((x) => body(x, key.body, s, k)) : v;
  }
  return [s.comment(out, what)];
}

/** A label level: `{a: x, b: y}` → `[{a: f(x)}, {b: f(y)}]`-like chunks. */
function level(v: Json, what: string, s: Sprinkler, inner: (label: string, x: Json) => Json): Json {
  if (!isObj(v)) throw new Error(`${what} must be an object (the object form)`);
  const mapped: Obj = {};
  for (const [k, x] of Object.entries(v)) if (k !== "//") mapped[k] = inner(k, x);
  return s.split(mapped, what);
}

/** The document in the array form, with comments; the input is left unchanged. */
export function toArrayJson(doc: Obj): Obj {
  const s = new Sprinkler();
  const out: Obj = { "//": "Terraform JSON in the array form (hcl2json's), with comments" };
  for (const [type, v] of Object.entries(doc)) {
    if (type === "//") continue;
    switch (type) {
      case "resource":
      case "data":
        out[type] = level(v, type, s, (t, byName) =>
          level(byName, `${type} ${t}`, s, (name, b) => {
            if (!isObj(b)) throw new Error(`${t}.${name} must be an object`);
            return body(b, bodySchema(t, type), s, `${t}.${name}`);
          }),
        );
        break;
      case "provider":
        out[type] = level(v, type, s, (name, configs) =>
          (bodiesOf(configs) ?? []).flatMap((c) =>
            body(c, name === "aws" ? bodySchema("aws", "provider") : undefined, s, name),
          ),
        );
        break;
      case "output":
      case "variable":
      case "module":
        out[type] = level(v, type, s, (name, o) => {
          if (!isObj(o)) throw new Error(`${type} ${name} must be an object`);
          return [s.comment({ ...o }, `${type} ${name}`)];
        });
        break;
      case "locals":
        out[type] = (Array.isArray(v) ? v : [v]).map((l) => s.comment(l as Obj, "locals"));
        break;
      case "terraform": {
        if (!isObj(v)) throw new Error("terraform must be an object");
        const t: Obj = {};
        for (const [k, x] of Object.entries(v)) {
          if (k === "backend")
            t[k] = level(x, k, s, (_name, cfg) => [s.comment(cfg as Obj, "backend")]);
          else if (k === "required_providers") t[k] = [s.comment(x as Obj, k)];
          else t[k] = x;
        }
        out[type] = [s.comment(t, "terraform")];
        break;
      }
      default:
        throw new Error(`the array-form converter does not write top-level ${type}`);
    }
  }
  return out;
}
