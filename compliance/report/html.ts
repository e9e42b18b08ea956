/**
 * The compliance report as one self-contained HTML5 file: an auditor opens it from a USB stick, in
 * any browser, with JavaScript off, and prints it to PDF one section a page.
 *
 * - Nothing loads: inline CSS only, no script, no font, image or link to a resource; a CSP meta tag
 *   (`default-src 'none'`) stops anything that slipped in. The one chart is inline SVG.
 * - Everything from the model is untrusted text: it reaches the page only through `markup```, whose
 *   interpolations are escaped by `escapeHtml` (the one escape function) unless they are markup
 *   that `markup``` itself built.
 * - Filtering by status is CSS only (radio inputs and `:checked ~` selectors, screen media only), so
 *   every specification is shown by default, without JavaScript, and when printing.
 * - Deterministic: no clock, no randomness, the model's order; the same report gives the same bytes.
 * - Statuses are words first; colour only repeats them (WCAG AA contrast, legible in black and white).
 *
 * It only renders: every judgement (a specification's status, pass or fail) is made in build.ts.
 */
import type { Status } from "../../handlers/results/result";
import {
  Attestation,
  ComplianceReport,
  DeidRun,
  EvidenceInput,
  EvidenceItem,
  RuleEvidence,
  SafeHarborRow,
  SPEC_STATUSES,
  SpecResult,
  SpecStatus,
} from "./model";

// --- escaping and markup ---------------------------------------------------------------------

