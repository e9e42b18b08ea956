import { readFileSync } from "node:fs";
import { RuleMeta } from "./catalog";
import { CheckResult, SEVERITY_ORDER, Summary, summarize } from "../../handlers/results/result";
import { Waiver } from "./waivers";

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
}

/** Does the gate fail? On any FAIL, and on any UNKNOWN unless `--unknown warn`. */
export function gateFails(t: Summary, mode: UnknownMode = "fail"): boolean {
  return t.failed > 0 || (mode === "fail" && t.unknown > 0);
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
        lines.push(`    ${x.status.padEnd(7)} ${x.rule.padEnd(15)} ${x.resource}`);
        lines.push(`            ${x.message}`);
        if (x.status === "FAIL" || x.status === "WARN")
          lines.push(`            fix: ${x.remediation}`);
      }
    }
  }
  for (const w of r.unusedWaivers)
    lines.push(
      `unused waiver: ${w.rule} ${w.resource}${w.stack ? ` (${w.stack})` : ""} matches no failure`,
    );
  const t = summarize(r.results);
  if (t.unknown > 0) lines.push(UNKNOWN_NOTE);
  lines.push(
    `${verdictLine(t, r.unknownMode)} (${stacks.length} stack${stacks.length === 1 ? "" : "s"}, ${r.catalog.length} rules)`,
  );
  return lines.join("\n") + "\n";
}

const SECURITY_SEVERITY: Record<string, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
};

/** SARIF 2.1.0 for GitHub code scanning: failures, warnings and (suppressed) waived results. */
export function toSarif(r: Report): string {
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
  const texts = new Map<string, string[]>();
  const lineOf = (file: string, resource: string) => {
    if (!texts.has(file)) {
      try {
        texts.set(file, readFileSync(file, "utf8").split("\n"));
      } catch {
        texts.set(file, []);
      }
    }
    const name = resource
      .split(".")
      .slice(resource.startsWith("data.") ? 2 : 1)
      .join(".");
    const lines = texts.get(file) as string[];
    const i = lines.findIndex(
      (l) => l.includes(`"${name}":`) || l.includes(`"address": "${resource}"`),
    );
    return i >= 0 ? i + 1 : 1;
  };
  const results = r.results
    .filter((x) => x.status !== "PASS")
    .map((x) => {
      const f = r.files[x.stack ?? ""];
      const uri = (f?.file ?? "unknown").replace(/\\/g, "/");
      return {
        ruleId: x.rule,
        ruleIndex: index.get(x.rule) ?? -1,
        level: x.status === "WARN" || x.status === "UNKNOWN" ? "warning" : "error",
        message: { text: `${x.resource}: ${x.message}` },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri },
              region: { startLine: f ? lineOf(f.file, x.resource) : 1 },
            },
            logicalLocations: [
              { fullyQualifiedName: `${x.stack}/${x.resource}`, kind: "resource" },
            ],
          },
        ],
        partialFingerprints: { "imgsecResource/v1": `${x.stack}/${x.rule}/${x.resource}` },
        ...(x.status === "WAIVED"
          ? { suppressions: [{ kind: "external", justification: x.message }] }
          : {}),
        properties: { status: x.status, controls: x.controls, severity: x.severity },
      };
    });
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "imgsec", semanticVersion: r.version, rules } }, results }],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

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
