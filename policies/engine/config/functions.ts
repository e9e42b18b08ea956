/**
 * Terraform's built-in functions that the evaluator knows (README: functions). A function whose
 * arguments are not known returns unknown, except where part of the result is known anyway
 * (`concat`, `merge`, `length` of a list, `jsonencode` and `format` with references in strings).
 * A function it does not know returns unknown, with a note; so do `timestamp()` and `uuid()`.
 */
import { Span } from "./ast";
import {
  deepEqual,
  EvalContext,
  EvalError,
  evaluate,
  formatNumber,
  Scope,
  stringParts,
  toBool,
  toNumber,
} from "./evaluate";
import {
  isMap,
  isWhollyKnown,
  joinParts,
  Part,
  Parts,
  Ref,
  typeName,
  Unknown,
  unknown,
  Value,
} from "./values";

type Fn = (args: Value[], ctx: EvalContext) => Value;

/** The largest list a function may build (range, flatten, ...), against runaway input. */
const MAX_ELEMENTS = 100_000;

const arity = (name: string, args: Value[], min: number, max = min) => {
  if (args.length < min || args.length > max)
    throw new EvalError(
      `${name}() takes ${min === max ? min : `${min} to ${max === Infinity ? "any number of" : max}`} arguments, not ${args.length}`,
    );
};

/** Runs `f` only when every argument is wholly known; otherwise the result is unknown. */
const strict =
  (name: string, min: number, max: number, f: (...args: Value[]) => Value): Fn =>
  (args) => {
    arity(name, args, min, max);
    return args.every(isWhollyKnown) ? f(...args) : unknown;
  };

const str = (v: Value, what = "a string"): string => {
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return String(v);
  throw new EvalError(`${what} is required, not ${typeName(v)}`);
};

const list = (v: Value, what = "a list"): Value[] => {
  if (Array.isArray(v)) return v;
  throw new EvalError(`${what} is required, not ${typeName(v)}`);
};

const map = (v: Value): Map<string, Value> => {
  if (isMap(v)) return v;
  throw new EvalError(`a map or object is required, not ${typeName(v)}`);
};

const isOpaque = (v: Value) => v instanceof Unknown || v instanceof Ref || v instanceof Parts;

const cap = (n: number) => {
  if (n > MAX_ELEMENTS)
    throw new EvalError(`a list of more than ${MAX_ELEMENTS.toLocaleString("en-US")} elements`);
};

