/**
 * Variable type constraints (`type = list(string)`, `object({ a = optional(number, 1) })`): values
 * given for a variable are converted as Terraform converts them ("3" for a number is 3), and an
 * object's optional attributes get their defaults.
 */
import { Expr } from "./ast";
import { deepEqual, EvalError, toBool, toNumber, formatNumber } from "./evaluate";
import { isMap, isWhollyKnown, Value } from "./values";

export type TypeConstraint =
  | { t: "string" | "number" | "bool" | "any" }
  | { t: "list" | "set" | "map"; of: TypeConstraint }
  | { t: "tuple"; items: TypeConstraint[] }
  | {
      t: "object";
      attrs: Map<string, { type: TypeConstraint; optional: boolean; default?: Expr }>;
    };

const ANY: TypeConstraint = { t: "any" };

/** A type expression as a constraint; anything unreadable is `any` (no conversion). */
export function typeConstraint(e: Expr | undefined): TypeConstraint {
  if (!e) return ANY;
  if (e.k === "var" && ["string", "number", "bool", "any"].includes(e.name))
    return { t: e.name as "string" | "number" | "bool" | "any" };
  if (
    e.k === "lit" &&
    typeof e.value === "string" &&
    ["string", "number", "bool", "any"].includes(e.value)
  )
    return { t: e.value as "string" };
  if (e.k !== "call") return ANY;
  const [arg] = e.args;
  switch (e.name) {
    case "list":
    case "set":
    case "map":
      return { t: e.name, of: typeConstraint(arg) };
    case "tuple":
      return { t: "tuple", items: arg?.k === "tuple" ? arg.items.map(typeConstraint) : [] };
    case "object": {
      const attrs = new Map<string, { type: TypeConstraint; optional: boolean; default?: Expr }>();
      if (arg?.k === "object") {
        for (const item of arg.items) {
          if (item.key.k !== "lit" || typeof item.key.value !== "string") continue;
          const v = item.value;
          if (v.k === "call" && v.name === "optional")
            attrs.set(item.key.value, {
              type: typeConstraint(v.args[0]),
              optional: true,
              default: v.args[1],
            });
          else attrs.set(item.key.value, { type: typeConstraint(v), optional: false });
        }
      }
      return { t: "object", attrs };
    }
    default:
      return ANY;
  }
}

/** Whether `--var name=value` is taken as a string (primitive types) or parsed as an expression. */
export function isPrimitive(t: TypeConstraint): boolean {
  return t.t === "string" || t.t === "number" || t.t === "bool" || t.t === "any";
}

/** `value` converted to the constraint; `defaults` evaluates an optional attribute's default. */
export function convert(v: Value, t: TypeConstraint, defaults: (e: Expr) => Value): Value {
  if (t.t === "any" || v === null || (!isWhollyKnown(v) && !Array.isArray(v) && !isMap(v)))
    return v;
  switch (t.t) {
    case "string":
      if (typeof v === "string") return v;
      if (typeof v === "number") return formatNumber(v);
      if (typeof v === "boolean") return String(v);
      throw new EvalError("a string is required");
    case "number":
      return toNumber(v);
    case "bool":
      return toBool(v);
    case "list":
    case "set": {
      if (!Array.isArray(v)) throw new EvalError(`a ${t.t} is required`);
      const items = v.map((x) => convert(x, t.of, defaults));
      if (t.t === "list" || !items.every(isWhollyKnown)) return items;
      const out: Value[] = [];
      for (const x of items) if (!out.some((y) => deepEqual(x, y))) out.push(x);
      return out.every((x) => typeof x === "string") ? (out as string[]).sort() : out;
    }
    case "map": {
      if (!isMap(v)) throw new EvalError("a map is required");
      return new Map([...v].map(([k, x]) => [k, convert(x, t.of, defaults)]));
    }
    case "tuple":
      if (!Array.isArray(v)) throw new EvalError("a tuple is required");
      return v.map((x, i) => (t.items[i] ? convert(x, t.items[i], defaults) : x));
    case "object": {
      if (!isMap(v)) throw new EvalError("an object is required");
      const out = new Map<string, Value>();
      for (const [name, a] of t.attrs) {
        if (v.has(name) && v.get(name) !== null)
          out.set(name, convert(v.get(name)!, a.type, defaults));
        else if (a.optional)
          out.set(name, a.default ? convert(defaults(a.default), a.type, defaults) : null);
        else throw new EvalError(`attribute "${name}" is required`);
      }
      return out;
    }
  }
}
