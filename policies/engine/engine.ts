import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { loadPolicySync } from "@open-policy-agent/opa-wasm";
import { visit } from "jsonc-parser";
import { loadCatalog, RuleMeta } from "./catalog";
import { NormalizedStack, SourceLocation } from "./document";
import { projectRoot } from "./paths";
import { CheckResult } from "../../handlers/results/result";

export type LoadedPolicy = ReturnType<typeof loadPolicySync>;

/** One result as a compiled bundle's entrypoint returns it, before the catalog completes it. */
export interface RawResult {
  package: string;
  resource: string;
  /** WARN: a rule's named, reported relaxation (an exemption whose tag gives the reason). */
  status: "PASS" | "FAIL" | "UNKNOWN" | "WARN";
  message: string;
}

export type Params = Record<string, unknown>;

/** {type: [addresses]}: lets rules visit only the resources of one type. */
export function resourcesByType(stack: NormalizedStack): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of Object.values(stack.resources)) (out[r.type] ??= []).push(r.address);
  return out;
}

export function defaultParams(): Params {
  return JSON.parse(readFileSync(join(projectRoot(), "policies", "params.json"), "utf8")) as Params;
}

/** The folder holding the compiled bundles and their catalogs (policies/dist). */
export function distDir(): string {
  return join(projectRoot(), "policies", "dist");
}

/** A compiled bundle's WASM bytes and its rule catalog, read from `dist`. */
export function readBundle(
  dist: string,
  wasmFile: string,
  catalogFile: string,
): { wasm: Buffer; catalog: RuleMeta[] } {
  return {
    wasm: readFileSync(join(dist, wasmFile)),
    catalog: loadCatalog(join(dist, catalogFile)),
  };
}

/** The raw results of one evaluation of `entrypoint` (an empty list when it is undefined). */
export function evaluateEntrypoint(
  policy: LoadedPolicy,
  input: unknown,
  entrypoint: string,
): RawResult[] {
  const out = policy.evaluate(input, entrypoint) as { result: RawResult[] }[];
  return out[0]?.result ?? [];
}

/**
 * Raw results completed from the rule catalog (id, title, severity, controls, remediation; a
 * warning-level rule's FAIL becomes WARN), sorted so output is stable across runs and engines.
 * `stack` is set on every result when given, and left out otherwise.
 */
export function completeResults(
  raw: RawResult[],
  byPackage: Map<string, RuleMeta>,
  stack?: string,
): CheckResult[] {
  const results = raw.map((r): CheckResult => {
    const meta = byPackage.get(r.package);
    if (!meta)
      throw new Error(`rule package ${r.package} is missing from the catalog: rebuild policies`);
    return {
      rule: meta.id,
      title: meta.title,
      status: r.status === "FAIL" && meta.level === "warning" ? "WARN" : r.status,
      resource: r.resource,
      ...(stack === undefined ? {} : { stack }),
      severity: meta.severity,
      controls: meta.controls,
      message: r.message,
      remediation: meta.remediation,
    };
  });
  // opa-wasm returns sets in insertion order; sort so output is stable across runs and engines.
  return results.sort(
    (a, b) =>
      a.rule.localeCompare(b.rule) ||
      a.resource.localeCompare(b.resource) ||
      a.status.localeCompare(b.status) ||
      a.message.localeCompare(b.message),
  );
}

/**
 * The deployment gate: the compiled rules (policies/dist/deployment.wasm) evaluated in-process,
 * one stack per evaluation, with each result completed from the rule catalog.
 */
export class DeploymentGate {
  private readonly byPackage: Map<string, RuleMeta>;

  private constructor(
    private readonly policy: LoadedPolicy,
    readonly catalog: RuleMeta[],
  ) {
    this.byPackage = new Map(catalog.map((r) => [r.package, r]));
  }

  static load(dist = distDir()): DeploymentGate {
    const { wasm, catalog } = readBundle(dist, "deployment.wasm", "catalog.json");
    // 256 MiB of initial WASM memory (reserved, committed as touched): a large configuration grows
    // the heap in small steps otherwise, each a garbage collection (4.6 s to 0.5 s measured on 523
    // resources; peak RSS unchanged).
    return new DeploymentGate(loadPolicySync(wasm, { initial: 4096 }), catalog);
  }

  evaluate(stack: NormalizedStack, params: Params = defaultParams()): CheckResult[] {
    const raw = evaluateEntrypoint(this.policy, ruleInput(stack, params), "imgsec/main/results");
    return withSourceLocations(completeResults(raw, this.byPackage, stack.stack), stack);
  }
}

/**
 * The document the rules read for one stack, exactly as the gate builds it (and as `imgsec
 * normalize` prints it): `{stack, source, params, resources, by_type, evaluation_date}`.
 */
export function ruleInput(stack: NormalizedStack, params: Params, today = new Date()) {
  return {
    stack: stack.stack,
    source: stack.source,
    params,
    resources: stack.resources,
    by_type: resourcesByType(stack),
    // IMGSEC-LMB-007 compares runtime deprecation dates with it (WASM has no clock);
    // params.evaluation_date, when set, pins it for a reproducible run.
    evaluation_date: today.toISOString().slice(0, 10),
  };
}

