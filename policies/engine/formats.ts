import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { RuleMeta } from "./catalog";
import { SourceIndex } from "./engine";
import {
  CheckResult,
  SEVERITY_ORDER,
  Severity,
  Summary,
  summarize,
} from "../../handlers/results/result";
import {
  inlineExpiry,
  InlineWaiverState,
  ScopedInlineWaiver,
  Waiver,
  waiverPlace,
} from "./waivers";

/**
 * What an UNKNOWN result does to the gate: `fail` (the default: a HIPAA gate must not pass what it
 * cannot see) or `warn` (reported and counted, exit 0: an explicit, reported relaxation).
 */
export type UnknownMode = "fail" | "warn";

export interface Report {
  results: CheckResult[];
  /** Absent means the strict default, `fail`. */
  unknownMode?: UnknownMode;
  /** stack name → the file it was read from (for SARIF locations and text headers). */
  files: Record<string, { file: string; source: string }>;
  catalog: RuleMeta[];
  unusedWaivers: Waiver[];
  version: string;
  /**
   * The checked folder (the checked file's folder, for a file): result locations are relative to
   * it. SARIF and GitLab paths are made relative to the repository holding it. Default: the
   * current directory.
   */
  rootDir?: string;
  /** The inline waivers found in the configuration and what became of each; absent when none. */
  inlineWaivers?: {
    applied: boolean;
    waivers: { waiver: ScopedInlineWaiver; state: InlineWaiverState }[];
  };
  /** Results an inline waiver turned WAIVED (SARIF: suppressed in source). */
  waivedInline?: Map<CheckResult, ScopedInlineWaiver>;
  /** Reads the checked files for fingerprints; one is made when absent. */
  sources?: SourceIndex;
}

/** Does the gate fail? On any FAIL, and on any UNKNOWN unless `--unknown warn`. */
export function gateFails(t: Summary, mode: UnknownMode = "fail"): boolean {
  return t.failed > 0 || (mode === "fail" && t.unknown > 0);
}

/** An inline waiver as JSON reports it: its expiry is a date or "no expiry". */
function inlineWaiverJson(w: ScopedInlineWaiver, state: InlineWaiverState) {
  return {
    rule: w.rule,
    address: w.address,
    stack: w.stack,
    file: w.file,
    line: w.line,
    reason: w.reason,
    expires: w.until ?? "no expiry",
    state,
  };
}

export function toJson(r: Report): string {
  const summary: Summary = summarize(r.results);
  const mode = r.unknownMode ?? "fail";
  const doc: Record<string, unknown> = {
    verdict: gateFails(summary, mode) ? "FAILED" : "PASSED",
    unknown: mode,
    summary,
    results: r.results,
  };
  if (r.unusedWaivers.length) doc.unusedWaivers = r.unusedWaivers;
  if (r.inlineWaivers) {
    doc.inlineWaivers = {
      applied: r.inlineWaivers.applied,
      found: r.inlineWaivers.waivers.length,
      waivers: r.inlineWaivers.waivers.map((x) => inlineWaiverJson(x.waiver, x.state)),
    };
  }
  return JSON.stringify(doc, null, 2) + "\n";
}

/** "PASSED: 12 passed, 0 failed, 0 unknown, 0 warnings, 0 waived": the gate's verdict in one line;
 * under `--unknown warn` it says that unknown results did not count. */
export function verdictLine(t: Summary, mode: UnknownMode = "fail"): string {
  const relaxed =
    mode === "warn" && t.unknown > 0
      ? " (--unknown warn: UNKNOWN results did not fail the gate)"
      : "";
  return `${gateFails(t, mode) ? "FAILED" : "PASSED"}: ${counts(t)}${relaxed}`;
}

const counts = (s: Summary) =>
  `${s.passed} passed, ${s.failed} failed, ${s.unknown} unknown, ${s.warned} warnings, ${s.waived} waived`;

const UNKNOWN_NOTE =
  "UNKNOWN: the verdict depends on a value the gate cannot see (a variable, a local, a function result, a plan value known only after apply). Give it a literal value or a reference to a resource in the same configuration, check a plan where it is known, or waive it with a justification.";

