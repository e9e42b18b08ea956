/**
 * The configuration loader: a Terraform module directory (HCL and JSON), or one Terraform JSON
 * document (plain `*.tf.json` or cdktf's `cdk.tf.json`), evaluated into the normalized resources
 * (README: what is read, what is known, modules, limits).
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import {
  InlineWaiver,
  Json,
  NormalizedResource,
  Obj,
  SourceLocation,
  UnusableInputError,
} from "../document";
import { policiesOf } from "../policy-docs";
import { Attribute, Body, ConfigFile, Expr, Span } from "./ast";
import { EvalContext, EvalError, evaluate, iterate, Scope } from "./evaluate";
import { parseExpression, parseHclFiles, parseTemplates } from "./hcl";
import { readJsonConfig, readJsonValues } from "./json";
import { buildModule, ModuleCallDecl, ModuleConfig, ResourceDecl, VariableDecl } from "./module";
import { convert, isPrimitive, typeConstraint, TypeConstraint } from "./types";
import {
  Budget,
  instanceKey,
  Instances,
  isMap,
  isWhollyKnown,
  Namespace,
  Parts,
  Ref,
  render,
  typeName,
  Unknown,
  unknown,
  Value,
} from "./values";

/** Variable values given on the command line (`imgsec check --var-file F --var name=value`). */
export interface LoadOptions {
  /** Files of variable values (`.tfvars` in HCL, `.tfvars.json` in JSON), applied in order,
   * after the module's own `terraform.tfvars` and `*.auto.tfvars`. */
  varFiles?: string[];
  /** `name=value`, applied in order after every file: the last word on a variable. */
  vars?: string[];
}

export interface LoadedConfig {
  resources: Record<string, NormalizedResource>;
  inlineWaivers: InlineWaiver[];
  /** What the loader could not read or know, for the user (one line each, no values). */
  notes: string[];
}

/** Instances of one block (count, for_each, dynamic): more is refused, never expanded. */
export const MAX_INSTANCES = 1000;
/** Resource instances of one load, all modules included. */
export const MAX_RESOURCES = 100_000;
/** Module instances of one load. */
export const MAX_MODULE_INSTANCES = 10_000;
/** Evaluation steps of one load (each expression node, each value written). */
export const MAX_STEPS = 50_000_000;
/** A configuration file larger than this is refused. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** A file read by `file()` or `templatefile()` larger than this is unknown. */
const MAX_READ_BYTES = 1024 * 1024;

const HCL_EXTENSIONS = [".tf", ".tofu"];
const JSON_EXTENSIONS = [".tf.json", ".tofu.json"];

/** The configuration files of a directory, as Terraform and OpenTofu pick them: `x.tofu` (or
 * `x.tofu.json`) replaces `x.tf` (`x.tf.json`); hidden files are skipped. */
export function configFileNames(dir: string): string[] {
  const names = readdirSync(dir).filter(
    (f) =>
      !f.startsWith(".") &&
      [...HCL_EXTENSIONS, ...JSON_EXTENSIONS].some((e) => f.endsWith(e)) &&
      statSync(join(dir, f)).isFile(),
  );
  const set = new Set(names);
  return names
    .filter((f) => {
      const tofu = f.replace(/\.tf(\.json)?$/, ".tofu$1");
      return tofu === f || !set.has(tofu);
    })
    .sort();
}

const isJsonName = (f: string) => JSON_EXTENSIONS.some((e) => f.endsWith(e));
const slash = (p: string) => p.split(sep).join("/");
const at = (s: Span) => (s.line ? `${s.file}:${s.line}` : s.file);

