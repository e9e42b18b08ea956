/**
 * HCL native syntax (`.tf`, `.tofu`, `.tfvars`) to the configuration's syntax (ast.ts), from
 * tree-sitter's concrete tree (hcl-parser.ts). Also parses the templates of Terraform JSON strings
 * and `--var` values as HCL expressions, so that both syntaxes share one evaluator.
 */
import { UnusableInputError } from "../document";
import {
  Attribute,
  Block,
  Body,
  Comment,
  ConfigFile,
  Expr,
  lit,
  ObjectItem,
  Span,
  TemplatePart,
} from "./ast";
import { CstNode, parseHcl } from "./hcl-parser";

const BINARY_OPERATORS = new Set([
  "*",
  "/",
  "%",
  "+",
  "-",
  ">",
  ">=",
  "<",
  "<=",
  "==",
  "!=",
  "&&",
  "||",
]);
const POSTFIX = new Set(["get_attr", "index", "splat"]);

/** 1-based line numbers of string offsets. */
export class Lines {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }
  lineOf(index: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** A reader of one source's tree. `fixed` pins every span to one place (JSON templates). */
class Reader {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly lines: Lines,
    readonly fixed?: Span,
  ) {}

  span(n: CstNode): Span {
    if (this.fixed) return this.fixed;
    // A node's end is exclusive; a block's closing brace is on the line of its last character.
    return {
      file: this.file,
      line: this.lines.lineOf(n.start),
      endLine: this.lines.lineOf(Math.max(n.start, n.end - 1)),
    };
  }

  src(n: CstNode): string {
    return this.text.slice(n.start, n.end);
  }

  fail(n: CstNode, message: string): never {
    throw new UnusableInputError(`${this.file}:${this.span(n).line}: ${message}`);
  }

  body(n: CstNode | undefined): Body {
    const body: Body = { attributes: [], blocks: [] };
    for (const c of n ? n.children : []) {
      if (c.type === "attribute") body.attributes.push(this.attribute(c));
      else if (c.type === "block") body.blocks.push(this.block(c));
    }
    return body;
  }

  attribute(n: CstNode): Attribute {
    const [name, , value] = meaningful(n);
    return { name: this.src(name), expr: this.expression(value), at: this.span(n) };
  }

  block(n: CstNode): Block {
    const labels: string[] = [];
    let body: CstNode | undefined;
    const [type, ...rest] = meaningful(n);
    for (const c of rest) {
      if (c.type === "identifier") labels.push(this.src(c));
      else if (c.type === "string_lit") labels.push(this.stringLit(c));
      else if (c.type === "body") body = c;
    }
    return { type: this.src(type), labels, body: this.body(body), at: this.span(n) };
  }

  stringLit(n: CstNode): string {
    const kids = meaningful(n);
    const open = kids[0];
    const close = kids[kids.length - 1];
    return unescapeQuoted(this.text.slice(open.end, close.start));
  }

  expression(n: CstNode): Expr {
    const kids = meaningful(n);
    if (kids.length === 1 && kids[0].type === "conditional") {
      const [test, , then, , otherwise] = meaningful(kids[0]);
      return {
        k: "cond",
        test: this.expression(test),
        then: this.expression(then),
        else: this.expression(otherwise),
        at: this.span(kids[0]),
      };
    }
    return this.term(kids);
  }

  /** A primary term and its postfix operators (tree-sitter's HCL grammar keeps them siblings). */
  term(nodes: CstNode[]): Expr {
    let i: number;
    let e: Expr;
    if (nodes[0]?.type === "(") {
      e = this.expression(nodes[1]);
      i = 3;
    } else if (nodes[0]) {
      e = this.primary(nodes[0]);
      i = 1;
    } else throw new UnusableInputError(`${this.file}: empty expression`);
    for (; i < nodes.length; i++) e = this.postfix(e, nodes[i]);
    return e;
  }

  postfix(of: Expr, n: CstNode): Expr {
    const at = this.span(n);
    if (n.type === "get_attr") return { k: "attr", of, name: this.src(meaningful(n)[1]), at };
    if (n.type === "index") {
      const inner = meaningful(n)[0];
      if (inner.type === "legacy_index")
        return { k: "index", of, key: lit(Number(this.src(inner).slice(1))), at };
      return { k: "index", of, key: this.expression(meaningful(inner)[1]), at };
    }
    if (n.type === "splat") {
      const inner = meaningful(n)[0];
      let each: Expr = { k: "item" };
      for (const c of meaningful(inner).slice(1)) each = this.postfix(each, c);
      return { k: "splat", of, each, at };
    }
    return this.fail(n, `unexpected ${JSON.stringify(n.type)}`);
  }

  primary(n: CstNode): Expr {
    const at = this.span(n);
    switch (n.type) {
      case "literal_value":
        return this.literal(meaningful(n)[0]);
      case "template_expr":
        return this.template(meaningful(n)[0]);
      case "collection_value":
        return this.collection(meaningful(n)[0]);
      case "variable_expr":
        return { k: "var", name: this.src(n), at };
      case "function_call": {
        const kids = meaningful(n);
        const args = kids.find((c) => c.type === "function_arguments");
        const argNodes = args ? meaningful(args) : [];
        return {
          k: "call",
          name: this.src(kids[0]),
          args: argNodes.filter((c) => c.type === "expression").map((c) => this.expression(c)),
          expand: argNodes.some((c) => c.type === "ellipsis"),
          at,
        };
      }
      case "for_expr":
        return this.forExpr(meaningful(n)[0]);
      case "operation": {
        const op = meaningful(n)[0];
        const kids = meaningful(op);
        if (op.type === "unary_operation")
          return { k: "unary", op: kids[0].type, of: this.term(kids.slice(1)), at };
        const split = kids.findIndex((c) => !c.named && BINARY_OPERATORS.has(c.type));
        return {
          k: "binary",
          op: kids[split].type,
          left: this.term(kids.slice(0, split)),
          right: this.term(kids.slice(split + 1)),
          at,
        };
      }
      default:
        if (POSTFIX.has(n.type)) return this.fail(n, "an operator without an operand");
        return this.fail(n, `unexpected ${JSON.stringify(n.type)}`);
    }
  }

  literal(n: CstNode): Expr {
    const at = this.span(n);
    switch (n.type) {
      case "numeric_lit":
        return lit(Number(this.src(n)), at);
      case "bool_lit":
        return lit(this.src(n) === "true", at);
      case "null_lit":
        return lit(null, at);
      case "string_lit":
        return lit(this.stringLit(n), at);
      default:
        return this.fail(n, `unexpected ${JSON.stringify(n.type)}`);
    }
  }

  collection(n: CstNode): Expr {
    const at = this.span(n);
    if (n.type === "tuple")
      return {
        k: "tuple",
        items: meaningful(n)
          .filter((c) => c.type === "expression")
          .map((c) => this.expression(c)),
        at,
      };
    const items: ObjectItem[] = meaningful(n)
      .filter((c) => c.type === "object_elem")
      .map((c) => {
        const [key, , value] = meaningful(c);
        return { key: this.objectKey(key), value: this.expression(value) };
      });
    return { k: "object", items, at };
  }

  /** `a = 1`: a bare name is the key itself; `(a) = 1` or `"${x}" = 1` is evaluated. */
  objectKey(n: CstNode): Expr {
    const kids = meaningful(n);
    if (kids.length === 1 && kids[0].type === "variable_expr") return lit(this.src(kids[0]));
    return this.expression(n);
  }

  forExpr(n: CstNode): Expr {
    const kids = meaningful(n);
    const intro = kids.find((c) => c.type === "for_intro")!;
    const introKids = meaningful(intro);
    const names = introKids.filter((c) => c.type === "identifier").map((c) => this.src(c));
    const collection = this.expression(introKids.find((c) => c.type === "expression")!);
    const exprs = kids.filter((c) => c.type === "expression").map((c) => this.expression(c));
    const condNode = kids.find((c) => c.type === "for_cond");
    const cond = condNode ? this.expression(meaningful(condNode)[1]) : undefined;
    const [keyVar, valueVar] = names.length === 2 ? names : [undefined, names[0]];
    const isObject = n.type === "for_object_expr";
    return {
      k: "for",
      keyVar,
      valueVar,
      collection,
      key: isObject ? exprs[0] : undefined,
      value: isObject ? exprs[1] : exprs[0],
      cond,
      group: kids.some((c) => c.type === "ellipsis"),
      at: this.span(n),
    };
  }

  // ---- templates ------------------------------------------------------------------------------

  template(n: CstNode): Expr {
    const at = this.span(n);
    const kids = meaningful(n);
    const tokens: Token[] = [];
    if (n.type === "quoted_template") {
      this.collect(kids.slice(1, -1), kids[0].end, kids[kids.length - 1].start, tokens, true);
    } else {
      // heredoc_template: <<ID or <<-ID, a newline, the lines, the closing ID on its own line.
      const ids = kids.filter((c) => c.type === "heredoc_identifier");
      const open = ids[0];
      const close = ids[ids.length - 1];
      const inner = kids.filter((c) => c !== open && c !== close && c.type !== "heredoc_start");
      let from = open.end;
      const nl = this.text.indexOf("\n", from);
      if (nl >= 0 && nl < close.start) from = nl + 1;
      let to = close.start;
      while (to > from && (this.text[to - 1] === " " || this.text[to - 1] === "\t")) to--;
      this.collect(inner, from, to, tokens, false);
      if (this.src(kids[0]) === "<<-") dedent(tokens);
    }
    strip(tokens);
    const parts = nest(tokens, 0, []).parts;
    return { k: "template", parts, at };
  }

  /** Literal text is what lies between the template's structural parts (tree-sitter leaves
   * whitespace out of its literal nodes). */
  collect(parts: CstNode[], from: number, to: number, out: Token[], quoted: boolean): void {
    let pos = from;
    const text = (end: number) => {
      if (end > pos) {
        const raw = this.text.slice(pos, end);
        out.push({ t: "text", text: quoted ? unescapeQuoted(raw) : unescapeHeredoc(raw) });
      }
    };
    for (const p of parts) {
      if (p.type === "template_literal") continue;
      text(p.start);
      if (p.type === "template_interpolation") {
        const kids = meaningful(p);
        const expr = kids.find((c) => c.type === "expression");
        if (!expr) this.fail(p, "empty interpolation");
        out.push({ t: "interp", expr: this.expression(expr), ...stripFlags(kids) });
      } else if (p.type === "template_directive") {
        const d = meaningful(p)[0];
        const dk = meaningful(d);
        this.directive(dk, d.end, out, quoted);
      } else this.fail(p, `unexpected ${JSON.stringify(p.type)} in a template`);
      pos = p.end;
    }
    text(to);
  }

  directive(kids: CstNode[], end: number, out: Token[], quoted: boolean): void {
    // template_if: intro, parts, [else, parts], end; template_for: start, parts, end.
    const markers = new Set([
      "template_if_intro",
      "template_else_intro",
      "template_if_end",
      "template_for_start",
      "template_for_end",
    ]);
    let segment: CstNode[] = [];
    let pos = -1;
    const flush = (until: number) => {
      if (pos >= 0) this.collect(segment, pos, until, out, quoted);
      segment = [];
    };
    for (const c of kids) {
      if (!markers.has(c.type)) {
        segment.push(c);
        continue;
      }
      flush(c.start);
      const mk = meaningful(c);
      const flags = stripFlags(mk);
      switch (c.type) {
        case "template_if_intro":
          out.push({
            t: "if",
            test: this.expression(mk.find((x) => x.type === "expression")!),
            ...flags,
          });
          break;
        case "template_else_intro":
          out.push({ t: "else", ...flags });
          break;
        case "template_if_end":
          out.push({ t: "endif", ...flags });
          break;
        case "template_for_start": {
          const names = mk.filter((x) => x.type === "identifier").map((x) => this.src(x));
          out.push({
            t: "for",
            keyVar: names.length === 2 ? names[0] : undefined,
            valueVar: names[names.length - 1],
            collection: this.expression(mk.find((x) => x.type === "expression")!),
            ...flags,
          });
          break;
        }
        case "template_for_end":
          out.push({ t: "endfor", ...flags });
          break;
      }
      pos = c.end;
    }
    flush(end);
  }
}