/** "  (main.tf:12)", "  (cdk.tf.json:40, construct imgsec-dev/raw/bucket)", or "" when no line is known. */
/** `infra/main.tf:12`: the file as the user can open it from where they ran the check. */
function whereText(x: CheckResult, rootDir?: string): string {
  const l = x.location;
  if (!l) return "";
  const parts: string[] = [];
  // Relative to where the check ran when the file is under it, else to the checked folder.
  const fromCwd = rootDir ? relative(process.cwd(), resolve(rootDir, l.file)) : "";
  const file = fromCwd && !fromCwd.startsWith("..") && !isAbsolute(fromCwd) ? fromCwd : l.file;
  if (l.startLine !== undefined) parts.push(`${file}:${l.startLine}`);
  if (l.construct) parts.push(`construct ${l.construct}`);
  return parts.length ? `  (${parts.join(", ")})` : "";
}

/** The lines that say what became of the inline waivers: ignored, or unused. */
function inlineWaiverLines(r: Report): string[] {
  const iw = r.inlineWaivers;
  if (!iw || iw.waivers.length === 0) return [];
  if (!iw.applied) {
    const n = iw.waivers.length;
    return [
      `--no-inline-waivers: ${n} inline waiver${n === 1 ? "" : "s"} in the configuration ignored (not applied)`,
    ];
  }
  return iw.waivers
    .filter((x) => x.state === "unused")
    .map(
      ({ waiver: w }) =>
        `unused inline waiver: ${w.rule} ${w.address} at ${waiverPlace(w)} (${w.stack}, ${inlineExpiry(w)}) matches no failure`,
    );
}

export function toText(r: Report, opts: { showPassed?: boolean } = {}): string {
  const lines: string[] = [];
  const stacks = [...new Set(r.results.map((x) => x.stack ?? ""))];
  for (const name of Object.keys(r.files)) if (!stacks.includes(name)) stacks.push(name);
  for (const stack of stacks) {
    const rs = r.results.filter((x) => (x.stack ?? "") === stack);
    const s = summarize(rs);
    const f = r.files[stack];
    lines.push(`${stack}${f ? `  (${f.source}: ${f.file})` : ""}: ${counts(s)}`);
    for (const sev of SEVERITY_ORDER) {
      const shown = rs.filter(
        (x) => x.severity === sev && (opts.showPassed || x.status !== "PASS"),
      );
      if (!shown.length) continue;
      lines.push(`  ${sev.toUpperCase()}`);
      for (const x of shown) {
        // Seven columns: UNKNOWN is the longest status.
        lines.push(
          `    ${x.status.padEnd(7)} ${x.rule.padEnd(15)} ${x.resource}${whereText(x, r.rootDir)}`,
        );
        lines.push(`            ${x.message}`);
        if (x.status === "FAIL" || x.status === "WARN")
          lines.push(`            fix: ${x.remediation}`);
        // What an auditor asks first: which HIPAA specification a finding touches.
        if (x.status !== "PASS" && x.controls.length)
          lines.push(`            HIPAA: 45 CFR ${x.controls.join(", ")}`);
      }
    }
  }
  for (const w of r.unusedWaivers)
    lines.push(
      `unused waiver: ${w.rule} ${w.resource}${w.stack ? ` (${w.stack})` : ""} matches no failure`,
    );
  lines.push(...inlineWaiverLines(r));
  const t = summarize(r.results);
  if (t.unknown > 0) lines.push(UNKNOWN_NOTE);
  lines.push(
    `${verdictLine(t, r.unknownMode)} (${stacks.length} stack${stacks.length === 1 ? "" : "s"}, ${r.catalog.length} rules)`,
  );
  return lines.join("\n") + "\n";
}

// ---- paths and fingerprints shared by SARIF and GitLab ------------------------------------------

/**
 * The repository root holding `dir`: the nearest folder upwards with a `.git` entry (a folder, or
 * a file in worktrees and submodules). No git binary is needed.
 */
export function findRepositoryRoot(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, ".git"))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** Where each result is, as a path relative to the repository root and its lines. */
class Locator {
  private readonly rootDir: string;
  private readonly base: string;
  readonly sources: SourceIndex;

  constructor(private readonly report: Report) {
    this.rootDir = resolve(report.rootDir ?? ".");
    this.base = findRepositoryRoot(this.rootDir) ?? this.rootDir;
    this.sources = report.sources ?? new SourceIndex();
  }

  /** The result's file, absolute; the stack's file when the result has no location. */
  private absolute(x: CheckResult): string {
    if (x.location) return resolve(this.rootDir, x.location.file);
    return resolve(this.report.files[x.stack ?? ""]?.file ?? this.rootDir);
  }

  /** The file as a forward-slash path relative to the repository root (or the checked folder). */
  path(x: CheckResult): string {
    const abs = this.absolute(x);
    const rel = relative(this.base, abs).replace(/\\/g, "/");
    return rel === "" ? "." : isAbsolute(rel) ? abs : rel;
  }

