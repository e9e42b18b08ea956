/**
 * Terraform JSON syntax (`.tf.json`, `.tofu.json`, cdktf's `cdk.tf.json`) to the configuration's
 * syntax (ast.ts). At every label level and body level a value may be an object or an array of
 * objects (the form hcl2json emits); `"//"` properties there are comments. Strings are templates,
 * parsed as HCL templates (hcl.ts) so that both syntaxes share one evaluator; a template that is
 * only literal text and plain references (all of cdktf's) is read here without the parser.
 *
 * Without a schema, JSON cannot tell a nested block from an object attribute: in a resource body,
 * an object (or an array of objects) is read as nested block(s), whose attributes are evaluated the
 * same way an object's would be; a list of one object is written as that object (values.ts), so
 * both readings give the same value.
 */
import { Node, ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { Json, UnusableInputError } from "../document";
import { Attribute, Block, Body, ConfigFile, Expr, lit, Span } from "./ast";
import { Lines, parseTemplates } from "./hcl";

/** Labels of each top-level block type; other types are read without labels and then ignored. */
const LABELS: Record<string, number> = {
  resource: 2,
  data: 2,
  ephemeral: 2,
  variable: 1,
  output: 1,
  module: 1,
  provider: 1,
  check: 1,
  locals: 0,
  terraform: 0,
};
/** Top-level blocks whose content is never read (providers, backends, moved, import, ...). */
const READ = new Set(["resource", "data", "variable", "output", "module", "locals"]);
/** Resource meta-arguments that are not values (`count`/`for_each` are read, then dropped). */
const SKIPPED = new Set(["//", "depends_on", "provider", "lifecycle", "provisioner", "connection"]);

const isTemplateKey = (k: string) => k.includes("${") || k.includes("%{");

interface Pending {
  target: Expr;
  text: string;
  at: Span;
  where: string;
}

class JsonReader {
  readonly pending: Pending[] = [];
  constructor(
    readonly file: string,
    /** The file as the user named it, for messages. */
    readonly where: string,
    readonly lines?: Lines,
  ) {}

  span(n: Node): Span {
    if (!this.lines) return { file: this.file, line: 0, endLine: 0 };
    return {
      file: this.file,
      line: this.lines.lineOf(n.offset),
      endLine: this.lines.lineOf(n.offset + Math.max(0, n.length - 1)),
    };
  }

  at(n: Node): string {
    const line = this.span(n).line;
    return line ? `${this.where}:${line}` : this.where;
  }

  fail(n: Node, message: string): never {
    throw new UnusableInputError(`${this.at(n)}: ${message}`);
  }

  // ---- blocks -----------------------------------------------------------------------------------

  document(root: Node): Body {
    if (root.type !== "object") this.fail(root, "a Terraform JSON file must be an object");
    const body: Body = { attributes: [], blocks: [] };
    for (const [key, value] of properties(root)) {
      if (key === "//") continue;
      const labels = LABELS[key] ?? 0;
      this.labelled(key, value, labels, [], body.blocks, READ.has(key));
    }
    return body;
  }

  /** One label level: an object keyed by label, or an array of such objects. */
  labelled(
    type: string,
    n: Node,
    remaining: number,
    labels: string[],
    out: Block[],
    read: boolean,
  ): void {
    const what = describeLevel(type, labels);
    if (n.type === "array") {
      const items = n.children ?? [];
      if (items.length === 0 || items.some((x) => x.type !== "object"))
        this.fail(
          n,
          `${what} must be an object (or a non-empty array of objects)${levelNoun(type, labels)}`,
        );
      for (const item of items) this.labelled(type, item, remaining, labels, out, read);
      return;
    }
    if (n.type !== "object")
      this.fail(
        n,
        `${what} must be an object (or a non-empty array of objects)${levelNoun(type, labels)}`,
      );
    if (remaining > 0) {
      for (const [key, value] of properties(n)) {
        if (key === "//") continue;
        this.labelled(type, value, remaining - 1, [...labels, key], out, read);
      }
      return;
    }
    const block: Block = {
      type,
      labels,
      body: read ? this.body(n, type) : { attributes: [], blocks: [] },
      at: this.span(n.parent?.type === "property" ? n.parent : n),
    };
    if (type === "resource" || type === "data") {
      const construct = constructPath(n);
      if (construct) block.construct = construct;
    }
    out.push(block);
  }

  /** A block body. Resource bodies read nested blocks; the others hold only attributes. */
  body(n: Node, type: string): Body {
    const body: Body = { attributes: [], blocks: [] };
    const nested = type === "resource" || type === "data" || type === "nested";
    for (const [key, value, prop] of properties(n)) {
      if (key === "//") continue;
      const at = this.span(prop);
      if (!nested) {
        body.attributes.push({ name: key, expr: this.attributeValue(type, key, value), at });
        continue;
      }
      if (SKIPPED.has(key)) continue;
      if (isTemplateKey(key)) {
        const attr: Attribute = {
          name: key,
          nameExpr: this.template(key, prop),
          expr: this.expr(value),
          at,
        };
        body.attributes.push(attr);
        continue;
      }
      if (key === "dynamic") {
        this.dynamic(value, body.blocks);
        continue;
      }
      const blocks = blockBodies(value);
      if (blocks) {
        for (const b of blocks)
          body.blocks.push({
            type: key,
            labels: [],
            body: this.body(b, "nested"),
            at: this.span(b),
          });
        continue;
      }
      body.attributes.push({ name: key, expr: this.expr(value), at });
    }
    return body;
  }

  /** `"dynamic": {"<block type>": {"for_each": ..., "iterator": "x", "content": {...}}}`. */
  dynamic(n: Node, out: Block[]): void {
    const levels = n.type === "array" ? (n.children ?? []) : [n];
    if (levels.length === 0 || levels.some((x) => x.type !== "object"))
      this.fail(n, `"dynamic" must be an object (or a non-empty array of objects)`);
    for (const level of levels) {
      for (const [label, value] of properties(level)) {
        if (label === "//") continue;
        const bodies = blockBodies(value);
        if (!bodies) this.fail(value, `dynamic "${label}" must be an object`);
        for (const node of bodies) {
          const body: Body = { attributes: [], blocks: [] };
          for (const [key, v, prop] of properties(node)) {
            if (key === "//") continue;
            if (key === "content") {
              for (const c of blockBodies(v) ?? [])
                body.blocks.push({
                  type: "content",
                  labels: [],
                  body: this.body(c, "nested"),
                  at: this.span(c),
                });
            } else if (key === "iterator") {
              body.attributes.push({ name: key, expr: lit(String(v.value)), at: this.span(prop) });
            } else body.attributes.push({ name: key, expr: this.expr(v), at: this.span(prop) });
          }
          out.push({ type: "dynamic", labels: [label], body, at: this.span(node) });
        }
      }
    }
  }

  attributeValue(type: string, key: string, value: Node): Expr {
    // Literal values: a variable's default and type, a module's source and version.
    if (
      (type === "variable" && (key === "default" || key === "type")) ||
      (type === "module" && (key === "source" || key === "version"))
    )
      return literal(value);
    return this.expr(value);
  }

  // ---- expressions --------------------------------------------------------------------------------

  expr(n: Node): Expr {
    switch (n.type) {
      case "string":
        return this.template(String(n.value), n);
      case "number":
      case "boolean":
        return lit(n.value as number | boolean);
      case "null":
        return lit(null);
      case "array":
        return { k: "tuple", items: (n.children ?? []).map((c) => this.expr(c)) };
      case "object":
        return {
          k: "object",
          items: properties(n).map(([key, value, prop]) => ({
            key: isTemplateKey(key) ? this.template(key, prop) : lit(key),
            value: this.expr(value),
          })),
        };
      default:
        return this.fail(n, "unexpected JSON");
    }
  }

  template(s: string, n: Node): Expr {
    if (!s.includes("${") && !s.includes("%{")) return lit(s);
    const at = this.span(n);
    const simple = simpleTemplate(s, at);
    if (simple) return simple;
    const target: Expr = { k: "lit", value: null };
    this.pending.push({ target, text: s, at, where: this.at(n) });
    return target;
  }

  /** Parses the templates left for the HCL parser, in one call, into their placeholders. */
  finish(): void {
    const parsed = parseTemplates(this.pending);
    this.pending.forEach((p, i) => {
      const t = p.target as unknown as Record<string, unknown>;
      for (const k of Object.keys(t)) delete t[k];
      Object.assign(t, parsed[i]);
    });
    this.pending.length = 0;
  }
}

function describeLevel(type: string, labels: string[]): string {
  if (labels.length === 0) return `"${type}"`;
  if (type === "resource" || type === "data")
    return labels.length === 1
      ? `${type === "data" ? "data source" : "resource"} type ${labels[0]}`
      : `${type === "data" ? "data." : ""}${labels.join(".")}`;
  return `${type} ${labels.map((l) => JSON.stringify(l)).join(" ")}`;
}

function levelNoun(type: string, labels: string[]): string {
  if (type !== "resource" && type !== "data") return "";
  if (labels.length === 0) return ` of ${type === "data" ? "data source" : "resource"} types`;
  if (labels.length === 1) return ` of named ${type === "data" ? "data sources" : "resources"}`;
  return "";
}

function properties(n: Node): [string, Node, Node][] {
  if (n.type !== "object") return [];
  const out: [string, Node, Node][] = [];
  for (const p of n.children ?? []) {
    const [k, v] = p.children ?? [];
    if (k && v) out.push([String(k.value), v, p]);
  }
  return out;
}

/** The bodies of a nested block written as an object or a non-empty array of objects. */
function blockBodies(n: Node): Node[] | undefined {
  if (n.type === "object") return [n];
  if (n.type === "array" && n.children?.length && n.children.every((c) => c.type === "object"))
    return n.children;
  return undefined;
}

function constructPath(n: Node): string | undefined {
  for (const [key, value] of properties(n)) {
    if (key !== "//") continue;
    for (const [k, meta] of properties(value)) {
      if (k !== "metadata") continue;
      for (const [m, path] of properties(meta))
        if (m === "path" && path.type === "string") return String(path.value);
    }
  }
  return undefined;
}

/** A JSON value taken literally (a variable's default): strings are not templates there. */
function literal(n: Node): Expr {
  switch (n.type) {
    case "array":
      return { k: "tuple", items: (n.children ?? []).map(literal) };
    case "object":
      return {
        k: "object",
        items: properties(n).map(([k, v]) => ({ key: lit(k), value: literal(v) })),
      };
    default:
      return lit((n.value ?? null) as string | number | boolean | null);
  }
}

const SIMPLE_REFERENCE =
  /^\s*([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z_][A-Za-z0-9_-]*|\.\d+|\[\d+\]|\["[^"\\$%]*"\])*)\s*$/;
const STEP = /\.([A-Za-z_][A-Za-z0-9_-]*)|\.(\d+)|\[(\d+)\]|\["([^"\\$%]*)"\]/g;

/**
 * A template made only of literal text and plain references (`arn:${aws_s3_bucket.b.arn}/*`), as
 * the syntax tree the HCL reader would give; undefined when it needs the parser.
 */
function simpleTemplate(s: string, at: Span): Expr | undefined {
  const parts: ({ k: "text"; text: string } | { k: "interp"; expr: Expr })[] = [];
  let text = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if ((c === "$" || c === "%") && s[i + 1] === c && s[i + 2] === "{") {
      text += c + "{";
      i += 3;
      continue;
    }
    if (c === "%" && s[i + 1] === "{") return undefined;
    if (c === "$" && s[i + 1] === "{") {
      const end = s.indexOf("}", i + 2);
      if (end < 0) return undefined;
      const m = SIMPLE_REFERENCE.exec(s.slice(i + 2, end));
      if (!m) return undefined;
      if (text) parts.push({ k: "text", text });
      text = "";
      let expr: Expr = { k: "var", name: m[1], at };
      for (const step of m[2].matchAll(STEP)) {
        if (step[1] !== undefined) expr = { k: "attr", of: expr, name: step[1], at };
        else if (step[4] !== undefined) expr = { k: "index", of: expr, key: lit(step[4]), at };
        else expr = { k: "index", of: expr, key: lit(Number(step[2] ?? step[3])), at };
      }
      parts.push({ k: "interp", expr });
      i = end + 1;
      continue;
    }
    text += c;
    i++;
  }
  if (text) parts.push({ k: "text", text });
  return { k: "template", parts, at };
}