/** Terraform's sets: duplicates removed, strings in lexical order, numbers in numeric order. */
function toSet(items: Value[]): Value[] {
  const out: Value[] = [];
  for (const x of items) if (!out.some((y) => deepEqual(x, y))) out.push(x);
  if (out.every((x) => typeof x === "number")) return (out as number[]).sort((a, b) => a - b);
  if (out.every((x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean"))
    return out.map((x) => str(x)).sort();
  return out;
}

// ---- jsonencode -----------------------------------------------------------------------------------

/** Go's encoding/json, as Terraform uses it: HTML-sensitive characters escaped. */
function jsonString(s: string): string {
  return JSON.stringify(s)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** The inside of a JSON string literal, without its quotes. */
const jsonInner = (s: string) => jsonString(s).slice(1, -1);

/** JSON text whose unknown parts stay parts: a reference inside a string stays a reference. */
function jsonParts(v: Value, out: Part[], ctx: EvalContext): void {
  ctx.budget.spend();
  if (v === null || typeof v === "boolean") out.push(String(v));
  else if (typeof v === "number") out.push(JSON.stringify(v));
  else if (typeof v === "string") out.push(jsonString(v));
  else if (v instanceof Unknown) out.push('"', unknown, '"');
  else if (v instanceof Ref) out.push('"', new Ref(jsonInner(v.path), v.target), '"');
  else if (v instanceof Parts) {
    out.push('"');
    for (const p of v.parts) {
      if (typeof p === "string") out.push(jsonInner(p));
      else if (p instanceof Ref) out.push(new Ref(jsonInner(p.path), p.target));
      else out.push(p);
    }
    out.push('"');
  } else if (Array.isArray(v)) {
    out.push("[");
    v.forEach((x, i) => {
      if (i) out.push(",");
      jsonParts(x, out, ctx);
    });
    out.push("]");
  } else if (isMap(v)) {
    out.push("{");
    [...v.keys()].sort().forEach((k, i) => {
      if (i) out.push(",");
      out.push(jsonString(k), ":");
      jsonParts(v.get(k)!, out, ctx);
    });
    out.push("}");
  } else out.push('"', unknown, '"');
}

function fromJson(x: unknown): Value {
  if (Array.isArray(x)) return x.map(fromJson);
  if (x !== null && typeof x === "object")
    return new Map(Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, fromJson(v)]));
  return x as Value;
}

// ---- format ---------------------------------------------------------------------------------------

function format(spec: string, args: Value[]): Value {
  const out: Part[] = [];
  let next = 0;
  const re = /%(?:\[(\d+)\])?([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(spec); m; m = re.exec(spec)) {
    out.push(spec.slice(last, m.index));
    last = re.lastIndex;
    const [, explicit, flags, width, precision, verb] = m;
    if (verb === "%") {
      out.push("%");
      continue;
    }
    const i = explicit ? Number(explicit) - 1 : next;
    next = i + 1;
    if (i >= args.length) throw new EvalError(`format: not enough arguments for "${spec}"`);
    const v = args[i];
    if (isOpaque(v)) {
      if (verb === "s" || verb === "v") out.push(...stringParts(v));
      else return unknown;
      continue;
    }
    let text: string;
    switch (verb) {
      case "s":
        text = str(v);
        break;
      case "v":
        text = isWhollyKnown(v) && (Array.isArray(v) || isMap(v)) ? joinJson(v) : str(v);
        break;
      case "q":
        text = JSON.stringify(str(v));
        break;
      case "d":
        text = formatNumber(Math.trunc(toNumber(v)));
        break;
      case "f":
        text = toNumber(v).toFixed(precision ? Number(precision) : 6);
        break;
      case "t":
        text = String(toBool(v));
        break;
      case "x":
        text = Math.trunc(toNumber(v)).toString(16);
        break;
      case "X":
        text = Math.trunc(toNumber(v)).toString(16).toUpperCase();
        break;
      case "o":
        text = Math.trunc(toNumber(v)).toString(8);
        break;
      case "b":
        text = Math.trunc(toNumber(v)).toString(2);
        break;
      case "e":
        text = toNumber(v).toExponential(precision ? Number(precision) : 6);
        break;
      default:
        throw new EvalError(`format: unsupported verb %${verb}`);
    }
    if (width && text.length < Number(width)) {
      const pad = (flags.includes("0") && !flags.includes("-") ? "0" : " ").repeat(
        Number(width) - text.length,
      );
      text = flags.includes("-") ? text + pad.replace(/0/g, " ") : pad + text;
    }
    out.push(text);
  }
  out.push(spec.slice(last));
  return joinParts(out);
}

function joinJson(v: Value): string {
  const out: Part[] = [];
  jsonParts(v, out, { budget: { spend: () => undefined } } as unknown as EvalContext);
  return out.filter((p): p is string => typeof p === "string").join("");
}

// ---- the table --------------------------------------------------------------------------------------

const FUNCTIONS: Record<string, Fn> = {
  // strings
  lower: strict("lower", 1, 1, (s) => str(s).toLowerCase()),
  upper: strict("upper", 1, 1, (s) => str(s).toUpperCase()),
  title: strict("title", 1, 1, (s) =>
    str(s).replace(/(^|\s)(\S)/g, (_m, a, b) => a + b.toUpperCase()),
  ),
  trimspace: strict("trimspace", 1, 1, (s) => str(s).trim()),
  trim: strict("trim", 2, 2, (s, chars) => {
    const set = new Set([...str(chars)]);
    const cs = [...str(s)];
    let a = 0;
    let b = cs.length;
    while (a < b && set.has(cs[a])) a++;
    while (b > a && set.has(cs[b - 1])) b--;
    return cs.slice(a, b).join("");
  }),
  trimprefix: strict("trimprefix", 2, 2, (s, p) =>
    str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s),
  ),
  trimsuffix: strict("trimsuffix", 2, 2, (s, p) =>
    str(p) !== "" && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s),
  ),
  chomp: strict("chomp", 1, 1, (s) => str(s).replace(/(\r?\n)+$/, "")),
  startswith: strict("startswith", 2, 2, (s, p) => str(s).startsWith(str(p))),
  endswith: strict("endswith", 2, 2, (s, p) => str(s).endsWith(str(p))),
  strrev: strict("strrev", 1, 1, (s) => [...str(s)].reverse().join("")),
  substr: strict("substr", 3, 3, (s, offset, length) => {
    const cs = [...str(s)];
    let o = toNumber(offset);
    if (o < 0) o = Math.max(0, cs.length + o);
    const n = toNumber(length);
    return cs.slice(o, n < 0 ? undefined : o + n).join("");
  }),
  replace: strict("replace", 3, 3, (s, sub, rep) => {
    const pattern = str(sub);
    if (pattern.length > 1 && pattern.startsWith("/") && pattern.endsWith("/")) {
      let re: RegExp;
      try {
        re = new RegExp(pattern.slice(1, -1), "g");
      } catch {
        throw new EvalError("replace: not a valid regular expression");
      }
      return str(s).replace(re, str(rep));
    }
    return pattern === "" ? str(s) : str(s).split(pattern).join(str(rep));
  }),
  split: strict("split", 2, 2, (sep, s) => {
    if (str(s) === "") return [""];
    return str(s).split(str(sep));
  }),
  join: (args) => {
    arity("join", args, 2, Infinity);
    const [sep, ...lists] = args;
    if (!isWhollyKnown(sep)) return unknown;
    const out: Part[] = [];
    let first = true;
    for (const l of lists) {
      if (isOpaque(l)) return unknown;
      for (const x of list(l)) {
        if (!first) out.push(str(sep));
        first = false;
        out.push(...stringParts(x));
      }
    }
    return joinParts(out);
  },
  format: (args) => {
    arity("format", args, 1, Infinity);
    if (!isWhollyKnown(args[0])) return unknown;
    return format(str(args[0]), args.slice(1));
  },
  tostring: (args) => {
    arity("tostring", args, 1);
    const v = args[0];
    if (v === null) return null;
    if (isOpaque(v)) return v;
    return str(v);
  },
  tonumber: strict("tonumber", 1, 1, (v) => (v === null ? null : toNumber(v))),
  tobool: strict("tobool", 1, 1, (v) => (v === null ? null : toBool(v))),

  // collections
  length: (args) => {
    arity("length", args, 1);
    const v = args[0];
    if (Array.isArray(v)) return v.length;
    if (isMap(v)) return v.size;
    if (typeof v === "string") return [...v].length;
    if (isOpaque(v)) return unknown;
    throw new EvalError(`length() needs a list, map or string, not ${typeName(v)}`);
  },
  concat: (args) => {
    const out: Value[] = [];
    for (const l of args) {
      if (isOpaque(l)) return unknown;
      out.push(...list(l));
      cap(out.length);
    }
    return out;
  },
  merge: (args) => {
    const out = new Map<string, Value>();
    for (const m of args) {
      if (m === null) continue;
      if (isOpaque(m)) return unknown;
      for (const [k, v] of map(m)) out.set(k, v);
    }
    return out;
  },
  lookup: (args) => {
    arity("lookup", args, 2, 3);
    const [m, key, otherwise] = args;
    if (isOpaque(m) || !isWhollyKnown(key)) return unknown;
    const mm = map(m);
    const k = str(key);
    if (mm.has(k)) return mm.get(k)!;
    if (args.length === 3) return otherwise;
    throw new EvalError(`lookup: the map has no key ${JSON.stringify(k)} and no default is given`);
  },
  element: (args) => {
    arity("element", args, 2);
    const [l, i] = args;
    if (isOpaque(l) || !isWhollyKnown(i)) return unknown;
    const items = list(l);
    if (items.length === 0) throw new EvalError("element() of an empty list");
    const n = Math.trunc(toNumber(i));
    return items[((n % items.length) + items.length) % items.length];
  },
  flatten: (args) => {
    arity("flatten", args, 1);
    const out: Value[] = [];
    const walk = (v: Value): boolean => {
      if (isOpaque(v)) return false;
      for (const x of list(v)) {
        if (Array.isArray(x)) {
          if (!walk(x)) return false;
        } else if (isOpaque(x) && !(x instanceof Ref) && !(x instanceof Parts)) return false;
        else out.push(x);
        cap(out.length);
      }
      return true;
    };
    return walk(args[0]) ? out : unknown;
  },
  distinct: strict("distinct", 1, 1, (l) => {
    const out: Value[] = [];
    for (const x of list(l)) if (!out.some((y) => deepEqual(x, y))) out.push(x);
    return out;
  }),
  compact: strict("compact", 1, 1, (l) => list(l).filter((x) => x !== null && x !== "")),
  contains: strict("contains", 2, 2, (l, v) => list(l).some((x) => deepEqual(x, v))),
  keys: (args) => {
    arity("keys", args, 1);
    if (isOpaque(args[0])) return unknown;
    return [...map(args[0]).keys()].sort();
  },
  values: (args) => {
    arity("values", args, 1);
    if (isOpaque(args[0])) return unknown;
    const m = map(args[0]);
    return [...m.keys()].sort().map((k) => m.get(k)!);
  },
  zipmap: (args) => {
    arity("zipmap", args, 2);
    const [ks, vs] = args;
    if (!isWhollyKnown(ks) || isOpaque(vs)) return unknown;
    const keys = list(ks);
    const vals = list(vs);
    if (keys.length !== vals.length) throw new EvalError("zipmap: the lists differ in length");
    return new Map(keys.map((k, i) => [str(k), vals[i]]));
  },
  tolist: (args) => {
    arity("tolist", args, 1);
    if (isOpaque(args[0])) return unknown;
    return list(args[0]);
  },
  toset: (args) => {
    arity("toset", args, 1);
    if (!isWhollyKnown(args[0])) return unknown;
    return toSet(list(args[0]));
  },
  tomap: (args) => {
    arity("tomap", args, 1);
    if (isOpaque(args[0])) return unknown;
    return map(args[0]);
  },
  setunion: (args) => (args.every(isWhollyKnown) ? toSet(args.flatMap((l) => list(l))) : unknown),
  coalesce: (args) => {
    for (const v of args) {
      if (isOpaque(v)) return unknown;
      if (v !== null && v !== "") return v;
    }
    throw new EvalError("coalesce: no non-null, non-empty argument");
  },
  coalescelist: (args) => {
    for (const v of args) {
      if (isOpaque(v)) return unknown;
      if (list(v).length > 0) return v;
    }
    throw new EvalError("coalescelist: no non-empty list");
  },
  one: (args) => {
    arity("one", args, 1);
    const v = args[0];
    if (isOpaque(v)) return unknown;
    const items = list(v);
    if (items.length > 1) throw new EvalError("one() of a list of more than one element");
    return items.length ? items[0] : null;
  },
  sort: strict("sort", 1, 1, (l) =>
    list(l)
      .map((x) => str(x))
      .sort(),
  ),
  reverse: (args) => {
    arity("reverse", args, 1);
    if (isOpaque(args[0])) return unknown;
    return [...list(args[0])].reverse();
  },
  slice: (args) => {
    arity("slice", args, 3);
    const [l, a, b] = args;
    if (isOpaque(l) || !isWhollyKnown(a) || !isWhollyKnown(b)) return unknown;
    const items = list(l);
    const from = toNumber(a);
    const to = toNumber(b);
    if (from < 0 || to > items.length || from > to)
      throw new EvalError("slice: index out of range");
    return items.slice(from, to);
  },
  index: strict("index", 2, 2, (l, v) => {
    const i = list(l).findIndex((x) => deepEqual(x, v));
    if (i < 0) throw new EvalError("index: the value is not in the list");
    return i;
  }),
  range: strict("range", 1, 3, (...a) => {
    const n = a.map((x) => toNumber(x));
    const [start, end, step] =
      n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? (n[0] <= n[1] ? 1 : -1)];
    if (step === 0) throw new EvalError("range: the step must not be 0");
    cap(Math.abs((end - start) / step));
    const out: number[] = [];
    for (let x = start; step > 0 ? x < end : x > end; x += step) out.push(x);
    return out;
  }),
  sum: strict("sum", 1, 1, (l) => list(l).reduce<number>((s, x) => s + toNumber(x), 0)),
  max: strict("max", 1, Infinity, (...a) => Math.max(...a.map((x) => toNumber(x)))),
  min: strict("min", 1, Infinity, (...a) => Math.min(...a.map((x) => toNumber(x)))),
  abs: strict("abs", 1, 1, (x) => Math.abs(toNumber(x))),
  ceil: strict("ceil", 1, 1, (x) => Math.ceil(toNumber(x))),
  floor: strict("floor", 1, 1, (x) => Math.floor(toNumber(x))),

  // encoding
  jsonencode: (args, ctx) => {
    arity("jsonencode", args, 1);
    if (args[0] instanceof Unknown) return unknown;
    const out: Part[] = [];
    jsonParts(args[0], out, ctx);
    return joinParts(out);
  },
  jsondecode: strict("jsondecode", 1, 1, (s) => {
    try {
      return fromJson(JSON.parse(str(s)));
    } catch {
      throw new EvalError("jsondecode: not valid JSON");
    }
  }),
  base64encode: strict("base64encode", 1, 1, (s) => Buffer.from(str(s), "utf8").toString("base64")),
  base64decode: strict("base64decode", 1, 1, (s) => Buffer.from(str(s), "base64").toString("utf8")),

  // values known only when applied
  timestamp: () => unknown,
  plantimestamp: () => unknown,
  uuid: () => unknown,
  bcrypt: () => unknown,
};