type Token =
  | { t: "text"; text: string }
  | { t: "interp"; expr: Expr; left: boolean; right: boolean }
  | { t: "if"; test: Expr; left: boolean; right: boolean }
  | { t: "else" | "endif" | "endfor"; left: boolean; right: boolean }
  | {
      t: "for";
      keyVar?: string;
      valueVar: string;
      collection: Expr;
      left: boolean;
      right: boolean;
    };

/** `~` right after `${`/`%{` strips the whitespace before; right before `}`, after. */
function stripFlags(kids: CstNode[]): { left: boolean; right: boolean } {
  const marks = kids.map((c, i) => (c.type === "strip_marker" ? i : -1)).filter((i) => i >= 0);
  return { left: marks.includes(1), right: marks.includes(kids.length - 2) };
}

function strip(tokens: Token[]): void {
  tokens.forEach((tok, i) => {
    if (tok.t === "text") return;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    if (tok.left && before?.t === "text") before.text = before.text.replace(/\s+$/, "");
    if (tok.right && after?.t === "text") after.text = after.text.replace(/^\s+/, "");
  });
}

/** `<<-`: the smallest indentation of the lines is removed from all of them. */
function dedent(tokens: Token[]): void {
  let min = Infinity;
  let atLineStart = true;
  tokens.forEach((tok, ti) => {
    if (tok.t !== "text") {
      if (atLineStart) min = 0;
      atLineStart = false;
      return;
    }
    const lines = tok.text.split("\n");
    lines.forEach((line, i) => {
      if (i > 0) atLineStart = true;
      if (!atLineStart) return;
      const indent = leading(line);
      if (indent < line.length) {
        min = Math.min(min, indent);
        atLineStart = false;
      } else if (i === lines.length - 1 && ti < tokens.length - 1) {
        // Only whitespace before an interpolation on the same line: that is its indentation.
        min = Math.min(min, indent);
        atLineStart = false;
      }
    });
  });
  if (!Number.isFinite(min) || min === 0) return;
  atLineStart = true;
  for (const tok of tokens) {
    if (tok.t !== "text") {
      atLineStart = false;
      continue;
    }
    tok.text = tok.text
      .split("\n")
      .map((line, i) => (i > 0 || atLineStart ? line.slice(Math.min(min, leading(line))) : line))
      .join("\n");
    atLineStart = tok.text.endsWith("\n");
  }
}