/** Markup built by `markup```: the only thing inserted into the page unescaped. */
class Html {
  constructor(readonly text: string) {}
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for an element's content or a quoted attribute value. Control characters and the
 * Unicode bidirectional controls (which can make text read differently from what it holds, as in
 * "Trojan Source") are shown as visible code points instead.
 */
export function escapeHtml(value: string): string {
  return value
    .replace(
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g,
      (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}>`,
    )
    .replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join("");
  return escapeHtml(String(part));
}

/**
 * Tagged template: the literal parts are markup, every interpolation is escaped (or is Html).
 * Named `markup`, not `html`: Prettier reformats templates tagged `html`, which would change the
 * output's bytes with the formatter's version.
 */
function markup(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < parts.length; i++) out += render(parts[i]) + strings[i + 1];
  return new Html(out);
}

// --- words, colours and anchors ---------------------------------------------------------------

interface Look {
  label: string;
  /** What it means, for the summary's legend. */
  meaning?: string;
  fg: string;
  bg: string;
  /** Border style in black-and-white print, so statuses differ without colour too. */
  print: string;
}

/** Each specification status: its words, and the colours that repeat them (contrast >= 4.5:1). */
export const SPEC_STATUS_LOOK: Record<SpecStatus, Look> = {
  satisfied: {
    label: "Satisfied",
    meaning:
      "Every automated check that bears on it passed, its runtime evidence was verified, and the organization's part (if any) is attested.",
    fg: "#ffffff",
    bg: "#116329",
    print: "2px solid",
  },
  "not-satisfied": {
    label: "Not satisfied",
    meaning: "Some evidence failed.",
    fg: "#ffffff",
    bg: "#b42318",
    print: "3px double",
  },
  "partially-satisfied": {
    label: "Partially satisfied",
    meaning:
      "Some evidence passed, but part is missing, could not be judged (UNKNOWN), is waived, or the organization's part is not attested.",
    fg: "#1f2328",
    bg: "#ffd866",
    print: "2px dashed",
  },
  "not-tested": {
    label: "Not tested",
    meaning: "Automated evidence supports it, and none of that evidence was given.",
    fg: "#ffffff",
    bg: "#57606a",
    print: "2px dotted",
  },
  attested: {
    label: "Attested",
    meaning: "Organizational only (no tool can check it): the organization's answer is given.",
    fg: "#ffffff",
    bg: "#0a4b91",
    print: "1px solid",
  },
  "not-attested": {
    label: "Not attested",
    meaning: "Organizational only (no tool can check it): the organization's answer is missing.",
    fg: "#ffffff",
    bg: "#8f3f00",
    print: "1px dashed",
  },
  "not-applicable": {
    label: "Not applicable",
    meaning: "The organization attested that it does not apply, with a rationale.",
    fg: "#1f2328",
    bg: "#eaeef2",
    print: "1px dotted",
  },
};

const EVIDENCE_STATUSES = ["PASS", "FAIL", "WARN", "WAIVED", "UNKNOWN", "MISSING"] as const;
type EvidenceStatus = Status | "MISSING";

/** Each evidence status (a verifier's result, or MISSING runtime evidence). */
export const EVIDENCE_STATUS_LOOK: Record<EvidenceStatus, Look> = {
  PASS: { label: "PASS", fg: "#ffffff", bg: "#116329", print: "2px solid" },
  FAIL: { label: "FAIL", fg: "#ffffff", bg: "#b42318", print: "3px double" },
  WARN: { label: "WARN", fg: "#1f2328", bg: "#ffd866", print: "2px dashed" },
  WAIVED: { label: "WAIVED", fg: "#ffffff", bg: "#57606a", print: "1px solid" },
  UNKNOWN: { label: "UNKNOWN", fg: "#ffffff", bg: "#6639ba", print: "2px dotted" },
  MISSING: { label: "MISSING", fg: "#1f2328", bg: "#ffffff", print: "1px dashed" },
};

const KIND_LABEL: Record<string, string> = {
  standard: "Standard",
  required: "Required",
  addressable: "Addressable",
};

const DECISION_LABEL: Record<Attestation["decision"], string> = {
  implemented: "Implemented",
  alternative: "Alternative measure",
  "not-reasonable": "Not reasonable and appropriate",
  "not-applicable": "Not applicable",
};

const EVIDENCE_KIND_LABEL: Record<string, string> = {
  iac: "deployment gate (--iac)",
  "audit-log": "audit log (--audit-log)",
  packages: "packages (--packages)",
  "deid-runs": "de-identification runs (audit log)",
  attestations: "attestations (--attestations)",
};

const METHOD_MEANING: Record<string, string> = {
  TEST: "run by a verifier",
  EXAMINE: "documents examined",
  INTERVIEW: "the organization's answers",
};

/** The Security Rule's sections, in the regulation's order. */
const CFR_SECTIONS = [
  { prefix: "164.308", title: "Administrative safeguards" },
  { prefix: "164.310", title: "Physical safeguards" },
  { prefix: "164.312", title: "Technical safeguards" },
  { prefix: "164.314", title: "Organizational requirements" },
  { prefix: "164.316", title: "Policies and procedures and documentation requirements" },
];

/** PS3.15 Table E.1-1 action codes, for the Safe Harbor table's legend. */
const ACTION_LEGEND: [string, string][] = [
  ["D", "replaced with a non-zero-length dummy value"],
  ["Z", "replaced with a zero-length or dummy value"],
  ["X", "removed"],
  ["K", "kept (not an identifier)"],
  ["C", "cleaned: identifying text removed, the rest kept"],
  ["U", "replaced with a new UID, consistently within the set"],
];

function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s === "" ? "x" : s;
}

/**
 * Fragment ids for the model's items, made once in document order. A citation's id is `spec-` and
 * its slug (`spec-164-312-b`), stable across reports; a second item with the same slug gets `-2`,
 * so ids stay unique, and links by key go to the first. The page's own ids (`summary`,
 * `h-evidence`, `filter-all`, `section-164-308`...) never take these prefixes.
 */
class Anchors {
  private readonly used = new Set<string>();
  private readonly byKey = new Map<string, string>();
  private readonly byItem = new Map<object, string>();

  add(prefix: "input" | "evidence" | "spec", key: string, item: object): void {
    const base = `${prefix}-${slug(key)}`;
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
    this.used.add(id);
    this.byItem.set(item, id);
    if (!this.byKey.has(`${prefix} ${key}`)) this.byKey.set(`${prefix} ${key}`, id);
  }

  /** The id of an item of the model. */
  of(item: object): string {
    const id = this.byItem.get(item);
    if (id === undefined) throw new Error("internal: an item of the report has no anchor");
    return id;
  }

  /** The id of the first item with this key (for links), if there is one. */
  get(prefix: "input" | "evidence" | "spec", key: string): string | undefined {
    return this.byKey.get(`${prefix} ${key}`);
  }
}

/** Stable fragment id of a specification, e.g. `spec-164-312-b` for 164.312(b). */
export function specAnchor(citation: string): string {
  return `spec-${slug(citation)}`;
}

// --- small pieces -------------------------------------------------------------------------------

/** Integers with thousands separators (en-US), without relying on the runtime's ICU data. */
function count(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function fact(value: number | string | boolean): string {
  if (typeof value === "number") return count(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  return value;
}

function specClass(status: string): string {
  return (SPEC_STATUSES as string[]).includes(status) ? `s-${status}` : "s-other";
}

function specBadge(status: SpecStatus): Html {
  const look = SPEC_STATUS_LOOK[status];
  return markup`<span class="badge ${specClass(status)}">${look ? look.label : status}</span>`;
}

function evidenceClass(status: string): string {
  return (EVIDENCE_STATUSES as readonly string[]).includes(status) ? `e-${status}` : "e-other";
}

function evidenceBadge(status: EvidenceStatus): Html {
  return markup`<span class="badge ${evidenceClass(status)}">${status}</span>`;
}

function dl(rows: [string, Part][]): Html {
  return markup`<dl class="facts">${rows.map(([k, v]) => markup`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function linkTo(anchor: string | undefined, text: string): Html {
  return anchor ? markup`<a href="#${anchor}">${text}</a>` : markup`${text}`;
}

/** Items joined by a separator, e.g. codes by ", ". */
function joined<T>(items: T[], separator: string, each: (item: T) => Part): Html {
  return markup`${items.map((item, i) => markup`${i > 0 ? separator : ""}${each(item)}`)}`;
}

// --- the document ---------------------------------------------------------------------------------

interface Context {
  report: ComplianceReport;
  anchors: Anchors;
}

/** The compliance report as one self-contained HTML5 document. */
export function renderHtml(report: ComplianceReport): string {
  const anchors = new Anchors();
  for (const input of report.inputs) anchors.add("input", input.id, input);
  for (const item of report.evidence) anchors.add("evidence", item.id, item);
  for (const spec of report.specifications) anchors.add("spec", spec.citation, spec);
  const ctx: Context = { report, anchors };
  const groups = groupBySection(report.specifications);

  const title = `HIPAA Security Rule compliance report, ${report.generated}`;
  const doc = markup`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="generator" content="${report.tool.name} ${report.tool.version}">
<title>${title}</title>
<style>${new Html(stylesheet())}</style>
</head>
<body>
${titleBlock(report)}
${contents(groups)}
<main>
${summarySection(ctx)}
${evidenceSection(ctx)}
${deidSection(report.deidRuns)}
${specificationsSection(ctx, groups)}
${safeHarborSection(report)}
${problemsSection(report.attestationProblems)}
</main>
</body>
</html>
`;
  return doc.text;
}

function titleBlock(report: ComplianceReport): Html {
  const { summary } = report;
  const failed = summary.failed.length;
  const lacking = summary.requiredLacking.length;
  const verdict = summary.pass
    ? markup`<strong>Passed</strong> (exit status 0): no specification failed, and every required specification has evidence.`
    : markup`<strong>Did not pass</strong> (exit status 1): ${count(failed)} ${failed === 1 ? "specification is" : "specifications are"} not satisfied, and ${count(lacking)} required ${lacking === 1 ? "specification lacks" : "specifications lack"} evidence.`;
  const period = report.period
    ? markup`${report.period.from} to ${report.period.to} (inclusive); evidence outside it is shown apart`
    : markup`not given: all evidence is counted`;
  return markup`<header class="title" id="title">
<p class="kicker">45 CFR Part 164, Subpart C</p>
<h1>HIPAA Security Rule compliance report</h1>
<p class="verdict ${summary.pass ? "verdict-pass" : "verdict-fail"}">${verdict}</p>
${dl([
  ["Tool", `${report.tool.name} ${report.tool.version}`],
  ["Generated", report.generated],
  ["Audit period", period],
  ["Report schema", report.schema],
])}
</header>`;
}

interface SectionGroup {
  id: string;
  prefix: string;
  title: string;
  specs: SpecResult[];
}

function groupBySection(specs: SpecResult[]): SectionGroup[] {
  const groups: SectionGroup[] = CFR_SECTIONS.map((s) => ({
    id: `section-${slug(s.prefix)}`,
    prefix: s.prefix,
    title: s.title,
    specs: [],
  }));
  // A citation outside the five sections is still shown, under its own heading.
  const other: SectionGroup = {
    id: "section-other",
    prefix: "",
    title: "Other citations",
    specs: [],
  };
  for (const spec of specs) {
    const group = groups.find(
      (g) => spec.citation === g.prefix || spec.citation.startsWith(`${g.prefix}(`),
    );
    (group ?? other).specs.push(spec);
  }
  return other.specs.length > 0 ? [...groups, other] : groups;
}

function contents(groups: SectionGroup[]): Html {
  return markup`<nav class="contents" id="contents" aria-label="Contents">
<h2>Contents</h2>
<ol>
<li><a href="#summary">Summary</a></li>
<li><a href="#evidence">Evidence</a></li>
<li><a href="#deid">De-identification runs</a></li>
<li><a href="#specifications">Specifications</a><ol>${groups.map(
    (g) => markup`<li><a href="#${g.id}">${g.prefix} ${g.title}</a></li>`,
  )}</ol></li>
<li><a href="#safe-harbor">Safe Harbor, 164.514(b)(2), and re-identification, 164.514(c)</a></li>
<li><a href="#attestation-problems">Attestation problems</a></li>
</ol>
</nav>`;
}

// --- summary ------------------------------------------------------------------------------------

function summarySection(ctx: Context): Html {
  const { report } = ctx;
  const { byStatus } = report.summary;
  const total = SPEC_STATUSES.reduce((n, s) => n + (byStatus[s] ?? 0), 0);
  const citationList = (citations: string[], none: string) =>
    citations.length === 0
      ? markup`<p class="none">${none}</p>`
      : markup`<ul class="citations">${citations.map((c) => {
          const spec = report.specifications.find((s) => s.citation === c);
          return markup`<li>${linkTo(ctx.anchors.get("spec", c), c)}${spec ? markup` ${spec.title} ${specBadge(spec.status)}` : ""}</li>`;
        })}</ul>`;
  return markup`<section id="summary" aria-labelledby="h-summary">
<h2 id="h-summary">Summary</h2>
<div class="summary-grid">
<table class="counts">
<caption>Specifications by status</caption>
<thead><tr><th scope="col">Status</th><th scope="col" class="num">Specifications</th><th scope="col">Meaning</th></tr></thead>
<tbody>${SPEC_STATUSES.map(
    (s) =>
      markup`<tr><th scope="row">${specBadge(s)}</th><td class="num" data-summary-count="${s}">${count(byStatus[s] ?? 0)}</td><td>${SPEC_STATUS_LOOK[s].meaning}</td></tr>`,
  )}</tbody>
<tfoot><tr><th scope="row">Total</th><td class="num" data-summary-count="total">${count(total)}</td><td></td></tr></tfoot>
</table>
${chart(byStatus)}
</div>
<h3>Failed: specifications not satisfied (${count(report.summary.failed.length)})</h3>
${citationList(report.summary.failed, "None: no evidence failed.")}
<h3>Required specifications lacking evidence (${count(report.summary.requiredLacking.length)})</h3>
${citationList(report.summary.requiredLacking, "None: every required specification has evidence or an attestation.")}
</section>`;
}

/** A horizontal bar per status, labelled with its words and count (inline SVG, no script). */
function chart(byStatus: Record<SpecStatus, number>): Html {
  const labelWidth = 150;
  const barSpace = 330;
  const rowHeight = 26;
  const width = labelWidth + barSpace + 50;
  const height = SPEC_STATUSES.length * rowHeight + 4;
  const max = Math.max(1, ...SPEC_STATUSES.map((s) => byStatus[s] ?? 0));
  const description = SPEC_STATUSES.map(
    (s) => `${SPEC_STATUS_LOOK[s].label}: ${count(byStatus[s] ?? 0)}`,
  ).join(", ");
  const rows = SPEC_STATUSES.map((s, i) => {
    const n = byStatus[s] ?? 0;
    const bar = Math.round((n / max) * barSpace * 10) / 10;
    const y = i * rowHeight + 2;
    const look = SPEC_STATUS_LOOK[s];
    return markup`<g><text x="0" y="${y + 17}">${look.label}</text>${
      bar > 0
        ? markup`<rect x="${labelWidth}" y="${y + 3}" width="${bar}" height="18" fill="${look.bg}" stroke="#1f2328" stroke-width="1"></rect>`
        : ""
    }<text x="${labelWidth + bar + 6}" y="${y + 17}" data-chart-count="${s}">${count(n)}</text></g>`;
  });
  return markup`<figure class="chart">
<svg role="img" aria-labelledby="chart-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
<title id="chart-title">Specifications by status: ${description}</title>
${rows}
</svg>
<figcaption>Specifications by status (the table repeats these counts)</figcaption>
</figure>`;
}

// --- evidence -----------------------------------------------------------------------------------

/** Folders with more files than this list them in a collapsed <details> (open it to read). */
const FILES_SHOWN_OPEN = 50;

function evidenceSection(ctx: Context): Html {
  const { report } = ctx;
  return markup`<section id="evidence" aria-labelledby="h-evidence">
<h2 id="h-evidence">Evidence</h2>
<h3>Inputs</h3>
<p>Every file or folder the report was made from, as named on the command line, with its SHA-256 (a folder's digest is that of its sorted list of relative names and digests).</p>
${
  report.inputs.length === 0
    ? markup`<p class="none">No evidence input was given.</p>`
    : markup`<table class="inputs">
<thead><tr><th scope="col">Input</th><th scope="col">Kind</th><th scope="col">Name</th><th scope="col" class="num">Bytes</th><th scope="col">SHA-256</th></tr></thead>
<tbody>${report.inputs.map((input) => inputRow(ctx, input))}</tbody>
</table>`
}
<h3>What the verifiers found</h3>
${
  report.evidence.length === 0
    ? markup`<p class="none">No evidence was gathered.</p>`
    : report.evidence.map((item) => evidenceItem(ctx, item))
}
</section>`;
}

function inputRow(ctx: Context, input: EvidenceInput): Html {
  const files = input.files ?? [];
  const fileTable = markup`<table class="files">
<thead><tr><th scope="col">File</th><th scope="col" class="num">Bytes</th><th scope="col">SHA-256</th></tr></thead>
<tbody>${files.map(
    (f) =>
      markup`<tr><td><code>${f.name}</code></td><td class="num">${count(f.bytes)}</td><td><code class="digest">${f.sha256}</code></td></tr>`,
  )}</tbody>
</table>`;
  const listing =
    files.length === 0
      ? ""
      : files.length <= FILES_SHOWN_OPEN
        ? fileTable
        : markup`<details><summary>${count(files.length)} files, with their SHA-256</summary>${fileTable}</details>`;
  return markup`<tr id="${ctx.anchors.of(input)}"><td><code>${input.id}</code></td><td>${EVIDENCE_KIND_LABEL[input.kind] ?? input.kind}</td><td><code>${input.name}</code>${listing}</td><td class="num">${count(input.bytes)}</td><td><code class="digest">${input.sha256}</code></td></tr>`;
}

function evidenceItem(ctx: Context, item: EvidenceItem): Html {
  const byResult = EVIDENCE_STATUSES.filter((s) => s !== "MISSING")
    .map((s) => [s, item.results.filter((r) => r.status === s).length] as const)
    .filter(([, n]) => n > 0);
  const facts = Object.entries(item.facts);
  return markup`<article class="evidence-item" id="${ctx.anchors.of(item)}">
<h4>${item.title} ${evidenceBadge(item.status)}</h4>
${dl([
  [
    "Method",
    markup`<span class="method">${item.method}</span> (${METHOD_MEANING[item.method] ?? ""})`,
  ],
  ["Kind", EVIDENCE_KIND_LABEL[item.kind] ?? item.kind],
  ["From", joined(item.inputs, ", ", (input) => linkTo(ctx.anchors.get("input", input), input))],
  ["Found", item.summary],
  [
    "Results",
    byResult.length === 0 ? "none" : joined(byResult, ", ", ([s, n]) => `${count(n)} ${s}`),
  ],
])}
${
  facts.length === 0
    ? ""
    : markup`<table class="item-facts"><caption>Facts</caption><tbody>${facts.map(
        ([k, v]) => markup`<tr><th scope="row">${k}</th><td>${fact(v)}</td></tr>`,
      )}</tbody></table>`
}
</article>`;
}

// --- de-identification runs ---------------------------------------------------------------------

function deidSection(runs: DeidRun[]): Html {
  return markup`<section id="deid" aria-labelledby="h-deid">
<h2 id="h-deid">De-identification runs</h2>
<p>The de-identification runs recorded in the audit log, grouped by policy (profile data and options, by digest). Events outside the audit period are counted apart.</p>
${runs.length === 0 ? markup`<p class="none">No de-identification run is recorded in the evidence given.</p>` : runs.map(deidRun)}
</section>`;
}

function deidRun(run: DeidRun, index: number): Html {
  const outcomes = Object.entries(run.counts);
  const total = outcomes.reduce((n, [, v]) => n + v, 0);
  return markup`<article class="deid-run" id="deid-run-${index + 1}">
<h3>Run ${count(index + 1)}: profile ${run.profile}</h3>
${dl([
  ["Policy (SHA-256)", markup`<code class="digest">${run.policy}</code>`],
  ["Profile", run.profile],
  [
    "Options",
    run.options.length === 0 ? "none" : joined(run.options, ", ", (o) => markup`<code>${o}</code>`),
  ],
  ["Datasets", run.datasets.length === 0 ? "none" : run.datasets.join(", ")],
  ["First event", run.first],
  ["Last event", run.last],
  ["Outside the audit period", `${count(run.outsidePeriod)} events (not in the counts below)`],
])}
<div class="two">
<table class="methods">
<caption>De-identification methods recorded (CID 7050)</caption>
<thead><tr><th scope="col">Code</th><th scope="col">Meaning</th></tr></thead>
<tbody>${
    run.methods.length === 0
      ? markup`<tr><td colspan="2">none recorded</td></tr>`
      : run.methods.map(
          (m) => markup`<tr><td><code>${m.code}</code></td><td>${m.meaning}</td></tr>`,
        )
  }</tbody>
</table>
<table class="outcomes">
<caption>Objects by outcome</caption>
<thead><tr><th scope="col">Outcome</th><th scope="col" class="num">Count</th></tr></thead>
<tbody>${outcomes.map(([k, v]) => markup`<tr><td>${k}</td><td class="num">${count(v)}</td></tr>`)}</tbody>
<tfoot><tr><th scope="row">Total</th><td class="num">${count(total)}</td></tr></tfoot>
</table>
</div>
</article>`;
}

// --- specifications -----------------------------------------------------------------------------

function specificationsSection(ctx: Context, groups: SectionGroup[]): Html {
  const { byStatus } = ctx.report.summary;
  const filters: { id: string; label: string; n: number }[] = [
    { id: "all", label: "All", n: ctx.report.specifications.length },
    ...SPEC_STATUSES.map((s) => ({ id: s, label: SPEC_STATUS_LOOK[s].label, n: byStatus[s] ?? 0 })),
  ];
  // The radios come before the sections they filter: `:checked ~` reaches only later siblings.
  return markup`<section id="specifications" aria-labelledby="h-specifications">
<h2 id="h-specifications">Specifications</h2>
<p>Every standard and implementation specification of the Security Rule, under its section: its status and why, the automated rules that support it with their results, the runtime evidence, what an auditor asks of the organization, and the organization's attestation.</p>
${filters.map(
  (f) =>
    markup`<input class="filter-input" type="radio" name="status-filter" id="filter-${f.id}" value="${f.id}"${f.id === "all" ? markup` checked` : ""}>`,
)}
<fieldset class="filters"><legend>Show only (on screen; printing shows all)</legend>${filters.map(
    (f) => markup`<label for="filter-${f.id}">${f.label} (${count(f.n)})</label>`,
  )}</fieldset>
${groups.map((g) => cfrSection(ctx, g))}
</section>`;
}

function cfrSection(ctx: Context, group: SectionGroup): Html {
  return markup`<section class="cfr-section" id="${group.id}" aria-labelledby="h-${group.id}">
<h3 id="h-${group.id}">${group.prefix} ${group.title}</h3>
<p class="filter-empty">No specification of this section has the status shown.</p>
${group.specs.length === 0 ? markup`<p class="none">No specification of this section is in the report.</p>` : group.specs.map((s) => spec(ctx, s))}
</section>`;
}

function spec(ctx: Context, s: SpecResult): Html {
  const kind = KIND_LABEL[s.kind] ?? s.kind;
  const kindText = s.kind === "standard" && s.required ? `${kind} (required)` : kind;
  const under = s.standard
    ? markup` <span class="under">under ${linkTo(ctx.anchors.get("spec", s.standard), s.standard)}</span>`
    : "";
  return markup`<article class="spec ${specClass(s.status)}" id="${ctx.anchors.of(s)}" data-status="${s.status}">
<h4><span class="cite">${s.citation}</span> ${s.title}</h4>
<p class="spec-meta">${specBadge(s.status)} <span class="kind">${kindText}</span>${under}</p>
<p class="reason"><span class="label">Why:</span> ${s.reason}</p>
${rules(ctx, s)}
${runtime(ctx, s)}
${
  s.inquiries.length === 0
    ? ""
    : markup`<div class="inquiries"><h5>Auditor's inquiries</h5><ul>${s.inquiries.map((q) => markup`<li>${q}</li>`)}</ul></div>`
}
${s.organizationalDuty ? markup`<p class="duty"><span class="label">Organization's duty:</span> ${s.organizationalDuty}</p>` : ""}
${attestation(s)}
</article>`;
}

const RESULT_COLUMNS = ["PASS", "FAIL", "WARN", "WAIVED", "UNKNOWN"] as const;

function rules(ctx: Context, s: SpecResult): Html {
  if (s.rules.length === 0 && s.untestedRules.length === 0) {
    return markup`<p class="none">No automated rule supports this specification.</p>`;
  }
  const findings = s.rules.flatMap((r) => r.findings);
  const counts =
    s.rules.length === 0
      ? ""
      : markup`<table class="rule-counts">
<caption>Automated rules</caption>
<thead><tr><th scope="col">Rule</th><th scope="col">Title</th><th scope="col">Evidence</th>${RESULT_COLUMNS.map((k) => markup`<th scope="col" class="num">${k}</th>`)}</tr></thead>
<tbody>${s.rules.map((r) => ruleRow(ctx, r))}</tbody>
</table>`;
  const untested =
    s.untestedRules.length === 0
      ? ""
      : markup`<p class="untested"><span class="label">Not evaluated by the evidence given:</span> ${joined(s.untestedRules, ", ", (r) => markup`<code class="rule">${r}</code>`)}</p>`;
  const omitted = s.rules.reduce((n, r) => n + (r.findingsOmitted ?? 0), 0);
  const findingTable =
    findings.length === 0
      ? ""
      : markup`<table class="findings">
<caption>${omitted ? `Findings (the first ${count(findings.length)} results that are not PASS; ${count(omitted)} more are counted above and listed in the evidence)` : "Findings (every result that is not PASS)"}</caption>
<thead><tr><th scope="col">Status</th><th scope="col">Rule</th><th scope="col">Resource</th><th scope="col">Stack</th><th scope="col">Severity</th><th scope="col">Message</th><th scope="col">Remediation</th></tr></thead>
<tbody>${findings.map(
          (f) =>
            markup`<tr><td>${evidenceBadge(f.status)}</td><td><code class="rule">${f.rule}</code></td><td><code>${f.resource}</code></td><td>${f.stack ?? ""}</td><td>${f.severity}</td><td>${f.message}</td><td>${f.remediation}</td></tr>`,
        )}</tbody>
</table>`;
  return markup`<div class="rules">${counts}${untested}${findingTable}</div>`;
}

function ruleRow(ctx: Context, r: RuleEvidence): Html {
  return markup`<tr><td><code class="rule">${r.rule}</code></td><td>${r.title}</td><td>${linkTo(ctx.anchors.get("evidence", r.evidence), r.evidence)}</td>${RESULT_COLUMNS.map(
    (k) => markup`<td class="num">${count(r.counts[k] ?? 0)}</td>`,
  )}</tr>`;
}

function runtime(ctx: Context, s: SpecResult): Html {
  if (s.runtime.length === 0) return markup``;
  return markup`<table class="runtime">
<caption>Runtime evidence</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Evidence</th><th scope="col">Status</th><th scope="col">Found</th></tr></thead>
<tbody>${s.runtime.map(
    (r) =>
      markup`<tr><td>${EVIDENCE_KIND_LABEL[r.kind] ?? r.kind}</td><td>${r.evidence ? linkTo(ctx.anchors.get("evidence", r.evidence), r.evidence) : "none given"}</td><td>${evidenceBadge(r.status)}</td><td>${r.summary}</td></tr>`,
  )}</tbody>
</table>`;
}

function attestation(s: SpecResult): Html {
  const a = s.attestation;
  if (!a) {
    const why = s.needsAttestation
      ? " The organization's answer for this specification is missing."
      : " No organizational answer was given (the evidence above is the tool's).";
    return markup`<div class="attestation missing"><h5>Attestation</h5><p><strong>Not attested.</strong>${why}</p></div>`;
  }
  const rows: [string, Part][] = [
    ["Decision", DECISION_LABEL[a.decision] ?? a.decision],
    ["Attested by", a.attestedBy],
    [
      "Date",
      a.outsidePeriod ? markup`${a.date} <strong>(outside the audit period)</strong>` : a.date,
    ],
    ["Document", a.document],
  ];
  if (a.rationale !== undefined) rows.push(["Rationale", a.rationale]);
  if (a.alternative !== undefined) rows.push(["Alternative measure", a.alternative]);
  return markup`<div class="attestation"><h5>Attestation</h5>${dl(rows)}</div>`;
}

// --- Safe Harbor, re-identification, problems ---------------------------------------------------

function safeHarborSection(report: ComplianceReport): Html {
  const { reidentification } = report;
  return markup`<section id="safe-harbor" aria-labelledby="h-safe-harbor">
<h2 id="h-safe-harbor">Safe Harbor: 164.514(b)(2)</h2>
<p>The 18 identifiers of 164.514(b)(2)(i), how the de-identification profile handles each, and the rows of DICOM PS3.15 Table E.1-1 that do it.</p>
<table class="safe-harbor">
<thead><tr><th scope="col"></th><th scope="col">Identifier</th><th scope="col">Handling</th><th scope="col">Table E.1-1 rows (action)</th><th scope="col">Caveat</th></tr></thead>
<tbody>${report.safeHarbor.map(safeHarborRow)}</tbody>
</table>
<p class="legend">Actions: ${joined(ACTION_LEGEND, "; ", ([code, meaning]) => markup`<code>${code}</code> ${meaning}`)}.</p>
<section id="reidentification" aria-labelledby="h-reidentification">
<h3 id="h-reidentification">Re-identification: ${reidentification.citation}</h3>
${dl([
  [
    "Pseudonym modes in use",
    reidentification.modes.length === 0
      ? "none"
      : joined(reidentification.modes, ", ", (m) => markup`<code>${m}</code>`),
  ],
])}
<p>${reidentification.statement}</p>
</section>
</section>`;
}

function safeHarborRow(row: SafeHarborRow): Html {
  const attributes =
    row.attributes.length === 0
      ? "none"
      : markup`<ul class="attributes">${row.attributes.map(
          (a) => markup`<li><code>${a.tag}</code> ${a.name}: <code>${a.action}</code></li>`,
        )}</ul>`;
  return markup`<tr><th scope="row">${row.letter}</th><td>${row.identifier}</td><td>${row.handling}</td><td>${attributes}</td><td>${row.caveat ?? ""}</td></tr>`;
}

function problemsSection(problems: string[]): Html {
  return markup`<section id="attestation-problems" aria-labelledby="h-attestation-problems">
<h2 id="h-attestation-problems">Attestation problems</h2>
<p>Attestations given for citations that are not in the catalog, or given twice: reported here, not used.</p>
${
  problems.length === 0
    ? markup`<p class="none">None.</p>`
    : markup`<ul class="problems">${problems.map((p) => markup`<li>${p}</li>`)}</ul>`
}
</section>`;
}

// --- style ----------------------------------------------------------------------------------------

/** The stylesheet: built from the constants above only, never from the model. */
function stylesheet(): string {
  const badge = (cls: string, look: Look) =>
    `.badge.${cls}{color:${look.fg};background:${look.bg};border-color:${look.bg === "#ffffff" || look.bg === "#eaeef2" ? "#57606a" : look.bg}}`;
  const stripe = (s: SpecStatus) => `.spec.s-${s}{border-left-color:${SPEC_STATUS_LOOK[s].bg}}`;
  const printBadge = (cls: string, look: Look) => `.badge.${cls}{border:${look.print} #000}`;
  // One radio per status; `~` reaches the sections after it. Screen only: printing shows all.
  const filter = (s: SpecStatus) =>
    [
      `#filter-${s}:checked~.cfr-section .spec:not(.s-${s}){display:none}`,
      `#filter-${s}:checked~.cfr-section:not(:has(.spec.s-${s})) .filter-empty{display:block}`,
    ].join("\n");
  const filterLabel = (id: string) =>
    [
      `#filter-${id}:checked~.filters label[for="filter-${id}"]{background:#1f2328;color:#fff;border-color:#1f2328}`,
      `#filter-${id}:focus-visible~.filters label[for="filter-${id}"]{outline:3px solid #0969da;outline-offset:2px}`,
    ].join("\n");
  return `
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--alt:#f6f8fa;--link:#0a4b91}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:#fff;font:15px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans",Arial,sans-serif}
header.title,nav.contents,main{max-width:74rem;margin:0 auto;padding:0 1.5rem}
header.title{padding-top:1.5rem;border-bottom:1px solid var(--line)}
h1{font-size:1.8rem;margin:.1rem 0 .6rem}
h2{font-size:1.45rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid var(--fg)}
h3{font-size:1.2rem;margin:1.4rem 0 .5rem}
h4{font-size:1.05rem;margin:0 0 .3rem}
h5{font-size:.95rem;margin:.6rem 0 .2rem}
a{color:var(--link)}
code,.digest,.method{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.88em}
.digest{word-break:break-all}
.kicker{margin:0;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;font-size:.8rem}
.verdict{font-size:1.1rem;padding:.5rem .8rem;border-radius:.3rem;border:2px solid}
.verdict-pass{border-color:#116329;background:#dafbe1}
.verdict-fail{border-color:#b42318;background:#ffebe9}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.4rem 0 .8rem}
dl.facts dt{font-weight:600;color:var(--muted)}
dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
thead th{background:var(--alt);white-space:nowrap}
td code{overflow-wrap:anywhere}
code.rule{white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.files{margin:.4rem 0 0;font-size:.9em}
.badge{display:inline-block;padding:0 .5rem;border:2px solid;border-radius:.7rem;font-weight:700;font-size:.82rem;line-height:1.5;white-space:nowrap;vertical-align:baseline}
.method{font-weight:700}
.none{color:var(--muted);font-style:italic}
.label{font-weight:600}
.summary-grid{display:grid;grid-template-columns:minmax(0,1.3fr) minmax(0,1fr);gap:1.5rem;align-items:start}
figure.chart{margin:.4rem 0}
figure.chart svg{max-width:100%;height:auto;font:13px system-ui,"DejaVu Sans",Arial,sans-serif;fill:#1f2328}
figure.chart figcaption{color:var(--muted);font-size:.85rem}
ul.citations{columns:2;padding-left:1.2rem}
ul.citations li{break-inside:avoid;margin-bottom:.2rem}
.evidence-item,.deid-run{border:1px solid var(--line);border-radius:.3rem;padding:.6rem 1rem;margin:.8rem 0}
.two{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
table.item-facts{width:auto;min-width:50%}
table.safe-harbor td:nth-child(2){width:34%}
table.safe-harbor td:nth-child(3){width:26%}
.spec{border:1px solid var(--line);border-left:.45rem solid var(--muted);border-radius:.3rem;padding:.6rem 1rem;margin:.8rem 0}
.spec .cite{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.spec-meta{margin:.1rem 0 .4rem}
.kind,.under{color:var(--muted);font-size:.9em;margin-left:.4rem}
.reason{margin:.2rem 0 .5rem}
.attestation.missing p{margin:.2rem 0}
ul.attributes{margin:0;padding-left:1rem}
.legend{font-size:.9em;color:var(--muted)}
nav.contents h2{font-size:1.1rem;border:0;margin:1rem 0 .2rem}
nav.contents ol{margin:.2rem 0;padding-left:1.4rem}
nav.contents>ol>li>ol{display:flex;flex-wrap:wrap;gap:0 1.6rem;padding-left:1.2rem}
.filter-input{position:absolute;width:1px;height:1px;margin:0;opacity:0;pointer-events:none}
.filters{border:1px solid var(--line);border-radius:.3rem;margin:.6rem 0 1rem;padding:.4rem .6rem .6rem}
.filters legend{font-weight:600;padding:0 .3rem}
.filters label{display:inline-block;margin:.2rem .3rem .2rem 0;padding:.15rem .7rem;border:1px solid var(--muted);border-radius:1rem;cursor:pointer;user-select:none}
.filters label:hover{background:var(--alt)}
.filter-empty{display:none;color:var(--muted);font-style:italic}
${SPEC_STATUSES.map((s) => badge(`s-${s}`, SPEC_STATUS_LOOK[s])).join("\n")}
${EVIDENCE_STATUSES.map((s) => badge(`e-${s}`, EVIDENCE_STATUS_LOOK[s])).join("\n")}
${SPEC_STATUSES.map(stripe).join("\n")}
${["all", ...SPEC_STATUSES].map(filterLabel).join("\n")}
@media screen{
${SPEC_STATUSES.map(filter).join("\n")}
}
@media (max-width:50rem){.summary-grid,.two{grid-template-columns:1fr}ul.citations{columns:1}}
@page{size:A4;margin:14mm 12mm}
@media print{
body{font-size:10.5pt}
header.title,nav.contents,main{max-width:none;padding:0}
.summary-grid,.two{grid-template-columns:1fr}
ul.citations{columns:1}
.filter-input,.filters,.filter-empty,nav.contents{display:none!important}
main>section:not(#summary){break-before:page}
#specifications>.cfr-section~.cfr-section{break-before:page}
h2,h3,h4,h5,caption{break-after:avoid}
.spec-meta,tr,.attestation,dl.facts{break-inside:avoid}
a{color:inherit;text-decoration:none}
.badge{background:#fff!important;color:#000!important}
${SPEC_STATUSES.map((s) => printBadge(`s-${s}`, SPEC_STATUS_LOOK[s])).join("\n")}
${EVIDENCE_STATUSES.map((s) => printBadge(`e-${s}`, EVIDENCE_STATUS_LOOK[s])).join("\n")}
}
`;
}