  lines(x: CheckResult): { startLine: number; endLine: number } {
    const start = x.location?.startLine ?? 1;
    return { startLine: start, endLine: Math.max(start, x.location?.endLine ?? start) };
  }

  /**
   * The fingerprint of a finding, stable when lines move: SHA-256 of the rule id, the resource
   * address and the resource's block with every run of whitespace made one space (its exact JSON
   * text in a JSON file, which may be one line; its lines otherwise). Line numbers are not part of
   * it, so inserting lines above a block or re-indenting it keeps the fingerprint; changing the
   * block gives a new one. Without a known block the hash covers rule, address and stack.
   */
  fingerprint(x: CheckResult): string {
    let block: string | undefined;
    const l = x.location;
    if (l?.startLine !== undefined) {
      const abs = this.absolute(x);
      block = /\.json$/i.test(abs) ? this.sources.jsonBlock(abs, x.resource)?.text : undefined;
      block ??= this.sources.lines(abs, l.startLine, l.endLine ?? l.startLine);
    }
    const content =
      block !== undefined ? block.replace(/\s+/g, " ").trim() : `stack ${x.stack ?? ""}`;
    return createHash("sha256").update(`${x.rule}\n${x.resource}\n${content}`).digest("hex");
  }
}

/** Results a report lists (not PASS), each with its occurrence among findings that share a
 * fingerprint (a rule may report one resource more than once). */
function findings(
  r: Report,
  locator: Locator,
  keep: (x: CheckResult) => boolean,
): { x: CheckResult; hash: string; occurrence: number }[] {
  const seen = new Map<string, number>();
  return r.results.filter(keep).map((x) => {
    const hash = locator.fingerprint(x);
    const key = `${locator.path(x)}\n${hash}`;
    const occurrence = (seen.get(key) ?? 0) + 1;
    seen.set(key, occurrence);
    return { x, hash, occurrence };
  });
}

// ---- SARIF --------------------------------------------------------------------------------------

/** As GitHub code scanning reads `security-severity`: critical > 9.0, high 7.0–8.9, medium
 * 4.0–6.9, low 0.1–3.9. */
export const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "7.5",
  medium: "5.0",
  low: "2.0",
};

/**
 * SARIF 2.1.0 for GitHub code scanning: failures, warnings, UNKNOWN (as warnings) and waived results
 * (suppressed: in source for inline waivers, external for the waivers file). Each result points
 * at its file relative to the repository root (`%SRCROOT%`) and its block's whole region.
 */
export function toSarif(r: Report): string {
  const locator = new Locator(r);
  const rules = r.catalog.map((m) => ({
    id: m.id,
    name: m.package.split(".").slice(2).join("/"),
    shortDescription: { text: m.title },
    fullDescription: { text: m.description || m.title },
    help: { text: `${m.remediation}\nHIPAA: ${m.controls.join(", ")}` },
    defaultConfiguration: { level: m.level === "warning" ? "warning" : "error" },
    properties: {
      tags: ["security", "hipaa", ...m.controls.map((c) => `HIPAA ${c}`)],
      "security-severity": SECURITY_SEVERITY[m.severity],
      precision: "high",
    },
  }));
  const index = new Map(r.catalog.map((m, i) => [m.id, i]));
  const results = findings(r, locator, (x) => x.status !== "PASS").map(
    ({ x, hash, occurrence }) => {
      const { startLine, endLine } = locator.lines(x);
      const logical: Record<string, string>[] = [
        {
          name: x.resource,
          fullyQualifiedName: x.stack ? `${x.stack}/${x.resource}` : x.resource,
          kind: "resource",
        },
      ];
      if (x.location?.module)
        logical.push({ fullyQualifiedName: x.location.module, kind: "module" });
      if (x.location?.construct)
        logical.push({ fullyQualifiedName: x.location.construct, kind: "object" });
      const inline = r.waivedInline?.get(x);
      const suppressions =
        x.status !== "WAIVED"
          ? undefined
          : inline
            ? [
                {
                  kind: "inSource",
                  status: "accepted",
                  justification: inline.reason,
                  location: {
                    physicalLocation: {
                      artifactLocation: {
                        uri: locator.path({ ...x, location: { file: inline.file } }),
                        uriBaseId: "%SRCROOT%",
                      },
                      region: { startLine: inline.line },
                    },
                  },
                },
              ]
            : [{ kind: "external", status: "accepted", justification: x.message }];
      return {
        ruleId: x.rule,
        ruleIndex: index.get(x.rule) ?? -1,
        level: x.status === "WARN" || x.status === "UNKNOWN" ? "warning" : "error",
        message: { text: `${x.resource}: ${x.message}` },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: locator.path(x), uriBaseId: "%SRCROOT%" },
              region: { startLine, endLine },
            },
            logicalLocations: logical,
          },
        ],
        partialFingerprints: { primaryLocationLineHash: `${hash.slice(0, 16)}:${occurrence}` },
        ...(suppressions ? { suppressions } : {}),
        properties: { status: x.status, controls: x.controls, severity: x.severity },
      };
    },
  );
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "imgsec", semanticVersion: r.version, rules } },
        originalUriBaseIds: {
          "%SRCROOT%": {
            description: {
              text: "The repository root (the checked folder when it is not in a git repository).",
            },
          },
        },
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