// ---- locations ----------------------------------------------------------------------------------

/** Each result's location: a copy of its resource's `source`, where the loader gave one. */
export function withSourceLocations(results: CheckResult[], stack: NormalizedStack): CheckResult[] {
  for (const r of results) {
    const source = stack.resources[r.resource]?.source;
    if (source) r.location = locationOf(source);
  }
  return results;
}

/** A location with its fields in one order (file, lines, module, construct), absent ones left out. */
function locationOf(s: SourceLocation): NonNullable<CheckResult["location"]> {
  return {
    file: s.file,
    ...(s.startLine === undefined ? {} : { startLine: s.startLine }),
    ...(s.endLine === undefined ? {} : { endLine: s.endLine }),
    ...(s.module ? { module: s.module } : {}),
    ...(s.construct ? { construct: s.construct } : {}),
  };
}

/** "module.a.module.b[0].aws_s3_bucket.x" → "module.a.module.b[0]"; "" at the root. */
export function moduleOf(address: string): string {
  const m = /^((?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)/.exec(address);
  return m ? m[1].replace(/\.$/, "") : "";
}

/** Where one resource is written in a JSON file: 1-based lines, its exact text, the cdktf construct. */
export interface JsonBlock {
  startLine: number;
  endLine: number;
  text: string;
  construct?: string;
}

/**
 * The files a check read, each read and indexed at most once, for locations and fingerprints. A
 * location is a convenience: a file that cannot be read or parsed gives none, never an error.
 */
export class SourceIndex {
  private readonly texts = new Map<string, string | undefined>();
  private readonly blocks = new Map<string, Map<string, JsonSpan>>();
  private readonly oneLine = new Map<string, boolean>();

  text(file: string): string | undefined {
    if (!this.texts.has(file)) {
      let text: string | undefined;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        text = undefined;
      }
      this.texts.set(file, text);
    }
    return this.texts.get(file);
  }

  /** Is the file one line (a trailing newline aside)? */
  isOneLine(file: string): boolean {
    let one = this.oneLine.get(file);
    if (one === undefined) {
      const text = this.text(file);
      const nl = text?.indexOf("\n") ?? 0;
      one = text !== undefined && (nl < 0 || nl === text.length - 1);
      this.oneLine.set(file, one);
    }
    return one;
  }

  /** Lines `start` to `end` (1-based, inclusive) of a file, or undefined. */
  lines(file: string, start: number, end = start): string | undefined {
    const text = this.text(file);
    if (text === undefined) return undefined;
    return text
      .split("\n")
      .slice(start - 1, end)
      .join("\n");
  }

  /**
   * The block of `address` in a JSON file: a resource or data source of a Terraform JSON or cdktf
   * document (object or array form at every level), or a plan's planned value (or, for a plan
   * without planned values, its resource change).
   */
  jsonBlock(file: string, address: string): JsonBlock | undefined {
    let blocks = this.blocks.get(file);
    if (!blocks) {
      const text = this.text(file);
      blocks = text === undefined ? new Map<string, JsonSpan>() : indexJsonBlocks(text);
      this.blocks.set(file, blocks);
    }
    const span = blocks.get(address);
    if (!span) return undefined;
    return {
      startLine: span.startLine + 1,
      endLine: span.endLine + 1,
      text: (this.text(file) as string).slice(span.start, span.end),
      ...(span.construct ? { construct: span.construct } : {}),
    };
  }
}

/** A block's character range and 0-based lines. */
interface JsonSpan {
  start: number;
  end: number;
  startLine: number;
  endLine: number;
  construct?: string;
}

/** An open object or array while scanning: the property names leading to it (array levels left
 * out, so Terraform JSON's array form has the same path as its object form). */
interface Frame {
  keys: string[];
  array: boolean;
  key?: string;
  start: number;
  startLine: number;
  /** A block being measured: a configuration block, a planned value, a resource change. */
  kind?: "config" | "planned" | "change";
  address?: string;
  deposed?: boolean;
}

const isPlannedList = (keys: string[]) =>
  keys.length >= 3 &&
  keys[0] === "planned_values" &&
  keys[1] === "root_module" &&
  keys[keys.length - 1] === "resources" &&
  keys.slice(2, -1).every((k) => k === "child_modules");

/**
 * Every resource's block in a JSON document, by address, in one streaming pass (jsonc-parser's
 * scanner: no tree is built, and subtrees that cannot hold a block are skipped).
 */