const leading = (line: string) => /^[ \t]*/.exec(line)![0].length;

function nest(
  tokens: Token[],
  from: number,
  stops: string[],
): { parts: TemplatePart[]; next: number; stop?: string } {
  const parts: TemplatePart[] = [];
  let i = from;
  while (i < tokens.length) {
    const tok = tokens[i];
    if (stops.includes(tok.t)) return { parts, next: i + 1, stop: tok.t };
    i++;
    switch (tok.t) {
      case "text":
        if (tok.text) parts.push({ k: "text", text: tok.text });
        break;
      case "interp":
        parts.push({ k: "interp", expr: tok.expr });
        break;
      case "if": {
        const then = nest(tokens, i, ["else", "endif"]);
        let otherwise: TemplatePart[] = [];
        i = then.next;
        if (then.stop === "else") {
          const e = nest(tokens, i, ["endif"]);
          otherwise = e.parts;
          i = e.next;
        }
        parts.push({ k: "if", test: tok.test, then: then.parts, else: otherwise });
        break;
      }
      case "for": {
        const body = nest(tokens, i, ["endfor"]);
        i = body.next;
        parts.push({
          k: "for",
          keyVar: tok.keyVar,
          valueVar: tok.valueVar,
          collection: tok.collection,
          body: body.parts,
        });
        break;
      }
      default:
        // A stray else/endif/endfor: tree-sitter accepted it, HCL would not.
        throw new UnusableInputError(`unexpected %{${tok.t}} in a template`);
    }
  }
  return { parts, next: i };
}