/** File functions read only files under the checked path (see README: limits). */
const FILE_FUNCTIONS: Record<string, (args: Value[], ctx: EvalContext, at?: Span) => Value> = {
  file: (args, ctx) => {
    arity("file", args, 1);
    if (!isWhollyKnown(args[0])) return unknown;
    const text = ctx.readFile(str(args[0]));
    return text === undefined ? unknown : text;
  },
  fileexists: (args, ctx) => {
    arity("fileexists", args, 1);
    if (!isWhollyKnown(args[0])) return unknown;
    return ctx.readFile(str(args[0])) === undefined ? unknown : true;
  },
  templatefile: (args, ctx, at) => {
    arity("templatefile", args, 2);
    const [path, vars] = args;
    if (!isWhollyKnown(path) || isOpaque(vars)) return unknown;
    const text = ctx.readFile(str(path));
    if (text === undefined) return unknown;
    const expr = ctx.parseTemplate(text, at ? `${at.file}:${at.line}` : "templatefile");
    return evaluate(expr, new Scope(ctx, new Map(map(vars))));
  },
};

export function callFunction(name: string, args: Value[], ctx: EvalContext, at?: Span): Value {
  const f = FUNCTIONS[name];
  if (Object.hasOwn(FUNCTIONS, name) && f) return f(args, ctx);
  const ff = FILE_FUNCTIONS[name];
  if (Object.hasOwn(FILE_FUNCTIONS, name) && ff) return ff(args, ctx, at);
  ctx.note(
    `${at ? `${at.file}:${at.line}: ` : ""}function ${name}() is not evaluated: its result is unknown`,
  );
  return unknown;
}

/** The names the evaluator implements (README, tests). */
export const FUNCTION_NAMES = [...Object.keys(FUNCTIONS), ...Object.keys(FILE_FUNCTIONS)].sort();