function indexJsonBlocks(text: string): Map<string, JsonSpan> {
  const config = new Map<string, JsonSpan>();
  const planned = new Map<string, JsonSpan>();
  const changes = new Map<string, JsonSpan>();
  const constructs = new Map<string, string>();
  const frames: Frame[] = [];
  const configAddress = (keys: string[]) =>
    `${keys[0] === "data" ? "data." : ""}${keys[1]}.${keys[2]}`;

  const open = (offset: number, startLine: number, array: boolean): boolean => {
    const parent = frames[frames.length - 1];
    const keys = !parent ? [] : parent.array ? parent.keys : [...parent.keys, parent.key ?? ""];
    const f: Frame = { keys, array, start: offset, startLine };
    frames.push(f);
    if (parent?.kind === "planned" || parent?.kind === "change") return false;
    if (keys.length === 0) return true;
    const top = keys[0];
    if (top === "resource" || top === "data") {
      if (keys.length === 3 && !(parent?.keys.length === 3)) {
        f.kind = "config";
        f.address = configAddress(keys);
      }
      // Inside a block only its cdktf metadata ("//") is of interest.
      return keys.length <= 3 || keys[3] === "//";
    }
    if (top === "planned_values") {
      if (!array && parent?.array && isPlannedList(keys)) f.kind = "planned";
      return true;
    }
    if (top === "resource_changes") {
      if (!array && parent?.array && keys.length === 1) f.kind = "change";
      return keys.length === 1;
    }
    return false;
  };
  const close = (offset: number, length: number, endLine: number) => {
    const f = frames.pop();
    if (!f?.kind || !f.address) return;
    const span = { start: f.start, end: offset + length, startLine: f.startLine, endLine };
    const target = f.kind === "config" ? config : f.kind === "planned" ? planned : changes;
    if (f.kind === "change" && f.deposed) return;
    if (!target.has(f.address)) target.set(f.address, span);
  };
  visit(
    text,
    {
      onObjectBegin: (offset, _l, line) => open(offset, line, false),
      onArrayBegin: (offset, _l, line) => open(offset, line, true),
      onObjectEnd: close,
      onArrayEnd: close,
      onObjectProperty: (name) => {
        const f = frames[frames.length - 1];
        if (f) f.key = name;
      },
      onLiteralValue: (value: unknown) => {
        const f = frames[frames.length - 1];
        if (!f || f.array) return;
        if (f.kind === "planned" || f.kind === "change") {
          if (f.key === "address" && typeof value === "string") f.address = value;
          if (f.key === "deposed" && value !== null) f.deposed = true;
        } else if (
          f.key === "path" &&
          typeof value === "string" &&
          f.keys.length === 5 &&
          f.keys[3] === "//" &&
          f.keys[4] === "metadata"
        )
          constructs.set(configAddress(f.keys), value);
      },
    },
    { disallowComments: true },
  );
  for (const [address, construct] of constructs) {
    const span = config.get(address);
    if (span) span.construct = construct;
  }
  for (const [address, span] of planned) config.set(address, span);
  for (const [address, span] of changes) if (!config.has(address)) config.set(address, span);
  return config;
}

/**
 * Fills in the best location known for results whose resource the loader did not place: the
 * stack's JSON file (a cdktf cdk.tf.json, a *.tf.json, a plan) with the resource's lines and, for
 * cdktf, its construct path; the module path from the address. `rootDir` is the checked folder
 * (or the checked file's folder): file names are relative to it.
 */
export function locateResults(
  results: CheckResult[],
  stack: NormalizedStack,
  rootDir: string,
  index: SourceIndex,
): CheckResult[] {
  const stackFile = resolve(stack.file);
  let candidates: string[];
  try {
    candidates = statSync(stackFile).isDirectory()
      ? readdirSync(stackFile)
          .filter((f) => /\.(tf|tofu)\.json$/.test(f))
          .sort()
          .reverse() // Terraform merges a folder's files: the last definition wins.
          .map((f) => join(stackFile, f))
      : [stackFile];
  } catch {
    candidates = [];
  }
  const names = new Map<string, string>();
  const nameOf = (file: string) => {
    let n = names.get(file);
    if (n === undefined) names.set(file, (n = relative(rootDir, file).replace(/\\/g, "/")));
    return n;
  };
  for (const r of results) {
    if (r.location?.startLine !== undefined) continue;
    const files = r.location ? [resolve(rootDir, r.location.file)] : candidates;
    let file: string | undefined;
    let block: JsonBlock | undefined;
    for (const f of files) {
      if (!/\.json$/i.test(f)) continue;
      // `terraform show -json` writes one line: no need to find the block to know its line.
      if (files.length === 1 && stack.resources[r.resource] && index.isOneLine(f)) {
        block = { startLine: 1, endLine: 1, text: "" };
        file = f;
        break;
      }
      block = index.jsonBlock(f, r.resource);
      if (block) {
        file = f;
        break;
      }
    }
    const name = r.location?.file ?? file ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (name === undefined) continue;
    const module = r.location?.module ?? moduleOf(r.resource);
    const construct = r.location?.construct ?? block?.construct;
    r.location = {
      file: r.location?.file ?? nameOf(name),
      ...(block ? { startLine: block.startLine, endLine: block.endLine } : {}),
      ...(module ? { module } : {}),
      ...(construct ? { construct } : {}),
    };
  }
  return results;
}