// ---- GitLab Code Quality ------------------------------------------------------------------------

/** GitLab's scale, as Trivy maps the same four severities onto it. */
const GITLAB_SEVERITY: Record<Severity, string> = {
  critical: "critical",
  high: "major",
  medium: "minor",
  low: "info",
};

/**
 * GitLab Code Quality (a Code Climate subset, `artifacts:reports:codequality`): one issue per
 * FAIL, UNKNOWN and WARN result. A result that does not fail the gate (WARN, and UNKNOWN under
 * `--unknown warn`) is `info`. Fingerprints are SHA-256 over the path and the SARIF recipe, unique
 * per report.
 */
export function toGitlab(r: Report): string {
  const locator = new Locator(r);
  const mode = r.unknownMode ?? "fail";
  const issues = findings(
    r,
    locator,
    (x) => x.status === "FAIL" || x.status === "UNKNOWN" || x.status === "WARN",
  ).map(({ x, hash, occurrence }) => {
    const path = locator.path(x);
    const { startLine, endLine } = locator.lines(x);
    const failsGate = x.status === "FAIL" || (x.status === "UNKNOWN" && mode === "fail");
    return {
      type: "issue",
      check_name: x.rule,
      description: `${x.status === "FAIL" ? "" : `${x.status}: `}${x.resource}: ${x.message}`,
      content: {
        body: `${x.title}\n\nHIPAA: ${x.controls.join(", ")}\n\nFix: ${x.remediation}`,
      },
      categories: ["Security"],
      fingerprint: createHash("sha256").update(`${path}\n${hash}\n${occurrence}`).digest("hex"),
      severity: failsGate ? GITLAB_SEVERITY[x.severity] : "info",
      location: { path, lines: { begin: startLine, end: endLine } },
    };
  });
  return JSON.stringify(issues, null, 2) + "\n";
}

// ---- JUnit --------------------------------------------------------------------------------------

const xml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string,
  );

/** JUnit XML: one testsuite per stack, one testcase per (rule, resource); WAIVED and UNKNOWN
 * results are skipped test cases with the reason. */
export function toJunit(r: Report): string {
  const stacks = [...new Set(r.results.map((x) => x.stack ?? ""))];
  const t = summarize(r.results);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="imgsec check" tests="${r.results.length}" failures="${t.failed}" skipped="${t.waived + t.unknown}">`,
  ];
  for (const stack of stacks) {
    const rs = r.results.filter((x) => (x.stack ?? "") === stack);
    const s = summarize(rs);
    out.push(
      `  <testsuite name="${xml(stack)}" tests="${rs.length}" failures="${s.failed}" errors="0" skipped="${s.waived + s.unknown}">`,
    );
    for (const x of rs) {
      const open = `    <testcase classname="${xml(`${stack}.${x.rule}`)}" name="${xml(x.resource)}">`;
      if (x.status === "FAIL") {
        out.push(
          open,
          `      <failure message="${xml(x.message)}" type="${x.severity}">${xml(`${x.title}\nHIPAA: ${x.controls.join(", ")}\nfix: ${x.remediation}`)}</failure>`,
          "    </testcase>",
        );
      } else if (x.status === "UNKNOWN") {
        out.push(
          open,
          `      <skipped message="${xml(`UNKNOWN: ${x.message}`)}"/>`,
          "    </testcase>",
        );
      } else if (x.status === "WAIVED") {
        out.push(open, `      <skipped message="${xml(x.message)}"/>`, "    </testcase>");
      } else if (x.status === "WARN") {
        out.push(
          open,
          `      <system-out>${xml(`WARNING: ${x.message}`)}</system-out>`,
          "    </testcase>",
        );
      } else {
        out.push(open.replace(/>$/, "/>"));
      }
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}
