/**
 * The expression evaluator, shared by HCL and Terraform JSON (see README: what is known). It never
 * runs Terraform and never guesses: what it cannot know is `unknown`, and an expression that
 * Terraform would reject raises `EvalError`, which `try`/`can` catch and which otherwise makes the
 * attribute unknown (with a note).
 */
import { Expr, Span, TemplatePart } from "./ast";
import { callFunction } from "./functions";
import {
  Budget,
  Instances,
  isMap,
  isWhollyKnown,
  joinParts,
  Namespace,
  Part,
  Parts,
  Ref,
  typeName,
  Unknown,
  unknown,
  Value,
} from "./values";

export class EvalError extends Error {
  constructor(
    message: string,
    public at?: Span,
  ) {
    super(message);
    this.name = "EvalError";
  }
}

/** What the evaluator needs from its host: a budget, a place for notes, module-relative files. */
export interface EvalContext {
  budget: Budget;
  note(message: string): void;
  /** The text of a file for `file()`/`templatefile()`, or undefined when it may not be read. */
  readFile(path: string): string | undefined;
  /** A file's text as a template (`templatefile()`). */
  parseTemplate(text: string, where: string): Expr;
}

/** Names in scope: iteration variables over a module instance's names (`var`, `local`, ...). */
export class Scope {
  constructor(
    readonly ctx: EvalContext,
    private readonly names: Map<string, Value>,
    private readonly parent?: Scope,
    private readonly root?: (name: string) => Value | undefined,
  ) {}

  with(names: Map<string, Value>): Scope {
    return new Scope(this.ctx, names, this);
  }

  lookup(name: string): Value | undefined {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    for (let s: Scope | undefined = this; s; s = s.parent) {
      if (s.names.has(name)) return s.names.get(name);
      if (s.root) return s.root(name);
    }
    return undefined;
  }
}

const ITEM = "\u0000item";

/** A value as the rest of the evaluator sees it: resource instances become a list or a map. */
export function plain(v: Value): Value {
  if (v instanceof Instances) return v.plain();
  if (v instanceof Namespace && v.all) return v.all();
  return v;
}

export function evaluate(e: Expr, scope: Scope): Value {
  return plain(evalRaw(e, scope));
}

function evalRaw(e: Expr, scope: Scope): Value {
  scope.ctx.budget.spend();
  try {
    return evalNode(e, scope);
  } catch (err) {
    if (err instanceof EvalError && !err.at && "at" in e && e.at) err.at = e.at;
    throw err;
  }
}

function evalNode(e: Expr, scope: Scope): Value {
  switch (e.k) {
    case "lit":
      return e.value;
    case "template":
      return evalTemplate(e.parts, scope);
    case "tuple":
      return e.items.map((x) => evaluate(x, scope));
    case "object": {
      const out = new Map<string, Value>();
      for (const item of e.items) {
        const key = evaluate(item.key, scope);
        if (!isWhollyKnown(key)) return unknown;
        out.set(keyString(key), evaluate(item.value, scope));
      }
      return out;
    }
    case "var": {
      const v = scope.lookup(e.name);
      if (v === undefined) throw new EvalError(`unknown name "${e.name}"`);
      return v;
    }
    case "item": {
      const v = scope.lookup(ITEM);
      return v === undefined ? unknown : v;
    }
    case "attr":
      return getAttr(evalRaw(e.of, scope), e.name);
    case "index": {
      const of = evalRaw(e.of, scope);
      return getIndex(of, evaluate(e.key, scope));
    }
    case "splat":
      return splat(evalRaw(e.of, scope), e.each, scope);
    case "call":
      return evalCall(e, scope);
    case "cond":
      return conditional(e.test, e.then, e.else, scope);
    case "binary":
      return binary(e.op, e.left, e.right, scope);
    case "unary": {
      const v = evaluate(e.of, scope);
      if (!isWhollyKnown(v)) return unknown;
      if (e.op === "!") return !toBool(v);
      return -toNumber(v);
    }
    case "for":
      return forExpr(e, scope);
  }
}

function keyString(v: Value): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new EvalError(`an object key must be a string, not ${typeName(v)}`);
}

export function getAttr(v: Value, name: string): Value {
  if (v instanceof Unknown) return unknown;
  if (v instanceof Ref) return v.attr(name);
  if (v instanceof Namespace) return v.get(name);
  // `aws_s3_bucket.b.id` on a resource with count/for_each: Terraform asks for an instance key.
  if (v instanceof Instances) return v.keys ? throwMissingKey() : unknown;
  if (isMap(v)) {
    if (v.has(name)) return v.get(name)!;
    throw new EvalError(`this object has no attribute "${name}"`);
  }
  if (v instanceof Parts) return unknown;
  throw new EvalError(`cannot read attribute "${name}" of a ${typeName(v)}`);
}

