/**
 * The evaluator's values and how they are written into the normalized document.
 *
 * Besides JSON-like values (maps are `Map`s, so that no key of the input can touch a prototype):
 * - `Unknown`: nothing is known about the value; written as the marker `${?}`.
 * - `Ref`: a reference to a resource or data source of the configuration (or one of its
 *   attributes); written as `${module.m.aws_s3_bucket.b.arn}` and listed in `refs`.
 * - `Parts`: a string of which some parts are unknown or references (`arn:aws:iam::${?}:root`).
 * - `Namespace`: `var`, `local`, `module.x`, a resource type: read by attribute, never written.
 * - `Instances`: a resource with `count` or `for_each`, indexed by instance key.
 */
import { Json, Obj, UNKNOWN, UnusableInputError } from "../document";

export class Unknown {
  static readonly value = new Unknown();
  private constructor() {}
}
export const unknown = Unknown.value;

export class Ref {
  constructor(
    /** As written in values: `aws_s3_bucket.b[0].arn`, `module.m.aws_kms_key.k.arn`. */
    readonly path: string,
    /** The config address of the resource referred to (`module.m.aws_kms_key.k`). */
    readonly target: string,
  ) {}
  attr(name: string): Ref {
    return new Ref(`${this.path}.${name}`, this.target);
  }
  index(key: number | string): Ref {
    return new Ref(`${this.path}${instanceKey(key)}`, this.target);
  }
}

export type Part = string | Ref | Unknown;

export class Parts {
  constructor(readonly parts: Part[]) {}
}

export class Namespace {
  constructor(
    readonly what: string,
    readonly get: (name: string) => Value,
    /** The whole namespace as an object (module outputs), when it can be one. */
    readonly all?: () => Value,
  ) {}
}

export class Instances {
  constructor(
    /** The address before the instance key: `module.m.aws_s3_bucket.b`. */
    readonly base: string,
    readonly target: string,
    /** Instance keys, or undefined when `count`/`for_each` is unknown. */
    readonly keys: (number | string)[] | undefined,
    readonly byEach: boolean,
  ) {}
  instance(key: number | string | undefined): Ref {
    return new Ref(
      key === undefined ? `${this.base}[?]` : `${this.base}${instanceKey(key)}`,
      this.target,
    );
  }
  /** As a plain value: a list (count) or an object (for_each) of instance references. */
  plain(): Value {
    if (!this.keys) return unknown;
    if (!this.byEach) return this.keys.map((k) => this.instance(k));
    return new Map(this.keys.map((k) => [String(k), this.instance(k)]));
  }
}

export type Value =
  | null
  | boolean
  | number
  | string
  | Value[]
  | Map<string, Value>
  | Unknown
  | Ref
  | Parts
  | Namespace
  | Instances;

/** Terraform's instance key syntax: `[0]`, `["key"]`. */
export function instanceKey(key: number | string): string {
  return typeof key === "number" ? `[${key}]` : `[${JSON.stringify(key)}]`;
}

export const isMap = (v: Value): v is Map<string, Value> => v instanceof Map;

/** A string with its parts merged; a plain string when every part is known. */
export function joinParts(parts: Part[]): Value {
  const out: Part[] = [];
  for (const p of parts) {
    if (typeof p === "string") {
      if (p === "") continue;
      const last = out[out.length - 1];
      if (typeof last === "string") out[out.length - 1] = last + p;
      else out.push(p);
    } else out.push(p);
  }
  if (out.length === 0) return "";
  if (out.length === 1 && typeof out[0] === "string") return out[0];
  if (out.every((p) => typeof p === "string")) return out.join("");
  return new Parts(out);
}

/** Whether a value is known all the way down (no Unknown, Ref or Parts anywhere). */
export function isWhollyKnown(v: Value): boolean {
  if (v instanceof Unknown || v instanceof Ref || v instanceof Parts) return false;
  if (v instanceof Namespace || v instanceof Instances) return false;
  if (Array.isArray(v)) return v.every(isWhollyKnown);
  if (isMap(v)) return [...v.values()].every(isWhollyKnown);
  return true;
}

/** Bounds the work of one load, so that no input can make it run away (see README: limits). */
export class Budget {
  private used = 0;
  constructor(readonly limit: number) {}
  spend(n = 1): void {
    this.used += n;
    if (this.used > this.limit)
      throw new UnusableInputError(
        `the configuration is too large to evaluate (more than ${this.limit.toLocaleString("en-US")} steps)`,
      );
  }
}

/** Terraform writes `${` and `%{` in a literal string as `$${` and `%%{`; so do we, so that a
 * `${...}` in a value always means a reference or the unknown marker. */
export function escapeLiteral(s: string): string {
  return s.includes("${") || s.includes("%{")
    ? s.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{")
    : s;
}

/**
 * A value as the normalized document holds it. Lists holding exactly one object are written as
 * that object: Terraform JSON may write one nested block either way, and rules read both.
 */
export function render(v: Value, refs: Set<string>, budget: Budget): Json {
  budget.spend();
  if (v === null || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : UNKNOWN;
  if (typeof v === "string") return escapeLiteral(v);
  if (v instanceof Unknown) return UNKNOWN;
  if (v instanceof Ref) {
    refs.add(v.target);
    return "${" + v.path + "}";
  }
  if (v instanceof Parts) {
    let out = "";
    for (const p of v.parts) {
      if (typeof p === "string") out += escapeLiteral(p);
      else if (p instanceof Ref) {
        refs.add(p.target);
        out += "${" + p.path + "}";
      } else out += UNKNOWN;
    }
    return out;
  }
  if (v instanceof Instances) return render(v.plain(), refs, budget);
  if (v instanceof Namespace) return v.all ? render(v.all(), refs, budget) : UNKNOWN;
  if (Array.isArray(v)) {
    if (v.length === 1 && isMap(v[0])) return render(v[0], refs, budget);
    return v.map((x) => render(x, refs, budget));
  }
  const out: [string, Json][] = [];
  for (const [k, x] of v) out.push([k, render(x, refs, budget)]);
  return Object.fromEntries(out) as Obj;
}

/** A short name of a value's type, for messages (never the value: it may be a secret). */
export function typeName(v: Value): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (isMap(v)) return "object";
  if (v instanceof Unknown || v instanceof Ref || v instanceof Parts) return "unknown";
  if (v instanceof Namespace) return v.what;
  if (v instanceof Instances) return "resource instances";
  return typeof v;
}
