/**
 * A module's declarations, from its files (HCL and JSON alike): variables, locals, outputs,
 * resources and data sources, module calls, and the inline waivers written in its comments.
 * Terraform merges a directory's files into one module; a name declared twice is refused.
 */
import { UnusableInputError } from "../document";
import { Attribute, Block, Body, ConfigFile, Expr, Span } from "./ast";
import { isCalendarDate } from "../../../handlers/results/calendar";

export interface ResourceDecl {
  mode: "managed" | "data";
  type: string;
  name: string;
  /** `type.name`, or `data.type.name`. */
  key: string;
  /** The body without its meta-arguments. */
  body: Body;
  count?: Expr;
  forEach?: Expr;
  at: Span;
  construct?: string;
}

export interface VariableDecl {
  name: string;
  default?: Expr;
  type?: Expr;
  at: Span;
}

export interface OutputDecl {
  name: string;
  value?: Expr;
  at: Span;
}

export interface ModuleCallDecl {
  name: string;
  source: string;
  args: Attribute[];
  count?: Expr;
  forEach?: Expr;
  at: Span;
}

/** An inline waiver as written: the resource it is attached to, by its key in this module. */
export interface WaiverDecl {
  rule: string;
  resource: string;
  reason: string;
  until?: string;
  file: string;
  line: number;
}

export interface ModuleConfig {
  /** Absolute directory (the cache key, and the base of local module sources and file()). */
  dir: string;
  files: ConfigFile[];
  variables: Map<string, VariableDecl>;
  locals: Map<string, Attribute>;
  outputs: Map<string, OutputDecl>;
  resources: Map<string, ResourceDecl>;
  /** Resource types declared (managed), so that `aws_x.y` of an undeclared name is told apart. */
  calls: Map<string, ModuleCallDecl>;
  waivers: WaiverDecl[];
}

/** Meta-arguments of resources and module calls that are not values. */
const META_ATTRIBUTES = new Set(["count", "for_each", "depends_on", "provider", "providers"]);
const META_BLOCKS = new Set(["lifecycle", "provisioner", "connection"]);
/** Top-level blocks that declare nothing the gate reads. */
const IGNORED_BLOCKS = new Set([
  "terraform",
  "provider",
  "moved",
  "import",
  "removed",
  "check",
  "ephemeral",
]);

const where = (at: Span) => (at.line ? `${at.file}:${at.line}` : at.file);

function fail(at: Span, message: string): never {
  throw new UnusableInputError(`${where(at)}: ${message}`);
}

function labels(b: Block, n: number, names: string): void {
  if (b.labels.length !== n)
    fail(b.at, `a ${b.type} block needs ${n === 1 ? "one label" : `${n} labels`} (${names})`);
}

function attribute(body: Body, name: string): Attribute | undefined {
  return body.attributes.find((a) => a.name === name);
}

/** A string written literally (a module's source): no interpolation. */
function literalString(e: Expr): string | undefined {
  if (e.k === "lit" && typeof e.value === "string") return e.value;
  if (e.k === "template" && e.parts.every((p) => p.k === "text"))
    return e.parts.map((p) => (p.k === "text" ? p.text : "")).join("");
  return undefined;
}