/** The children that carry meaning: comments (extras) can sit anywhere. */
function meaningful(n: CstNode): CstNode[] {
  return n.children.filter((c) => c.type !== "comment");
}

function unescapeHeredoc(raw: string): string {
  return raw.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

export function unescapeQuoted(raw: string): string {
  if (!raw.includes("\\") && !raw.includes("$${") && !raw.includes("%%{")) return raw;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if ((c === "$" || c === "%") && raw[i + 1] === c && raw[i + 2] === "{") {
      out += c + "{";
      i += 2;
      continue;
    }
    if (c !== "\\" || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const e = raw[++i];
    if (e === "n") out += "\n";
    else if (e === "r") out += "\r";
    else if (e === "t") out += "\t";
    else if (e === "u" || e === "U") {
      const len = e === "u" ? 4 : 8;
      const hex = raw.slice(i + 1, i + 1 + len);
      const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === len ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(code) || code > 0x10ffff) out += "\\" + e;
      else {
        out += String.fromCodePoint(code);
        i += len;
      }
    } else out += e; // \" \\ and anything else: the character itself
  }
  return out;
}

function collectComments(n: CstNode, text: string, lines: Lines, out: Comment[]): void {
  if (n.type === "comment") {
    out.push({
      text: text.slice(n.start, n.end),
      line: lines.lineOf(n.start),
      endLine: lines.lineOf(Math.max(n.start, n.end - 1)),
    });
    return;
  }
  for (const c of n.children) collectComments(c, text, lines, out);
}

