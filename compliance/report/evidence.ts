/**
 * Gathers the report's evidence, each kind by running the verifier that owns it (never by trusting
 * a file's own claims): the deployment gate over stacks or plans, audit log verification (with the
 * de-identification runs it records read in the same pass), and package verification. Every input
 * is listed with its SHA-256; every result is kept as counts per rule plus the results that are
 * not PASS, so a million records or ten thousand packages never sit in memory as results.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { CheckResult, Status } from "../../handlers/results/result";
import type { AuditRecord } from "../../handlers/audit/schema";
import { CID_7050_MEANINGS, methodCodesOf, profileOf } from "./methods";
import type { DeidRun, EvidenceInput, EvidenceItem, EvidenceKind } from "./model";

export type Counts = Record<Status, number>;
export const zeroCounts = (): Counts => ({ PASS: 0, FAIL: 0, WARN: 0, WAIVED: 0, UNKNOWN: 0 });

/** One verifier's evidence: its item, the inputs it read, and its results counted per rule. */
export interface Gathered {
  inputs: EvidenceInput[];
  item: EvidenceItem;
  /** rule -> status counts, over every result (PASS included). */
  counts: Map<string, Counts>;
}

/** A period as inclusive dates (YYYY-MM-DD). */
export interface Period {
  from: string;
  to: string;
}
export const inPeriod = (date: string, p?: Period): boolean =>
  !p || (date.slice(0, 10) >= p.from && date.slice(0, 10) <= p.to);

/** Counts every result per rule; keeps the ones that are not PASS. */
export class ResultTally {
  readonly counts = new Map<string, Counts>();
  readonly findings: CheckResult[] = [];
  add(results: CheckResult[]): void {
    for (const r of results) {
      let c = this.counts.get(r.rule);
      if (!c) this.counts.set(r.rule, (c = zeroCounts()));
      c[r.status]++;
      if (r.status !== "PASS") this.findings.push(r);
    }
  }
  total(): Counts {
    const t = zeroCounts();
    for (const c of this.counts.values()) for (const s of Object.keys(t) as Status[]) t[s] += c[s];
    return t;
  }
}

/** The worst status of a set of counts: FAIL, then UNKNOWN, WAIVED, WARN, PASS. */
export function worst(c: Counts): Status {
  for (const s of ["FAIL", "UNKNOWN", "WAIVED", "WARN"] as Status[]) if (c[s] > 0) return s;
  return "PASS";
}

const CHUNK = 1 << 20;

/** SHA-256 of a file (or of its first `limit` bytes), read in chunks. */
export function sha256File(path: string, limit?: number): { sha256: string; bytes: number } {
  const fd = openSync(path, "r");
  try {
    const h = createHash("sha256");
    const buf = Buffer.allocUnsafe(CHUNK);
    let total = 0;
    for (;;) {
      const want = limit === undefined ? CHUNK : Math.min(CHUNK, limit - total);
      if (want <= 0) break;
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      total += n;
    }
    return { sha256: h.digest("hex"), bytes: total };
  } finally {
    closeSync(fd);
  }
}