export function buildModule(dir: string, files: ConfigFile[]): ModuleConfig {
  const m: ModuleConfig = {
    dir,
    files,
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    resources: new Map(),
    calls: new Map(),
    waivers: [],
  };
  const seen = new Map<string, Span>();
  const declare = (key: string, at: Span, what: string) => {
    const first = seen.get(key);
    if (first) fail(at, `${what} is declared twice (first at ${where(first)})`);
    seen.set(key, at);
  };
  const primary = files.filter((f) => !isOverride(f.file));
  for (const o of files.filter((f) => isOverride(f.file))) {
    for (const b of o.body.blocks) applyOverride(primary, b);
    m.waivers.push(...inlineWaivers(o));
  }
  for (const f of primary) {
    for (const a of f.body.attributes)
      fail(a.at, `"${a.name}" is not a block: a configuration file holds blocks only`);
    for (const b of f.body.blocks) {
      switch (b.type) {
        case "resource":
        case "data": {
          labels(b, 2, "type and name");
          const [type, name] = b.labels;
          const mode = b.type === "data" ? "data" : "managed";
          const key = `${mode === "data" ? "data." : ""}${type}.${name}`;
          declare(`r:${key}`, b.at, key);
          const count = attribute(b.body, "count")?.expr;
          const forEach = attribute(b.body, "for_each")?.expr;
          if (count && forEach) fail(b.at, `${key} has both count and for_each`);
          m.resources.set(key, {
            mode,
            type,
            name,
            key,
            body: {
              attributes: b.body.attributes.filter((a) => !META_ATTRIBUTES.has(a.name)),
              blocks: b.body.blocks.filter((x) => !META_BLOCKS.has(x.type)),
            },
            count,
            forEach,
            at: b.at,
            construct: b.construct,
          });
          break;
        }
        case "variable": {
          labels(b, 1, "name");
          declare(`v:${b.labels[0]}`, b.at, `variable "${b.labels[0]}"`);
          m.variables.set(b.labels[0], {
            name: b.labels[0],
            default: attribute(b.body, "default")?.expr,
            type: attribute(b.body, "type")?.expr,
            at: b.at,
          });
          break;
        }
        case "locals":
          labels(b, 0, "none");
          for (const a of b.body.attributes) {
            declare(`l:${a.name}`, a.at, `local.${a.name}`);
            m.locals.set(a.name, a);
          }
          break;
        case "output":
          labels(b, 1, "name");
          declare(`o:${b.labels[0]}`, b.at, `output "${b.labels[0]}"`);
          m.outputs.set(b.labels[0], {
            name: b.labels[0],
            value: attribute(b.body, "value")?.expr,
            at: b.at,
          });
          break;
        case "module": {
          labels(b, 1, "name");
          const name = b.labels[0];
          declare(`m:${name}`, b.at, `module "${name}"`);
          const sourceAttr = attribute(b.body, "source");
          const source = sourceAttr && literalString(sourceAttr.expr);
          if (source === undefined)
            fail(b.at, `module "${name}" needs a source written as a literal string`);
          const count = attribute(b.body, "count")?.expr;
          const forEach = attribute(b.body, "for_each")?.expr;
          if (count && forEach) fail(b.at, `module "${name}" has both count and for_each`);
          m.calls.set(name, {
            name,
            source,
            args: b.body.attributes.filter(
              (a) => !META_ATTRIBUTES.has(a.name) && a.name !== "source" && a.name !== "version",
            ),
            count,
            forEach,
            at: b.at,
          });
          break;
        }
        default:
          if (!IGNORED_BLOCKS.has(b.type))
            fail(b.at, `unsupported block type "${b.type}" at the top level`);
      }
    }
    m.waivers.push(...inlineWaivers(f));
  }
  return m;
}

// ---- override files -------------------------------------------------------------------------------

/** `override.tf`, `x_override.tf` (and .tofu, .json): merged into the blocks they name. */
export const isOverride = (file: string): boolean =>
  /(^|\/)(override|[^/]*_override)\.(tf|tofu)(\.json)?$/.test(file);

/**
 * Terraform's override merge: an attribute replaces the one of the same name; nested blocks of a
 * type replace all the original's blocks of that type; locals replace by name.
 */
function applyOverride(primary: ConfigFile[], o: Block): void {
  if (IGNORED_BLOCKS.has(o.type)) return;
  const blocks = primary.flatMap((f) => f.body.blocks);
  if (o.type === "locals") {
    for (const a of o.body.attributes) {
      const owner = blocks.find(
        (b) => b.type === "locals" && b.body.attributes.some((x) => x.name === a.name),
      );
      if (!owner) fail(a.at, `local.${a.name} in an override file overrides nothing`);
      owner.body.attributes = owner.body.attributes.map((x) => (x.name === a.name ? a : x));
    }
    return;
  }
  const base = blocks.find(
    (b) =>
      b.type === o.type &&
      b.labels.length === o.labels.length &&
      b.labels.every((l, i) => l === o.labels[i]),
  );
  if (!base) fail(o.at, `${[o.type, ...o.labels].join(" ")} in an override file overrides nothing`);
  for (const a of o.body.attributes) {
    const i = base.body.attributes.findIndex((x) => x.name === a.name);
    if (i >= 0) base.body.attributes[i] = a;
    else base.body.attributes.push(a);
  }
  const types = new Set(o.body.blocks.map((b) => b.type));
  base.body.blocks = [...base.body.blocks.filter((b) => !types.has(b.type)), ...o.body.blocks];
}