function throwMissingKey(): never {
  throw new EvalError("a resource with count or for_each must be indexed by an instance key");
}

export function getIndex(v: Value, key: Value): Value {
  if (v instanceof Instances) {
    if (!v.keys || !isWhollyKnown(key)) return v.instance(undefined);
    const k = v.byEach ? keyString(key) : toIndex(key);
    if (!v.keys.includes(k)) throw new EvalError(`no instance ${JSON.stringify(k)}`);
    return v.instance(k);
  }
  if (v instanceof Unknown) return unknown;
  if (!isWhollyKnown(key)) return unknown;
  if (v instanceof Ref) return v.index(typeof key === "number" ? key : keyString(key));
  if (v instanceof Namespace) return v.get(keyString(key));
  if (Array.isArray(v)) {
    const i = toIndex(key);
    if (i >= v.length) throw new EvalError(`index ${i} is out of range (${v.length} elements)`);
    return v[i];
  }
  if (isMap(v)) {
    const k = keyString(key);
    if (!v.has(k)) throw new EvalError(`this map has no key ${JSON.stringify(k)}`);
    return v.get(k)!;
  }
  if (v instanceof Parts) return unknown;
  throw new EvalError(`cannot index a ${typeName(v)}`);
}

function toIndex(key: Value): number {
  const n = toNumber(key);
  if (!Number.isInteger(n) || n < 0) throw new EvalError(`an index must be a whole number ≥ 0`);
  return n;
}

function splat(of: Value, each: Expr, scope: Scope): Value {
  if (of instanceof Instances) {
    if (!of.keys) return unknown;
    of = of.keys.map((k) => (of instanceof Instances ? of.instance(k) : null));
  }
  of = plain(of);
  if (of instanceof Unknown || of instanceof Ref || of instanceof Parts) return unknown;
  if (of === null) return [];
  const items = Array.isArray(of) ? of : [of];
  return items.map((x) => evaluate(each, scope.with(new Map([[ITEM, x]]))));
}

function evalCall(e: Extract<Expr, { k: "call" }>, scope: Scope): Value {
  if (e.name === "try") {
    let last: EvalError | undefined;
    for (const a of e.args) {
      try {
        const v = evaluate(a, scope);
        // An argument that is wholly unknown may yet fail once known: the result is unknown.
        return v;
      } catch (err) {
        if (!(err instanceof EvalError)) throw err;
        last = err;
      }
    }
    throw new EvalError(
      `no argument of try() could be evaluated${last ? `: ${last.message}` : ""}`,
    );
  }
  if (e.name === "can") {
    if (e.args.length !== 1) throw new EvalError("can() takes one argument");
    try {
      const v = evaluate(e.args[0], scope);
      return v instanceof Unknown ? unknown : true;
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      return false;
    }
  }
  let args = e.args.map((a) => evaluate(a, scope));
  if (e.expand) {
    const last = args[args.length - 1];
    if (!Array.isArray(last)) return unknown;
    args = [...args.slice(0, -1), ...last];
  }
  return callFunction(e.name, args, scope.ctx, e.at);
}

function conditional(test: Expr, then: Expr, otherwise: Expr, scope: Scope): Value {
  const t = evaluate(test, scope);
  if (isWhollyKnown(t)) return evaluate(toBool(t) ? then : otherwise, scope);
  // Unknown condition: known only when both branches are the same known value.
  try {
    const a = evaluate(then, scope);
    const b = evaluate(otherwise, scope);
    return isWhollyKnown(a) && deepEqual(a, b) ? a : unknown;
  } catch (err) {
    if (err instanceof EvalError) return unknown;
    throw err;
  }
}

function binary(op: string, l: Expr, r: Expr, scope: Scope): Value {
  const a = evaluate(l, scope);
  if (op === "&&" || op === "||") {
    // false && x is false and true || x is true whatever x is.
    if (isWhollyKnown(a) && toBool(a) === (op === "||")) return op === "||";
    const b = evaluate(r, scope);
    if (isWhollyKnown(b) && toBool(b) === (op === "||")) return op === "||";
    if (!isWhollyKnown(a) || !isWhollyKnown(b)) return unknown;
    return toBool(b);
  }
  const b = evaluate(r, scope);
  if (!isWhollyKnown(a) || !isWhollyKnown(b)) return unknown;
  switch (op) {
    case "==":
      return deepEqual(a, b);
    case "!=":
      return !deepEqual(a, b);
  }
  const x = toNumber(a);
  const y = toNumber(b);
  switch (op) {
    case "+":
      return x + y;
    case "-":
      return x - y;
    case "*":
      return x * y;
    case "/":
      if (y === 0) throw new EvalError("division by zero");
      return x / y;
    case "%":
      if (y === 0) throw new EvalError("division by zero");
      return x % y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
    case "<":
      return x < y;
    case "<=":
      return x <= y;
  }
  throw new EvalError(`unknown operator ${op}`);
}