/** A folder's digest: SHA-256 over its listed files, as `sha256sum` prints them, sorted by name. */
export function folderDigest(files: { name: string; sha256: string }[]): string {
  const lines = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`);
  return createHash("sha256").update(lines.join("")).digest("hex");
}

export const rel = (root: string, file: string) => relative(root, file).split(sep).join("/");

// --- the deployment gate ---------------------------------------------------------------------

export async function gatherIac(paths: string[], now: Date): Promise<Gathered[]> {
  const { DeploymentGate, defaultParams } = await import("../../policies/engine/engine");
  const { loadStacks } = await import("../../policies/engine/normalize");
  const gate = DeploymentGate.load();
  const params = { ...defaultParams(), evaluation_date: now.toISOString().slice(0, 10) };
  return paths.map((path, i) => {
    const stacks = loadStacks(path);
    const tally = new ResultTally();
    for (const s of stacks) tally.add(gate.evaluate(s, params));
    const id = `iac-${i + 1}`;
    const isDir = statSync(path).isDirectory();
    const files = isDir
      ? configFiles(path).map((f) => ({ name: rel(path, f), ...sha256File(f) }))
      : [];
    const input: EvidenceInput = isDir
      ? {
          id,
          kind: "iac",
          name: path,
          sha256: folderDigest(files),
          bytes: files.reduce((n, f) => n + f.bytes, 0),
          files,
        }
      : { id, kind: "iac", name: path, ...sha256File(path) };
    const t = tally.total();
    const sources = [...new Set(stacks.map((s) => s.source))].join(", ");
    return {
      inputs: [input],
      counts: tally.counts,
      item: {
        id,
        kind: "iac",
        method: "EXAMINE",
        title: `Deployment gate over ${path}`,
        inputs: [id],
        status: worst(t),
        summary: `${stacks.length} stack(s) (${sources}), ${gate.catalog.length} rules: ${t.PASS} passed, ${t.FAIL} failed, ${t.UNKNOWN} unknown, ${t.WAIVED} waived, ${t.WARN} warnings`,
        results: tally.findings,
        facts: {
          stacks: stacks.length,
          rules: gate.catalog.length,
          evaluationDate: params.evaluation_date,
          passed: t.PASS,
          failed: t.FAIL,
          unknown: t.UNKNOWN,
          waived: t.WAIVED,
          warned: t.WARN,
        },
      },
    };
  });
}

/**
 * Every file of a checked folder that can shape what the gate sees (configuration, variables,
 * cdktf's manifest and stacks, downloaded modules), sorted: the folder's evidence.
 */
export function configFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== ".git" && e.name !== "node_modules" && e.name !== "providers") walk(p);
      } else if (e.isFile() && CONFIG_FILE.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}
const CONFIG_FILE = /\.(tf|tofu|tfvars|json)$/;

// --- the audit log and the de-identification runs it records ---------------------------------

export interface AuditLogFlags {
  pubkey?: string;
  keys?: string;
  kmsKey?: string;
  allowOpen?: boolean;
}

class RunCollector {
  private readonly runs = new Map<string, DeidRun & { optionBits?: number; masked: boolean }>();
  inPeriod = 0;
  outsidePeriod = 0;
  /** The pseudonym modes de-identified objects were given (164.514(c)). */
  readonly modes = new Set<string>();
  constructor(private readonly period?: Period) {}

  event(r: Readonly<AuditRecord>): void {
    const within = inPeriod(r.ts, this.period);
    if (within) this.inPeriod++;
    else this.outsidePeriod++;
    if (r.type !== "event" || r.op !== "deid") return;
    const d = r.details;
    const policy = typeof d.policy === "string" ? d.policy : "unrecorded";
    let run = this.runs.get(policy);
    if (!run) {
      const bits = typeof d.optionBits === "number" ? d.optionBits : undefined;
      run = {
        policy,
        profile: "unrecorded",
        options: [],
        methods: [],
        counts: {},
        datasets: [],
        first: "",
        last: "",
        outsidePeriod: 0,
        optionBits: bits,
        masked: false,
      };
      this.runs.set(policy, run);
    }
    // First and last span every event of the run; counts only those in the period.
    if (!run.first || r.ts < run.first) run.first = r.ts;
    if (r.ts > run.last) run.last = r.ts;
    if (!within) {
      run.outsidePeriod++;
      return;
    }
    const status = typeof d.status === "string" ? d.status : r.outcome;
    run.counts[status] = (run.counts[status] ?? 0) + 1;
    if (d.masked === true) run.masked = true;
    if (d.pseudonyms === "keyed-hmac" || d.pseudonyms === "random-mapping")
      this.modes.add(d.pseudonyms);
    if (typeof d.dataset === "string" && !run.datasets.includes(d.dataset))
      run.datasets.push(d.dataset);
  }

  result(): DeidRun[] {
    return [...this.runs.values()]
      .map(({ optionBits, masked, ...run }) => {
        const named = profileOf(optionBits, run.policy);
        const methods = named ? methodCodesOf(named.options, masked) : [];
        return {
          ...run,
          profile: named?.profile ?? run.profile,
          options: named?.options ?? [],
          methods: methods.map((code) => ({ code, meaning: CID_7050_MEANINGS[code] ?? code })),
          datasets: run.datasets.sort(),
        };
      })
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  }
}

export async function gatherAuditLog(
  log: string,
  flags: AuditLogFlags,
  period?: Period,
): Promise<{ audit: Gathered; runs?: Gathered; deidRuns: DeidRun[]; modes: string[] }> {
  const { runAuditVerify, isPrefixReport } = await import("../../cli/audit-run");
  const collector = new RunCollector(period);
  const s3 = log.startsWith("s3://");
  // An append-only log may grow while we read: the digest covers the bytes there when we began,
  // which the verification read too (it reads to the end), and `report verify` re-hashes exactly
  // that prefix, so appending later (this very report's record) does not break the evidence.
  const size = s3 ? 0 : statSync(log).size;
  const report = await runAuditVerify(log, { ...flags, s3: false }, (r) => collector.event(r));
  const tally = new ResultTally();
  tally.add(report.results);
  let input: EvidenceInput;
  if (s3 && isPrefixReport(report)) {
    // Segments are immutable under Object Lock: the verified logs' heads name what was read.
    const heads = report.logs
      .map((l) => `${l.log ?? "?"} ${l.head?.seq ?? "-"} ${l.head?.hash ?? "-"}\n`)
      .sort()
      .join("");
    input = {
      id: "audit-log",
      kind: "audit-log",
      name: log,
      sha256: createHash("sha256").update(heads).digest("hex"),
      bytes: 0,
    };
  } else {
    input = {
      id: "audit-log",
      kind: "audit-log",
      name: log,
      ...sha256File(log, size),
      appendOnly: true,
    };
  }
  const t = tally.total();
  const hmac = report.checked.hmac ? "HMACs checked" : "HMACs not checked (no audit key given)";
  const audit: Gathered = {
    inputs: [input],
    counts: tally.counts,
    item: {
      id: "audit-log",
      kind: "audit-log",
      method: "TEST",
      title: `Audit log verification of ${log}`,
      inputs: ["audit-log"],
      status: report.intact ? worst(t) : "FAIL",
      summary: report.intact
        ? `${report.counts.records} records (${report.counts.events} events, ${report.counts.checkpoints} checkpoints): chain intact, checkpoint signatures ${report.checked.signatures ? "verified" : "not checked"}, ${hmac}`
        : `NOT INTACT: ${report.firstBadMessage ?? "see the failing results"}`,
      results: tally.findings,
      facts: {
        records: report.counts.records,
        events: report.counts.events,
        checkpoints: report.counts.checkpoints,
        hmacChecked: report.checked.hmac,
        signaturesChecked: report.checked.signatures,
        intact: report.intact,
        ...(report.log ? { log: report.log } : {}),
        ...(report.head ? { headSeq: report.head.seq } : {}),
        ...(period
          ? { recordsInPeriod: collector.inPeriod, recordsOutsidePeriod: collector.outsidePeriod }
          : {}),
      },
    },
  };
  const deidRuns = collector.result();
  const modes = [...collector.modes].sort();
  const counted = deidRuns.reduce(
    (n, r) => n + Object.values(r.counts).reduce((a, b) => a + b, 0),
    0,
  );
  if (deidRuns.length === 0) return { audit, deidRuns, modes };
  const unknownPolicy = deidRuns.filter((r) => r.profile === "unrecorded").length;
  const runs: Gathered = {
    inputs: [],
    counts: new Map(),
    item: {
      id: "deid-runs",
      kind: "deid-runs",
      method: "EXAMINE",
      title: "De-identification runs recorded in the audit log",
      inputs: ["audit-log"],
      // Evidence drawn from a log that is not intact is not evidence.
      status: !report.intact ? "FAIL" : counted === 0 || unknownPolicy > 0 ? "WARN" : "PASS",
      summary: `${deidRuns.length} policy(ies), ${counted} de-identification events in the period${
        unknownPolicy ? `, ${unknownPolicy} under a policy this imgsec does not know` : ""
      }`,
      results: [],
      facts: { policies: deidRuns.length, events: counted, unknownPolicies: unknownPolicy },
    },
  };
  return { audit, runs, deidRuns, modes };
}

// --- packages ----------------------------------------------------------------------------------

export interface PackageFlags {
  /** Verify this many packages per folder, chosen at random (seeded); default all. */
  sample?: number;
  /** The sample's seed (hex); default random, stated in the report so the sample can be redrawn. */
  seed?: string;
  acceptPolicy?: string[];
}

const PACKAGE_EXT = ".imgsec";
// Package names made by imgsec are the new SOP Instance UID: safe to show. Any other name may be
// something a person typed (a patient's name): shown by position instead.
const SAFE_NAME = /^(?:[^/]+\/)*[0-9.]{1,64}\.imgsec$/;

function listPackages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(PACKAGE_EXT)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** A reproducible sample: the `k` names with the smallest HMAC under the seed. */
export function samplePackages(names: string[], k: number, seed: string): string[] {
  if (k >= names.length) return names;
  const key = Buffer.from(seed, "hex");
  return names
    .map((n) => ({ n, h: createHmac("sha256", key).update(n).digest("hex") }))
    .sort((a, b) => (a.h < b.h ? -1 : 1))
    .slice(0, k)
    .map((x) => x.n)
    .sort();
}

export async function gatherPackages(dirs: string[], flags: PackageFlags): Promise<Gathered[]> {
  const { PackageGate } = await import("../../policies/engine/package-gate");
  const { inspectPackage } = await import("../../handlers/crypto/message");
  const { PackageFormatError } = await import("../../handlers/crypto/message");
  const { acceptedPolicies } = await import("../../cli/packages");
  const gate = await PackageGate.load();
  const params = { accepted_policy_hashes: await acceptedPolicies(flags.acceptPolicy) };
  const out: Gathered[] = [];
  for (const [i, dir] of dirs.entries()) {
    const id = `packages-${i + 1}`;
    const all = listPackages(dir);
    const seed =
      flags.sample !== undefined ? (flags.seed ?? randomBytes(16).toString("hex")) : undefined;
    const chosen = seed !== undefined ? samplePackages(all, flags.sample as number, seed) : all;
    const tally = new ResultTally();
    const files: { name: string; sha256: string; bytes: number }[] = [];
    let passed = 0;
    let failed = 0;
    let unusable = 0;
    for (const [k, file] of chosen.entries()) {
      const r = rel(dir, file);
      const name = SAFE_NAME.test(r) ? r : `#${k + 1}`;
      try {
        const { document } = await inspectPackage(file, name);
        const results = gate.evaluate(document, params);
        tally.add(results);
        if (results.some((x) => x.status === "FAIL")) failed++;
        else passed++;
        files.push({ name, sha256: document.digest.replace(/^sha256:/, ""), bytes: document.size });
      } catch (e) {
        if (!(e instanceof PackageFormatError) && !(e as NodeJS.ErrnoException).code) throw e;
        unusable++;
        // A file that cannot be read has no digest to list: it is counted, never given a fake one.
        const digest = tryDigest(file);
        if (digest) files.push({ name, ...digest });
      }
    }
    const t = tally.total();
    const how =
      seed !== undefined && chosen.length < all.length
        ? `a random sample of ${chosen.length} of ${all.length} (seed ${seed})`
        : `all ${all.length}`;
    out.push({
      inputs: [
        {
          id,
          kind: "packages",
          name: dir,
          sha256: folderDigest(files),
          bytes: files.reduce((n, f) => n + f.bytes, 0),
          files,
        },
      ],
      counts: tally.counts,
      item: {
        id,
        kind: "packages",
        method: "TEST",
        title: `Package verification of ${dir}`,
        inputs: [id],
        status: all.length === 0 || unusable > 0 || failed > 0 ? "FAIL" : worst(t),
        summary:
          all.length === 0
            ? "no packages found"
            : `${how} package(s) verified without a key: ${passed} passed, ${failed} failed, ${unusable} unusable`,
        results: tally.findings,
        facts: {
          packages: all.length,
          verified: chosen.length,
          sampled: chosen.length < all.length,
          ...(seed !== undefined ? { seed } : {}),
          passed,
          failed,
          unusable,
        },
      },
    });
  }
  return out;
}

function tryDigest(file: string): { sha256: string; bytes: number } | undefined {
  try {
    return sha256File(file);
  } catch {
    return undefined;
  }
}

export const KIND_ORDER: EvidenceKind[] = [
  "iac",
  "audit-log",
  "deid-runs",
  "packages",
  "attestations",
];