function syntaxError(file: string, text: string, index: number, message: string): never {
  throw new UnusableInputError(`${file}:${new Lines(text).lineOf(index)}: ${message}`);
}

function guardDepth<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError)
      throw new UnusableInputError(`${file}: expressions nested too deeply to read`);
    throw e;
  }
}

/** HCL files (`.tf`, `.tofu`, `.tfvars`), parsed in one call. */
export function parseHclFiles(files: { file: string; text: string }[]): ConfigFile[] {
  const outcomes = parseHcl(files);
  return files.map(({ file, text }, i) => {
    const o = outcomes[i];
    if (!o.ok) return syntaxError(file, text, o.index, o.message);
    const lines = new Lines(text);
    const reader = new Reader(file, text, lines);
    return guardDepth(file, () => {
      const top = meaningful(o.root)[0];
      if (top && top.type !== "body")
        throw new UnusableInputError(`${file}:1: expected attributes and blocks`);
      const comments: Comment[] = [];
      collectComments(o.root, text, lines, comments);
      const blankLines = new Set<number>();
      text.split("\n").forEach((line, n) => {
        if (line.trim() === "") blankLines.add(n + 1);
      });
      return { file, body: reader.body(top), comments, blankLines };
    });
  });
}

/**
 * Template strings (Terraform JSON string values) as expressions, parsed in one call. Each is
 * written as a quoted HCL template whose literal parts are escaped; `at` is where the string is.
 */
export function parseTemplates(templates: { text: string; at: Span; where: string }[]): Expr[] {
  if (templates.length === 0) return [];
  let source = "";
  const starts: number[] = [];
  for (const [i, t] of templates.entries()) {
    starts.push(source.length);
    source += `t${i} = "${quoteTemplate(t.text, t.where)}"\n`;
  }
  const [o] = parseHcl([{ text: source }]);
  if (!o.ok) {
    let i = starts.length - 1;
    while (i > 0 && starts[i] > o.index) i--;
    const t = templates[i];
    throw new UnusableInputError(`${t.where}: invalid template: ${o.message}`);
  }
  const lines = new Lines(source);
  const attrs = meaningful(meaningful(o.root)[0]);
  return attrs.map((a, i) => {
    const t = templates[i];
    const reader = new Reader(t.at.file, source, lines, t.at);
    return guardDepth(t.where, () => reader.attribute(a).expr);
  });
}

/** One HCL expression (a `--var` value of a complex type). */
export function parseExpression(text: string, where: string): Expr {
  const source = `v = ${text}\n`;
  const [o] = parseHcl([{ text: source }]);
  if (!o.ok) throw new UnusableInputError(`${where}: not a valid expression: ${o.message}`);
  const body = meaningful(o.root)[0];
  const attrs = body ? meaningful(body) : [];
  if (attrs.length !== 1 || attrs[0].type !== "attribute")
    throw new UnusableInputError(`${where}: not a valid expression`);
  const at = { file: where, line: 1, endLine: 1 };
  return guardDepth(
    where,
    () => new Reader(where, source, new Lines(source), at).attribute(attrs[0]).expr,
  );
}

/**
 * A Terraform JSON template as the body of a quoted HCL template: literal text escaped, `${...}`
 * and `%{...}` sequences kept as written (their ends found by skipping nested braces and strings).
 */
export function quoteTemplate(s: string, where: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if ((c === "$" || c === "%") && s[i + 1] === c && s[i + 2] === "{") {
      out += s.slice(i, i + 3);
      i += 3;
      continue;
    }
    if ((c === "$" || c === "%") && s[i + 1] === "{") {
      const end = closingBrace(s, i + 2);
      if (end < 0) throw new UnusableInputError(`${where}: unterminated template sequence`);
      out += s.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (c === "\\") out += "\\\\";
    else if (c === '"') out += '\\"';
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else out += c;
    i++;
  }
  return out;
}

/** The index of the `}` closing a sequence opened just before `from`, skipping nested braces and
 * quoted strings; -1 when there is none. */
export function closingBrace(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === "\\") i++;
    } else if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}