// ---- inline waivers -------------------------------------------------------------------------------

const RULE_ID = /^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$/;
const WAIVE = /^imgsec:waive(?:\s|$)/;

/** The text of a comment without its markers. */
function commentBody(text: string): string {
  if (text.startsWith("#")) return text.slice(1).trim();
  if (text.startsWith("//")) return text.slice(2).trim();
  if (text.startsWith("/*")) return text.slice(2, text.endsWith("*/") ? -2 : undefined).trim();
  return text.trim();
}

/** `imgsec:waive RULE [until=YYYY-MM-DD] reason="..."`, parsed; the waiver's place is checked later. */
export function parseWaiver(
  body: string,
  at: string,
): { rule: string; reason: string; until?: string } {
  const usage = `(imgsec:waive IMGSEC-S3-007 until=2027-03-31 reason="...")`;
  const m = /^imgsec:waive\s+(\S+)([\s\S]*)$/.exec(body);
  if (!m || !RULE_ID.test(m[1]))
    throw new UnusableInputError(`${at}: imgsec:waive needs a rule id ${usage}`);
  const rule = m[1];
  let rest = m[2];
  let reason: string | undefined;
  let until: string | undefined;
  for (;;) {
    rest = rest.trimStart();
    if (!rest) break;
    const kv = /^([a-z]+)=("(?:[^"\\]|\\.)*"|[^\s"]+)/.exec(rest);
    if (!kv)
      throw new UnusableInputError(
        `${at}: imgsec:waive ${rule}: cannot read "${rest.split(/\s/)[0].slice(0, 40)}" ${usage}`,
      );
    rest = rest.slice(kv[0].length);
    const [, key, raw] = kv;
    if (key === "until") {
      if (until !== undefined || !isCalendarDate(raw))
        throw new UnusableInputError(
          `${at}: imgsec:waive ${rule}: until must be one date, YYYY-MM-DD`,
        );
      until = raw;
    } else if (key === "reason") {
      if (reason !== undefined || !raw.startsWith('"'))
        throw new UnusableInputError(
          `${at}: imgsec:waive ${rule}: reason must be one quoted string`,
        );
      reason = raw.slice(1, -1).replace(/\\(.)/g, "$1");
    } else
      throw new UnusableInputError(
        `${at}: imgsec:waive ${rule}: unknown setting "${key}" ${usage}`,
      );
  }
  if (!reason || !reason.trim())
    throw new UnusableInputError(`${at}: imgsec:waive ${rule} needs reason="..." ${usage}`);
  return until ? { rule, reason, until } : { rule, reason };
}

/**
 * The file's waivers, each attached to the resource block it is inside of, or directly above
 * (only blank lines and other comments between). Any other place is refused.
 */
function inlineWaivers(f: ConfigFile): WaiverDecl[] {
  const out: WaiverDecl[] = [];
  if (f.comments.length === 0) return out;
  const blocks = [...f.body.blocks].sort((a, b) => a.at.line - b.at.line);
  const commentLines = new Set<number>();
  for (const c of f.comments) for (let l = c.line; l <= c.endLine; l++) commentLines.add(l);
  const codeLines = new Set<number>();
  for (const b of blocks) for (let l = b.at.line; l <= b.at.endLine; l++) codeLines.add(l);
  for (const c of f.comments) {
    const body = commentBody(c.text);
    if (!WAIVE.test(body)) continue;
    const at = `${f.file}:${c.line}`;
    const w = parseWaiver(body, at);
    let block = blocks.find((b) => b.at.line <= c.line && c.line <= b.at.endLine);
    if (!block) {
      const next = blocks.find((b) => b.at.line > c.endLine);
      let adjacent = !!next;
      // Between the comment and the block: only lines that hold comments or nothing.
      for (let l = c.endLine + 1; next && l < next.at.line; l++)
        if (codeLines.has(l) || (!commentLines.has(l) && !isBlank(f, l))) adjacent = false;
      if (adjacent) block = next;
    }
    if (!block || block.type !== "resource" || block.labels.length !== 2)
      throw new UnusableInputError(
        `${at}: imgsec:waive ${w.rule} must be inside or directly above a resource block`,
      );
    out.push({ ...w, resource: block.labels.join("."), file: f.file, line: c.line });
  }
  return out;
}

function isBlank(f: ConfigFile, line: number): boolean {
  return f.blankLines?.has(line) ?? false;
}