/** The (key, value) pairs a `for` walks: list indexes, or map keys in lexical order. */
export function iterate(v: Value): [Value, Value][] | undefined {
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (isMap(v)) return [...v.keys()].sort().map((k) => [k, v.get(k)!]);
  return undefined;
}

function forExpr(e: Extract<Expr, { k: "for" }>, scope: Scope): Value {
  const coll = evaluate(e.collection, scope);
  if (coll instanceof Unknown || coll instanceof Ref || coll instanceof Parts) return unknown;
  const pairs = iterate(coll);
  if (!pairs) throw new EvalError(`a for expression needs a list or a map, not ${typeName(coll)}`);
  const list: Value[] = [];
  const obj = new Map<string, Value>();
  const groups = new Map<string, Value[]>();
  for (const [k, v] of pairs) {
    scope.ctx.budget.spend();
    const names = new Map<string, Value>([[e.valueVar, v]]);
    if (e.keyVar) names.set(e.keyVar, k);
    const inner = scope.with(names);
    if (e.cond) {
      const c = evaluate(e.cond, inner);
      if (!isWhollyKnown(c)) return unknown;
      if (!toBool(c)) continue;
    }
    if (!e.key) {
      list.push(evaluate(e.value, inner));
      continue;
    }
    const key = evaluate(e.key, inner);
    if (!isWhollyKnown(key)) return unknown;
    const ks = keyString(key);
    const value = evaluate(e.value, inner);
    if (e.group) {
      const g = groups.get(ks);
      if (g) g.push(value);
      else groups.set(ks, [value]);
    } else {
      if (obj.has(ks))
        throw new EvalError(`duplicate key ${JSON.stringify(ks)} in a for expression`);
      obj.set(ks, value);
    }
  }
  if (!e.key) return list;
  return e.group ? new Map([...groups].map(([k, v]) => [k, v as Value])) : obj;
}

// ---- templates ---------------------------------------------------------------------------------

function evalTemplate(parts: TemplatePart[], scope: Scope): Value {
  // "${x}" alone is x itself, whatever its type.
  if (parts.length === 1 && parts[0].k === "interp") return evaluate(parts[0].expr, scope);
  const out: Part[] = [];
  appendParts(parts, scope, out);
  return joinParts(out);
}

function appendParts(parts: TemplatePart[], scope: Scope, out: Part[]): void {
  for (const p of parts) {
    switch (p.k) {
      case "text":
        out.push(p.text);
        break;
      case "interp":
        out.push(...stringParts(evaluate(p.expr, scope)));
        break;
      case "if": {
        const t = evaluate(p.test, scope);
        if (!isWhollyKnown(t)) out.push(unknown);
        else appendParts(toBool(t) ? p.then : p.else, scope, out);
        break;
      }
      case "for": {
        const coll = evaluate(p.collection, scope);
        const pairs =
          isWhollyKnown(coll) || Array.isArray(coll) || isMap(coll) ? iterate(coll) : undefined;
        if (!pairs) {
          if (coll instanceof Unknown || coll instanceof Ref || coll instanceof Parts)
            out.push(unknown);
          else throw new EvalError(`a template for needs a list or a map, not ${typeName(coll)}`);
          break;
        }
        for (const [k, v] of pairs) {
          scope.ctx.budget.spend();
          const names = new Map<string, Value>([[p.valueVar, v]]);
          if (p.keyVar) names.set(p.keyVar, k);
          appendParts(p.body, scope.with(names), out);
        }
        break;
      }
    }
  }
}

/** A value interpolated into a string. */
export function stringParts(v: Value): Part[] {
  if (typeof v === "string") return [v];
  if (typeof v === "number") return [formatNumber(v)];
  if (typeof v === "boolean") return [String(v)];
  if (v instanceof Unknown || v instanceof Ref) return [v];
  if (v instanceof Parts) return v.parts;
  if (v === null) throw new EvalError("a null value cannot be interpolated into a string");
  throw new EvalError(`a ${typeName(v)} cannot be interpolated into a string`);
}

// ---- conversions --------------------------------------------------------------------------------

export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return String(n);
}

export function toBool(v: Value): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  throw new EvalError(`a bool is required, not ${typeName(v)}`);
}

export function toNumber(v: Value): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  throw new EvalError(`a number is required, not ${typeName(v)}`);
}

export function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    if (a.size !== b.size) return false;
    for (const [k, x] of a) if (!b.has(k) || !deepEqual(x, b.get(k)!)) return false;
    return true;
  }
  return false;
}