function readText(file: string, shown: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new UnusableInputError(
      `cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  if (size > MAX_FILE_BYTES)
    throw new UnusableInputError(`${shown} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
  try {
    // A byte order mark is not part of the configuration.
    return readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  } catch (e) {
    throw new UnusableInputError(
      `cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
}

const PENDING = Symbol("pending");

type Keys =
  | { kind: "single" }
  | { kind: "count"; keys: number[] }
  | { kind: "each"; keys: string[]; values: Map<string, Value> }
  | { kind: "unknown"; byEach: boolean };

interface Children {
  call: ModuleCallDecl;
  keys: Keys;
  instances: { key: number | string | undefined; instance: Instance }[];
}

class Loader implements EvalContext {
  readonly budget = new Budget(MAX_STEPS);
  private readonly noteSet = new Set<string>();
  private readonly modules = new Map<string, ModuleConfig>();
  private readonly readable = new Set<string>();
  readonly resources: Record<string, NormalizedResource> = {};
  private readonly waivers = new Map<string, InlineWaiver>();
  private resourceCount = 0;
  moduleInstances = 0;
  private modulesJson?: Map<string, string>;
  rootValues = new Map<string, { value: () => Value; where: string }>();

  constructor(
    /** The checked path as the user wrote it: file names are shown under it. */
    readonly shownRoot: string,
    /** The root module's directory. */
    readonly rootDir: string,
    /** What source locations are relative to (the checked directory, or the checked file). */
    readonly locationBase: string,
  ) {
    this.readable.add(safeRealpath(rootDir));
  }

  get notes(): string[] {
    return [...this.noteSet];
  }

  note(message: string): void {
    this.noteSet.add(message);
  }

  /** The path shown for a file of the configuration: under the checked path as written. */
  shown(abs: string): string {
    return slash(join(this.shownRoot, relative(this.rootDir, abs)));
  }

  location(span: Span, module: string, construct?: string): SourceLocation {
    const rel = slash(relative(this.locationBase, span.file));
    const loc: SourceLocation = { file: rel || basename(span.file) };
    if (span.line) {
      loc.startLine = span.line;
      loc.endLine = span.endLine;
    }
    if (module) loc.module = module;
    if (construct) loc.construct = construct;
    return loc;
  }

  // ---- files --------------------------------------------------------------------------------------

  readFile(path: string): string | undefined {
    const abs = resolve(this.rootDir, path);
    let real: string;
    try {
      real = realpathSync(abs);
      if (!statSync(real).isFile() || statSync(real).size > MAX_READ_BYTES) return undefined;
    } catch {
      return undefined;
    }
    if (![...this.readable].some((d) => real === d || real.startsWith(d + sep))) {
      this.note(`file() outside the checked configuration is not read: its content is unknown`);
      return undefined;
    }
    try {
      return readFileSync(real, "utf8");
    } catch {
      return undefined;
    }
  }

  parseTemplate(text: string, where: string): Expr {
    const span = { file: where, line: 0, endLine: 0 };
    return parseTemplates([{ text, at: span, where }])[0];
  }

  /** A module directory, read and parsed once however often it is used. */
  readModule(dir: string, files?: string[]): ModuleConfig {
    const real = safeRealpath(dir);
    const cached = this.modules.get(real);
    if (cached) return cached;
    const names = files ?? configFileNames(dir);
    const hcl: { file: string; text: string }[] = [];
    const parsed: ConfigFile[] = [];
    for (const name of names) {
      const abs = isAbsolute(name) ? name : join(dir, name);
      const shown = this.shown(abs);
      const text = readText(abs, shown);
      if (isJsonName(name)) parsed.push(readJsonConfig(shown, shown, { text }));
      else hcl.push({ file: shown, text });
    }
    parsed.push(...parseHclFiles(hcl));
    parsed.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    const config = buildModule(dir, parsed);
    this.modules.set(real, config);
    this.readable.add(real);
    return config;
  }

  /** `.terraform/modules/modules.json`: where `terraform init` put each module call's source. */
  downloaded(key: string): string | undefined {
    if (!this.modulesJson) {
      this.modulesJson = new Map();
      const file = join(this.rootDir, ".terraform", "modules", "modules.json");
      if (existsSync(file)) {
        let doc: unknown;
        try {
          doc = JSON.parse(readText(file, this.shown(file)));
        } catch (e) {
          if (e instanceof UnusableInputError) throw e;
          throw new UnusableInputError(`${this.shown(file)} is not valid JSON`);
        }
        const list = (doc as { Modules?: unknown }).Modules;
        const root = safeRealpath(this.rootDir);
        for (const m of Array.isArray(list) ? list : []) {
          if (typeof m?.Key !== "string" || typeof m?.Dir !== "string" || !m.Key) continue;
          const dir = resolve(this.rootDir, m.Dir);
          // Terraform puts downloads under the root module; anything else is not trusted.
          const real = safeRealpath(dir);
          if (real === root || real.startsWith(root + sep)) this.modulesJson.set(m.Key, dir);
        }
      }
    }
    return this.modulesJson.get(key);
  }

  // ---- variable values of the root module -----------------------------------------------------------

  /** terraform.tfvars, *.auto.tfvars (and .json), then --var-file, then --var: later wins. */
  loadRootValues(
    root: ModuleConfig,
    opts: LoadOptions,
    autoFiles: boolean,
    strictVars: boolean,
  ): void {
    const files: { abs: string; shown: string }[] = [];
    if (autoFiles) {
      const names = readdirSync(this.rootDir);
      const auto = names.filter((f) => /\.auto\.tfvars(\.json)?$/.test(f)).sort();
      for (const f of ["terraform.tfvars", "terraform.tfvars.json", ...auto])
        if (names.includes(f))
          files.push({ abs: join(this.rootDir, f), shown: this.shown(join(this.rootDir, f)) });
    }
    for (const f of opts.varFiles ?? []) {
      if (!existsSync(f)) throw new UnusableInputError(`--var-file ${f}: no such file`);
      files.push({ abs: f, shown: f });
    }
    const empty = new Scope(this, new Map());
    for (const f of files) {
      const text = readText(f.abs, f.shown);
      const exprs = new Map<string, { expr: Expr; where: string }>();
      if (f.abs.endsWith(".json")) {
        for (const [k, e] of readJsonValues(f.shown, text))
          exprs.set(k, { expr: e, where: f.shown });
      } else {
        const [cf] = parseHclFiles([{ file: f.shown, text }]);
        for (const b of cf.body.blocks)
          throw new UnusableInputError(
            `${f.shown}:${b.at.line}: a variables file holds name = value lines only`,
          );
        for (const a of cf.body.attributes) exprs.set(a.name, { expr: a.expr, where: at(a.at) });
      }
      for (const [name, { expr, where }] of exprs) {
        if (!root.variables.has(name)) {
          this.note(`${where}: a value for undeclared variable "${name}" is ignored`);
          continue;
        }
        this.rootValues.set(name, { value: constant(expr, empty, where), where });
      }
    }
    for (const spec of opts.vars ?? []) {
      const eq = spec.indexOf("=");
      const name = eq > 0 ? spec.slice(0, eq).trim() : "";
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name))
        throw new UnusableInputError(`--var must be name=value (a variable name, "=", its value)`);
      const decl = root.variables.get(name);
      if (!decl) {
        if (strictVars)
          throw new UnusableInputError(`--var ${name}: no variable "${name}" is declared`);
        this.note(`--var ${name}: no variable "${name}" is declared here`);
        continue;
      }
      const raw = spec.slice(eq + 1);
      const where = `--var ${name}`;
      const value = isPrimitive(variableType(decl))
        ? () => raw
        : constant(parseExpression(raw, where), empty, where);
      this.rootValues.set(name, { value, where });
    }
  }

  // ---- instances --------------------------------------------------------------------------------

  countModuleInstance(at: Span): void {
    if (++this.moduleInstances > MAX_MODULE_INSTANCES)
      throw new UnusableInputError(
        `${at.file}:${at.line}: more than ${MAX_MODULE_INSTANCES.toLocaleString("en-US")} module instances`,
      );
  }

  addResource(r: NormalizedResource, decl: ResourceDecl): void {
    if (++this.resourceCount > MAX_RESOURCES)
      throw new UnusableInputError(
        `${at(decl.at)}: more than ${MAX_RESOURCES.toLocaleString("en-US")} resource instances`,
      );
    this.resources[r.address] = r;
  }

  addWaiver(w: InlineWaiver): void {
    this.waivers.set(`${w.address}\u0000${w.rule}\u0000${w.file}\u0000${w.line}`, w);
  }

  get inlineWaivers(): InlineWaiver[] {
    return [...this.waivers.values()];
  }

  /** Every module instance's resources and waivers, depth first. */
  walk(inst: Instance): void {
    for (const call of inst.config.calls.values()) {
      const children = inst.children(call.name);
      for (const c of children?.instances ?? []) this.walk(c.instance);
    }
    for (const decl of inst.config.resources.values()) inst.expand(decl);
    for (const w of inst.config.waivers) {
      this.addWaiver({
        rule: w.rule,
        address: prefixed(inst.configPath, w.resource),
        reason: w.reason,
        ...(w.until ? { until: w.until } : {}),
        file: slash(relative(this.locationBase, w.file)) || basename(w.file),
        line: w.line,
      });
    }
  }
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

const prefixed = (prefix: string, rest: string) => (prefix ? `${prefix}.${rest}` : rest);

/** A constant expression (a variables file, a --var value), evaluated when first used. */
function constant(expr: Expr, scope: Scope, where: string): () => Value {
  let done = false;
  let value: Value = null;
  return () => {
    if (!done) {
      try {
        value = evaluate(expr, scope);
      } catch (e) {
        if (e instanceof EvalError) throw new UnusableInputError(`${where}: ${e.message}`);
        throw e;
      }
      done = true;
    }
    return value;
  };
}

/** A module instance: its names (`var`, `local`, `module`, resources), evaluated lazily. */
class Instance {
  readonly scope: Scope;
  private readonly vars = new Map<string, Value | typeof PENDING>();
  private readonly locals = new Map<string, Value | typeof PENDING>();
  private readonly outputs = new Map<string, Value | typeof PENDING>();
  private readonly keys = new Map<string, Keys | typeof PENDING>();
  private readonly calls = new Map<string, Children | null>();

  constructor(
    readonly loader: Loader,
    readonly config: ModuleConfig,
    /** `module.a[0].module.b`; "" for the root module. */
    readonly path: string,
    /** `module.a.module.b`. */
    readonly configPath: string,
    /** A value given for a variable by the caller (child modules), or undefined. */
    readonly input: ((name: string) => Value | undefined) | undefined,
    /** Real directories of the modules calling this one, for cycles. */
    readonly ancestors: { dir: string; path: string }[],
  ) {
    this.scope = new Scope(loader, new Map(), undefined, (name) => this.root(name));
  }

  private root(name: string): Value | undefined {
    switch (name) {
      case "var":
        return new Namespace("var", (n) => this.variable(n));
      case "local":
        return new Namespace("local", (n) => this.local(n));
      case "module":
        return new Namespace("module", (n) => this.moduleValue(n));
      case "data":
        return new Namespace(
          "data",
          (t) => new Namespace(`data.${t}`, (n) => this.resource(`data.${t}.${n}`)),
        );
      case "path":
        return new Map<string, Value>([
          ["module", slash(relative(this.loader.rootDir, this.config.dir)) || "."],
          ["root", "."],
          ["cwd", unknown],
        ]);
      case "terraform":
        return new Map<string, Value>([["workspace", "default"]]);
      case "self":
        return unknown;
      case "count":
      case "each":
        return undefined;
      default:
        return new Namespace(name, (n) => this.resource(`${name}.${n}`));
    }
  }

  private where(s: Span): string {
    return at(s);
  }

  variable(name: string): Value {
    const memo = this.vars.get(name);
    if (memo === PENDING) throw new EvalError(`var.${name} depends on itself`);
    if (memo !== undefined) return memo;
    const decl = this.config.variables.get(name);
    if (!decl) {
      this.loader.note(`${this.label()}var.${name} is not declared: its value is unknown`);
      return unknown;
    }
    this.vars.set(name, PENDING);
    let value: Value;
    try {
      const given = this.input ? this.input(name) : this.loader.rootValues.get(name)?.value();
      const empty = new Scope(this.loader, new Map());
      value = given !== undefined ? given : decl.default ? evaluate(decl.default, empty) : unknown;
      if (decl.type && value !== unknown) {
        try {
          value = convert(value, variableType(decl), (e) => evaluate(e, empty));
        } catch (e) {
          if (!(e instanceof EvalError)) throw e;
          this.loader.note(
            `${this.where(decl.at)}: the value of var.${name} does not fit its type (${e.message}): it is unknown`,
          );
          value = unknown;
        }
      }
    } catch (e) {
      this.vars.delete(name);
      throw e;
    }
    this.vars.set(name, value);
    return value;
  }

  local(name: string): Value {
    const memo = this.locals.get(name);
    if (memo === PENDING) throw new EvalError(`local.${name} depends on itself`);
    if (memo !== undefined) return memo;
    const decl = this.config.locals.get(name);
    if (!decl) {
      this.loader.note(`${this.label()}local.${name} is not declared: its value is unknown`);
      return unknown;
    }
    this.locals.set(name, PENDING);
    const value = this.value(decl.expr, this.scope, decl.at, `local.${name}`);
    this.locals.set(name, value);
    return value;
  }

  output(name: string): Value {
    const memo = this.outputs.get(name);
    if (memo === PENDING) throw new EvalError(`output ${name} of ${this.path} depends on itself`);
    if (memo !== undefined) return memo;
    const decl = this.config.outputs.get(name);
    if (!decl) throw new EvalError(`${this.path} has no output "${name}"`);
    this.outputs.set(name, PENDING);
    const value = decl.value ? this.value(decl.value, this.scope, decl.at, `output ${name}`) : null;
    this.outputs.set(name, value);
    return value;
  }

  private label(): string {
    return this.path ? `${this.path}: ` : "";
  }

  /** An expression's value; where Terraform would fail, unknown (with a note). */
  value(e: Expr, scope: Scope, span: Span, what: string): Value {
    try {
      return evaluate(e, scope);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      const where = err.at && err.at.line ? at(err.at) : this.where(span);
      this.loader.note(`${where}: ${what}: ${err.message}: the value is unknown`);
      return unknown;
    }
  }

  // ---- resources ----------------------------------------------------------------------------------

  resource(key: string): Value {
    const decl = this.config.resources.get(key);
    if (!decl) {
      // Not in this configuration (a typo, or a resource created elsewhere): unknown.
      this.loader.note(`${this.label()}${key} is not declared: references to it are unknown`);
      return unknown;
    }
    const k = this.keysOf(key, decl.count, decl.forEach, decl.at, decl.key);
    const address = prefixed(this.path, decl.key);
    const target = prefixed(this.configPath, decl.key);
    if (k.kind === "single") return new Ref(address, target);
    if (k.kind === "unknown") return new Instances(address, target, undefined, k.byEach);
    return new Instances(address, target, k.keys, k.kind === "each");
  }

  /** The instance keys of a resource or module call (count, for_each), evaluated once. */
  keysOf(
    id: string,
    count: Expr | undefined,
    forEach: Expr | undefined,
    span: Span,
    label: string,
  ): Keys {
    const memo = this.keys.get(id);
    if (memo === PENDING)
      throw new EvalError(`the count or for_each of ${label} depends on itself`);
    if (memo) return memo;
    if (!count && !forEach) return { kind: "single" };
    this.keys.set(id, PENDING);
    const where = `${this.where(span)}: ${prefixed(this.path, label)}`;
    let keys: Keys;
    try {
      keys = count
        ? countKeys(this.value(count, this.scope, span, `${label} count`), where)
        : eachKeys(this.value(forEach!, this.scope, span, `${label} for_each`), where);
    } catch (e) {
      this.keys.delete(id);
      throw e;
    }
    this.keys.set(id, keys);
    return keys;
  }

  /** The resource's instances, evaluated and added to the document. */
  expand(decl: ResourceDecl): void {
    const k = this.keysOf(decl.key, decl.count, decl.forEach, decl.at, decl.key);
    for (const { key, names } of instanceScopes(k)) {
      const address =
        prefixed(this.path, decl.key) +
        (key === undefined ? (k.kind === "single" ? "" : "[?]") : instanceKey(key));
      const scope = names.size ? this.scope.with(names) : this.scope;
      const evaluated = this.body(decl.body, scope, address);
      const values: Obj = {};
      const refs: Record<string, string[]> = {};
      for (const [attr, v] of evaluated) {
        const found = new Set<string>();
        Object.defineProperty(values, attr, {
          value: render(v, found, this.loader.budget),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        if (found.size) refs[attr] = [...found];
      }
      this.loader.addResource(
        {
          address,
          config_address: prefixed(this.configPath, decl.key),
          type: decl.type,
          name: decl.name,
          mode: decl.mode,
          values,
          refs,
          referenced_by: {},
          policies: policiesOf(values, decl.type),
          source: this.loader.location(decl.at, this.path, decl.construct),
        },
        decl,
      );
    }
  }

  /** A block body: attributes, then nested blocks by type (a list of their bodies). */
  body(body: Body, scope: Scope, address: string): Map<string, Value> {
    const out = new Map<string, Value>();
    for (const a of body.attributes) {
      let name = a.name;
      if (a.nameExpr) {
        const n = this.value(a.nameExpr, scope, a.at, `${address} attribute name`);
        if (typeof n !== "string") continue;
        name = n;
      }
      out.set(name, this.value(a.expr, scope, a.at, `${address}.${name}`));
    }
    const groups = new Map<string, Value[]>();
    const push = (type: string, v: Value) => {
      const list = groups.get(type);
      if (list) list.push(v);
      else groups.set(type, [v]);
    };
    for (const b of body.blocks) {
      if (b.type !== "dynamic") {
        push(b.type, this.body(b.body, scope, address));
        continue;
      }
      const [type] = b.labels;
      if (b.labels.length !== 1)
        throw new UnusableInputError(`${this.where(b.at)}: a dynamic block needs one label`);
      const forEach = attr(b.body, "for_each");
      const content = b.body.blocks.find((x) => x.type === "content");
      if (!forEach || !content)
        throw new UnusableInputError(
          `${this.where(b.at)}: dynamic "${type}" needs for_each and a content block`,
        );
      const iterator = iteratorName(attr(b.body, "iterator")?.expr) ?? type;
      const coll = this.value(forEach.expr, scope, forEach.at, `dynamic "${type}" for_each`);
      const pairs =
        coll instanceof Unknown || coll instanceof Ref || coll instanceof Parts
          ? undefined
          : iterate(coll);
      if (!pairs) {
        if (coll === null) continue;
        if (!(coll instanceof Unknown || coll instanceof Ref || coll instanceof Parts))
          throw new UnusableInputError(
            `${this.where(forEach.at)}: dynamic "${type}" for_each must be a list, set or map, not ${typeName(coll)}`,
          );
        // Blocks of an unknown number, with unknown content: the marker stands for them.
        push(type, unknown);
        continue;
      }
      if (pairs.length > MAX_INSTANCES)
        throw new UnusableInputError(
          `${this.where(b.at)}: dynamic "${type}" has ${pairs.length} blocks, over the cap of ${MAX_INSTANCES.toLocaleString("en-US")}`,
        );
      for (const [k, v] of pairs) {
        const it = new Map<string, Value>([
          ["key", k],
          ["value", v],
        ]);
        push(type, this.body(content.body, scope.with(new Map([[iterator, it]])), address));
      }
    }
    for (const [type, list] of groups) {
      const existing = out.get(type);
      out.set(type, Array.isArray(existing) ? [...existing, ...list] : list);
    }
    return out;
  }

  // ---- module calls -------------------------------------------------------------------------------

  /** The instances of a module call (null when its source is not available). */
  children(name: string): Children | null {
    if (this.calls.has(name)) return this.calls.get(name)!;
    const call = this.config.calls.get(name);
    if (!call) return null;
    this.calls.set(name, null);
    const callPath = prefixed(this.path, `module.${name}`);
    const dir = this.resolveSource(call);
    if (!dir) {
      this.loader.note(
        `${at(call.at)}: ${callPath}: its source is neither a local path nor downloaded (.terraform/modules/modules.json; run terraform init): its resources are not checked and its outputs are unknown`,
      );
      return null;
    }
    const real = safeRealpath(dir);
    const cycle = this.ancestors.findIndex((a) => a.dir === real);
    if (cycle >= 0 || real === safeRealpath(this.config.dir)) {
      const chain = [
        ...this.ancestors.slice(Math.max(cycle, 0)).map((a) => a.path || "(root)"),
        this.path || "(root)",
        callPath,
      ];
      throw new UnusableInputError(
        `${at(call.at)}: module cycle: ${chain.join(" → ")} uses a module it is part of`,
      );
    }
    const config = this.loader.readModule(dir);
    for (const a of call.args)
      if (!config.variables.has(a.name))
        this.loader.note(
          `${at(a.at)}: ${callPath}: argument "${a.name}" is not a variable of the module: it is ignored`,
        );
    const keys = this.keysOf(`module.${name}`, call.count, call.forEach, call.at, `module.${name}`);
    const children: Children = { call, keys, instances: [] };
    const ancestors = [...this.ancestors, { dir: safeRealpath(this.config.dir), path: this.path }];
    for (const { key, names } of instanceScopes(keys)) {
      this.loader.countModuleInstance(call.at);
      const scope = names.size ? this.scope.with(names) : this.scope;
      const suffix = key === undefined ? (keys.kind === "single" ? "" : "[?]") : instanceKey(key);
      const input = (v: string): Value | undefined => {
        const arg = call.args.find((a) => a.name === v);
        return arg ? this.value(arg.expr, scope, arg.at, `${callPath} argument ${v}`) : undefined;
      };
      const instance = new Instance(
        this.loader,
        config,
        callPath + suffix,
        prefixed(this.configPath, `module.${name}`),
        input,
        ancestors,
      );
      children.instances.push({ key, instance });
    }
    this.calls.set(name, children);
    return children;
  }

  private resolveSource(call: ModuleCallDecl): string | undefined {
    const s = call.source;
    if (s.startsWith("./") || s.startsWith("../") || s === "." || s === "..") {
      const dir = resolve(this.config.dir, s);
      if (!existsSync(dir) || !statSync(dir).isDirectory())
        throw new UnusableInputError(
          `${at(call.at)}: module "${call.name}": its source is not a directory`,
        );
      return dir;
    }
    const key = [...this.configPath.split(".").filter((_, i) => i % 2 === 1), call.name].join(".");
    return this.loader.downloaded(key);
  }

  moduleValue(name: string): Value {
    const children = this.children(name);
    if (!children) {
      if (!this.config.calls.has(name))
        this.loader.note(`${this.label()}module.${name} is not declared: its outputs are unknown`);
      return unknown;
    }
    const ns = (inst: Instance) =>
      new Namespace(
        `module.${name}`,
        (out) => inst.output(out),
        () => new Map([...inst.config.outputs.keys()].map((o) => [o, inst.output(o)])),
      );
    const k = children.keys;
    if (k.kind === "single") return ns(children.instances[0].instance);
    if (k.kind === "unknown") return unknown;
    if (k.kind === "count") return children.instances.map((c) => ns(c.instance));
    return new Map(children.instances.map((c) => [String(c.key), ns(c.instance)]));
  }
}

/** A variable's type constraint; Terraform JSON writes it as a string (`"list(string)"`). */
function variableType(decl: VariableDecl): TypeConstraint {
  const t = decl.type;
  if (t?.k === "lit" && typeof t.value === "string" && /[({]/.test(t.value))
    return typeConstraint(parseExpression(t.value, `${at(decl.at)}: variable "${decl.name}" type`));
  return typeConstraint(t);
}

function attr(body: Body, name: string): Attribute | undefined {
  return body.attributes.find((a) => a.name === name);
}

/** `iterator = name` (HCL) or `"iterator": "name"` (JSON). */
function iteratorName(e: Expr | undefined): string | undefined {
  if (!e) return undefined;
  if (e.k === "var") return e.name;
  if (e.k === "lit" && typeof e.value === "string") return e.value;
  return undefined;
}

function countKeys(v: Value, where: string): Keys {
  if (v instanceof Unknown || v instanceof Ref || v instanceof Parts)
    return { kind: "unknown", byEach: false };
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^\d+$/.test(v)) n = Number(v);
  else throw new UnusableInputError(`${where}: count must be a whole number, not ${typeName(v)}`);
  if (!Number.isInteger(n) || n < 0)
    throw new UnusableInputError(`${where}: count must be a whole number ≥ 0`);
  if (n > MAX_INSTANCES)
    throw new UnusableInputError(
      `${where}: count ${n} is over the cap of ${MAX_INSTANCES.toLocaleString("en-US")} instances`,
    );
  return { kind: "count", keys: Array.from({ length: n }, (_, i) => i) };
}

function eachKeys(v: Value, where: string): Keys {
  if (v instanceof Unknown || v instanceof Ref || v instanceof Parts)
    return { kind: "unknown", byEach: true };
  let entries: [string, Value][];
  if (isMap(v)) entries = [...v].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  else if (Array.isArray(v)) {
    // A set of strings: every element must be known (Terraform refuses unknown keys too).
    if (!v.every((x) => isWhollyKnown(x))) return { kind: "unknown", byEach: true };
    if (!v.every((x) => typeof x === "string"))
      throw new UnusableInputError(`${where}: for_each must be a map or a set of strings`);
    entries = [...new Set(v as string[])].sort().map((s) => [s, s]);
  } else
    throw new UnusableInputError(
      `${where}: for_each must be a map or a set of strings, not ${typeName(v)}`,
    );
  if (entries.length > MAX_INSTANCES)
    throw new UnusableInputError(
      `${where}: for_each has ${entries.length} elements, over the cap of ${MAX_INSTANCES.toLocaleString("en-US")} instances`,
    );
  return { kind: "each", keys: entries.map(([k]) => k), values: new Map(entries) };
}

/** Each instance's key and the names it adds (`count.index`, `each.key`, `each.value`). */
function instanceScopes(
  k: Keys,
): { key: number | string | undefined; names: Map<string, Value> }[] {
  switch (k.kind) {
    case "single":
      return [{ key: undefined, names: new Map() }];
    case "count":
      return k.keys.map((i) => ({ key: i, names: new Map([["count", new Map([["index", i]])]]) }));
    case "each":
      return k.keys.map((key) => ({
        key,
        names: new Map([
          [
            "each",
            new Map<string, Value>([
              ["key", key],
              ["value", k.values.get(key)!],
            ]),
          ],
        ]),
      }));
    case "unknown":
      // One instance stands for all of them, with an unknown key (see README).
      return [
        {
          key: undefined,
          names: k.byEach
            ? new Map([
                [
                  "each",
                  new Map<string, Value>([
                    ["key", unknown],
                    ["value", unknown],
                  ]),
                ],
              ])
            : new Map([["count", new Map<string, Value>([["index", unknown]])]]),
        },
      ];
  }
}

function run(loader: Loader, root: ModuleConfig): LoadedConfig {
  loader.walk(new Instance(loader, root, "", "", undefined, []));
  return { resources: loader.resources, inlineWaivers: loader.inlineWaivers, notes: loader.notes };
}

/** Input nested deeper than the stack allows is refused, not a crash. */
function guarded<T>(shown: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError)
      throw new UnusableInputError(`${shown}: the configuration is nested too deeply to read`);
    throw e;
  }
}

/**
 * A Terraform root module directory (or one `.tf` file): its `.tf`, `.tofu`, `.tf.json` and
 * `.tofu.json` files, its variables files, and the modules it calls.
 */
export function loadModuleDirectory(
  path: string,
  opts: LoadOptions = {},
  onlyFile?: string,
): LoadedConfig {
  const dir = onlyFile ? dirname(path) : path;
  return guarded(path, () => {
    const loader = new Loader(dir, resolve(dir), resolve(path));
    const root = loader.readModule(resolve(dir), onlyFile ? [basename(path)] : undefined);
    loader.loadRootValues(root, opts, !onlyFile, true);
    return run(loader, root);
  });
}

/**
 * One Terraform JSON document (cdktf's `cdk.tf.json`, or a plain `.tf.json`). `text` gives source
 * lines; `base` is what source locations are relative to (the checked path).
 */
export function loadJsonDocument(
  file: string,
  source: { text: string } | { doc: Json },
  base: string,
  opts: LoadOptions = {},
): LoadedConfig {
  const dir = dirname(resolve(file));
  const shown = slash(file);
  return guarded(shown, () => {
    const loader = new Loader(dirname(file), dir, resolve(base));
    const config = buildModule(dir, [readJsonConfig(shown, shown, source)]);
    loader.loadRootValues(config, opts, false, false);
    return run(loader, config);
  });
}

export { isJsonName };