/** A parsed value as a jsonc-parser tree without positions (a document given as a value). */
function treeOf(v: Json, parent?: Node): Node {
  const node: { -readonly [K in keyof Node]: Node[K] } = {
    type: "null",
    offset: 0,
    length: 0,
    parent,
  };
  if (Array.isArray(v)) {
    node.type = "array";
    node.children = v.map((x) => treeOf(x, node));
  } else if (v !== null && typeof v === "object") {
    node.type = "object";
    node.children = Object.entries(v).map(([k, x]) => {
      const prop: { -readonly [K in keyof Node]: Node[K] } = {
        type: "property",
        offset: 0,
        length: 0,
        parent: node,
      };
      prop.children = [
        { type: "string", value: k, offset: 0, length: 0, parent: prop },
        treeOf(x, prop),
      ];
      return prop;
    });
  } else {
    node.type = v === null ? "null" : (typeof v as "string" | "number" | "boolean");
    node.value = v;
  }
  return node;
}

/**
 * A Terraform JSON file as a configuration file. `text` gives line numbers (jsonc-parser keeps
 * offsets); without it, `doc` is read and no lines are known.
 */
export function readJsonConfig(
  file: string,
  where: string,
  source: { text: string } | { doc: Json },
): ConfigFile {
  let root: Node | undefined;
  let lines: Lines | undefined;
  if ("text" in source) {
    const errors: ParseError[] = [];
    root = parseTree(source.text, errors, { disallowComments: true, allowTrailingComma: false });
    lines = new Lines(source.text);
    if (errors.length || !root) {
      const e = errors[0];
      const line = e ? lines.lineOf(e.offset) : 1;
      throw new UnusableInputError(
        `${where}:${line}: not valid JSON (${e ? printParseErrorCode(e.error) : "empty"})`,
      );
    }
  } else root = treeOf(source.doc);
  const reader = new JsonReader(file, where, lines);
  const body = reader.document(root);
  reader.finish();
  return { file, body, comments: [] };
}

/** A `.tfvars.json` file: an object of variable values, taken literally. */
export function readJsonValues(where: string, text: string): Map<string, Expr> {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  if (errors.length || !root || root.type !== "object") {
    const line = errors[0] ? new Lines(text).lineOf(errors[0].offset) : 1;
    throw new UnusableInputError(`${where}:${line}: not a JSON object of variable values`);
  }
  return new Map(properties(root).map(([k, v]) => [k, literal(v)]));
}
