/**
 * The HTML report without a browser: self-contained, every specification with its status and
 * stable id, counts as the model has them, everything from the model escaped, byte-identical
 * output for the same report. test/compliance/browser.test.ts opens it in Chromium.
 */
import { escapeHtml, renderHtml, specAnchor } from "../../compliance/report/html";
import { ComplianceReport, SPEC_STATUSES, SpecResult } from "../../compliance/report/model";
import { sampleReport } from "./fixture";

const VOID = new Set(["meta", "input", "br", "hr", "img", "link", "wbr", "col", "area", "base"]);
const TAG =
  /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*(\/?)>/g;
const ATTR = /\s([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?/g;

interface Tag {
  closing: boolean;
  name: string;
  attrs: Map<string, string>;
}

/** The document's tags in order, after the <style> element's CSS is taken out. */
function tags(doc: string): Tag[] {
  const out: Tag[] = [];
  for (const m of withoutStyle(doc).matchAll(TAG)) {
    const attrs = new Map<string, string>();
    for (const a of m[3].matchAll(ATTR)) attrs.set(a[1].toLowerCase(), a[2] ?? a[3] ?? "");
    out.push({ closing: m[1] === "/", name: m[2].toLowerCase(), attrs });
  }
  return out;
}

function withoutStyle(doc: string): string {
  return doc.replace(/<style>[\s\S]*?<\/style>/g, "<style></style>");
}

function styleOf(doc: string): string {
  const m = /<style>([\s\S]*?)<\/style>/.exec(doc);
  if (!m) throw new Error("no <style>");
  return m[1];
}

/** The text between the tags (entities still escaped). */
function textOf(doc: string): string {
  return withoutStyle(doc.replace(/^<!DOCTYPE html>/, "")).replace(TAG, "");
}

/** Every element closed in order (void elements excepted): nothing the model said opened one. */
function expectBalanced(doc: string): void {
  const stack: string[] = [];
  for (const t of tags(doc)) {
    if (VOID.has(t.name)) continue;
    if (!t.closing) stack.push(t.name);
    else expect(`</${t.name}> closes <${stack.pop()}>`).toBe(`</${t.name}> closes <${t.name}>`);
  }
  expect(stack).toEqual([]);
}

/** The markup of one element with this id, up to its closing tag (articles do not nest). */
function element(doc: string, id: string, name = "article"): string {
  const start = doc.search(new RegExp(`<${name}\\b[^>]*\\sid="${id}"`));
  if (start < 0) throw new Error(`no <${name} id="${id}">`);
  const end = doc.indexOf(`</${name}>`, start);
  return doc.slice(start, end + name.length + 3);
}

const STATUS_WORDS: Record<string, string> = {
  satisfied: "Satisfied",
  "not-satisfied": "Not satisfied",
  "partially-satisfied": "Partially satisfied",
  "not-tested": "Not tested",
  attested: "Attested",
  "not-attested": "Not attested",
  "not-applicable": "Not applicable",
};

describe("renderHtml", () => {
  const report = sampleReport();
  const doc = renderHtml(report);

  test("is one HTML5 document that loads nothing: no script, no resource, a strict CSP first", () => {
    expect(doc.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    const all = tags(doc);
    const names = new Set(all.map((t) => t.name));
    for (const banned of ["script", "link", "iframe", "frame", "object", "embed", "img", "base"]) {
      expect(names.has(banned)).toBe(false);
    }
    expect(names.has("form")).toBe(false); // radios filter without a form: nothing to submit
    expect(doc).not.toMatch(/<script/i);
    expect(doc).not.toMatch(/@import|url\(|:\/\//i);
    expect(doc).not.toMatch(/\son[a-z]+\s*=/i); // no event handler attribute

    // Every reference is a fragment of this document (or data:), and every fragment exists.
    const ids = all.filter((t) => t.attrs.has("id")).map((t) => t.attrs.get("id") as string);
    expect(new Set(ids).size).toBe(ids.length);
    let fragments = 0;
    for (const t of all) {
      for (const name of ["src", "href", "action", "srcset", "poster", "data", "xlink:href"]) {
        const v = t.attrs.get(name);
        if (v === undefined) continue;
        expect(`${name}=${v}`).toMatch(new RegExp(`^${name}=(#|data:)`));
        if (v.startsWith("#")) {
          expect(ids).toContain(v.slice(1));
          fragments++;
        }
      }
    }
    expect(fragments).toBeGreaterThan(report.specifications.length);

    // The CSP is the first thing after the charset, before the style, and forbids every load.
    const head = all.slice(all.findIndex((t) => t.name === "head"));
    expect(head[1].name).toBe("meta");
    expect(head[1].attrs.get("charset")).toBe("utf-8");
    expect(head[2].attrs.get("http-equiv")).toBe("Content-Security-Policy");
    const csp = (head[2].attrs.get("content") ?? "").split(";").map((d) => d.trim());
    expect(csp).toEqual(
      expect.arrayContaining(["default-src 'none'", "style-src 'unsafe-inline'", "img-src data:"]),
    );
    expect(csp.some((d) => d.startsWith("script-src"))).toBe(false);
  });

  test("is well formed: every element closed in order, no stray < or &", () => {
    expectBalanced(doc);
    const text = textOf(doc);
    expect(text).not.toMatch(/[<>]/);
    expect(text).not.toMatch(/&(?!(amp|lt|gt|quot|#39);)/);
  });

  test("shows every specification of the fixture with its citation, status and a stable id", () => {
    expect(report.specifications).toHaveLength(65);
    let last = -1;
    for (const spec of report.specifications) {
      const id = specAnchor(spec.citation);
      const article = element(doc, id);
      expect(doc.indexOf(article)).toBeGreaterThan(last); // in the model's order
      last = doc.indexOf(article);
      expect(article).toContain(`data-status="${spec.status}"`);
      expect(article).toContain(`class="spec s-${spec.status}"`);
      expect(article).toContain(`<span class="cite">${escapeHtml(spec.citation)}</span>`);
      expect(article).toContain(escapeHtml(spec.title));
      expect(article).toContain(`>${STATUS_WORDS[spec.status]}</span>`);
      expect(article).toContain(escapeHtml(spec.reason));
      const kind = { standard: "Standard", required: "Required", addressable: "Addressable" };
      expect(article).toContain(`<span class="kind">${kind[spec.kind]}`);
      for (const q of spec.inquiries) expect(article).toContain(escapeHtml(q));
    }
    expect(doc.match(/<article class="spec /g)).toHaveLength(report.specifications.length);
    // Auditors link to one by its citation.
    expect(specAnchor("164.312(b)")).toBe("spec-164-312-b");
    expect(specAnchor("164.308(a)(1)(ii)(A)")).toBe("spec-164-308-a-1-ii-a");
    expect(doc).toContain('id="spec-164-312-b"');
  });

  test("groups specifications under their Security Rule section, in the regulation's order", () => {
    const sections = [
      ["164.308", "Administrative safeguards"],
      ["164.310", "Physical safeguards"],
      ["164.312", "Technical safeguards"],
      ["164.314", "Organizational requirements"],
      ["164.316", "Policies and procedures"],
    ];
    let last = -1;
    for (const [prefix, title] of sections) {
      const section = element(doc, `section-${prefix.replace(".", "-")}`, "section");
      expect(doc.indexOf(section)).toBeGreaterThan(last);
      last = doc.indexOf(section);
      expect(section).toContain(`${prefix} ${title}`);
      const inSection = report.specifications.filter((s) => s.citation.startsWith(`${prefix}(`));
      expect(inSection.length).toBeGreaterThan(0);
      expect(section.match(/<article class="spec /g)).toHaveLength(inSection.length);
      for (const s of inSection) expect(section).toContain(`id="${specAnchor(s.citation)}"`);
    }
  });

  test("puts the parts in order: title, summary, evidence, de-identification, specifications, Safe Harbor, 164.514(c), problems", () => {
    const order = [
      'id="title"',
      'id="summary"',
      'id="evidence"',
      'id="deid"',
      'id="specifications"',
      'id="safe-harbor"',
      'id="reidentification"',
      'id="attestation-problems"',
    ].map((id) => doc.indexOf(id));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test("the title block says the tool, time, period and whether the report passed (exit 1)", () => {
    const title = element(doc, "title", "header");
    expect(title).toContain("imgsec 0.1.0");
    expect(title).toContain("2026-12-02T10:00:00.000Z");
    expect(title).toContain("2026-01-01 to 2026-12-31");
    expect(title).toContain("Did not pass</strong> (exit status 1)");
    expect(title).toContain(
      `${report.summary.failed.length} specifications are not satisfied, and ${report.summary.requiredLacking.length} required specifications lack evidence`,
    );
    const passing = { ...report, summary: { ...report.summary, pass: true } };
    expect(element(renderHtml(passing), "title", "header")).toContain(
      "Passed</strong> (exit status 0)",
    );
  });

  test("the summary's counts, chart and lists are the model's", () => {
    const summary = element(doc, "summary", "section");
    for (const s of SPEC_STATUSES) {
      const n = report.summary.byStatus[s];
      expect(summary).toContain(`data-summary-count="${s}">${n}</td>`);
      expect(summary).toContain(`data-chart-count="${s}">${n}</text>`);
    }
    expect(summary).toContain(`data-summary-count="total">${report.specifications.length}</td>`);
    expect(summary).toMatch(/<svg role="img"/);
    // The lists come from the model's summary, each a link to its specification.
    const failed = summary.slice(summary.indexOf("Failed:"), summary.indexOf("Required spec"));
    const lacking = summary.slice(summary.indexOf("Required spec"));
    expect(report.summary.failed.length).toBeGreaterThan(0);
    expect(report.summary.requiredLacking.length).toBeGreaterThan(0);
    for (const c of report.summary.failed) {
      expect(failed).toContain(`<a href="#${specAnchor(c)}">${escapeHtml(c)}</a>`);
    }
    for (const c of report.summary.requiredLacking) {
      expect(lacking).toContain(`<a href="#${specAnchor(c)}">${escapeHtml(c)}</a>`);
    }
    expect(failed.match(/<li>/g)).toHaveLength(report.summary.failed.length);
    expect(lacking.match(/<li>/g)).toHaveLength(report.summary.requiredLacking.length);

    // Counts are the model's, not recounted from the specifications.
    const other = structuredClone(report);
    other.summary.byStatus.satisfied = 4321;
    expect(renderHtml(other)).toContain('data-summary-count="satisfied">4,321</td>');
  });

  test("lists the evidence inputs with their SHA-256 and what each verifier found", () => {
    const evidence = element(doc, "evidence", "section");
    for (const input of report.inputs) {
      expect(evidence).toContain(`id="input-${input.id}"`);
      expect(evidence).toContain(input.sha256);
      for (const f of input.files ?? []) {
        expect(evidence).toContain(escapeHtml(f.name));
        expect(evidence).toContain(f.sha256);
      }
    }
    for (const item of report.evidence) {
      const article = element(evidence, `evidence-${item.id}`);
      expect(article).toContain(`<span class="method">${item.method}</span>`);
      expect(article).toContain(`class="badge e-${item.status}">${item.status}</span>`);
      expect(article).toContain(escapeHtml(item.summary));
      for (const k of Object.keys(item.facts))
        expect(article).toContain(`<th scope="row">${k}</th>`);
    }
    expect(element(evidence, "evidence-iac-1")).toContain("<td>263</td>");
    expect(element(evidence, "evidence-audit-log")).toContain("<td>1,204</td>");
    expect(element(evidence, "evidence-audit-log")).toContain("<td>no</td>"); // hmacChecked
  });

  test("shows each de-identification run: policy, profile, CID 7050 codes, counts, datasets", () => {
    const run = element(doc, "deid-run-1");
    const r = report.deidRuns[0];
    expect(run).toContain(r.policy);
    expect(run).toContain(`profile ${r.profile}`);
    for (const m of r.methods)
      expect(run).toContain(`<td><code>${m.code}</code></td><td>${m.meaning}</td>`);
    for (const [k, v] of Object.entries(r.counts)) {
      expect(run).toContain(`<tr><td>${k}</td><td class="num">${v}</td></tr>`);
    }
    expect(run).toContain(`<td class="num">14</td>`); // total
    expect(run).toContain("demo");
    expect(run).toContain("0 events (not in the counts below)");
  });

  test("shows rules, findings, runtime evidence and the attestation (or its absence) per specification", () => {
    const of = (status: string) =>
      report.specifications.find((s) => s.status === status) as SpecResult;
    const failing = element(doc, specAnchor(of("not-satisfied").citation));
    expect(failing).toContain('<code class="rule">IMGSEC-CT-002</code>');
    expect(failing).toContain("<code>aws_cloudtrail.audit</code>");
    expect(failing).toContain("<td>imgsec-prod</td>");
    expect(failing).toContain("Set enable_log_file_validation = true.");
    expect(failing).toContain('class="badge e-FAIL">FAIL</span>');
    expect(failing).toContain('<a href="#evidence-iac-1">iac-1</a>');
    expect(failing).toContain("<strong>Not attested.</strong>");

    const partial = element(doc, specAnchor(of("partially-satisfied").citation));
    expect(partial).toContain('class="badge e-UNKNOWN">UNKNOWN</span>');
    expect(partial).toContain('class="badge e-MISSING">MISSING</span>');
    expect(partial).toContain("no --packages given");

    const untested = element(doc, specAnchor(of("not-tested").citation));
    expect(untested).toContain("Not evaluated by the evidence given:");
    expect(untested).toContain('<code class="rule">IMGSEC-KMS-001</code>');

    const notAttested = element(doc, specAnchor(of("not-attested").citation));
    expect(notAttested).toContain(
      "The organization&#39;s answer for this specification is missing.",
    );

    const addressable = report.specifications.find(
      (s) => s.status === "attested" && s.kind === "addressable",
    ) as SpecResult;
    const attested = element(doc, specAnchor(addressable.citation));
    expect(attested).toContain("<dt>Decision</dt><dd>Alternative measure</dd>");
    expect(attested).toContain(
      "<dt>Attested by</dt><dd>Privacy Officer &lt;Sample&gt; &amp; Co</dd>",
    );
    expect(attested).toContain("<dt>Date</dt><dd>2026-06-30</dd>");
    expect(attested).toContain("<dt>Document</dt><dd>POL-SEC-014 rev 3</dd>");
    expect(attested).toContain(
      "<dt>Rationale</dt><dd>We are not a clearinghouse; see POL-SEC-014 §2</dd>",
    );
    expect(attested).toContain("<dt>Alternative measure</dt><dd>Quarterly manual review</dd>");

    const na = element(doc, specAnchor(of("not-applicable").citation));
    expect(na).toContain("<dt>Decision</dt><dd>Not applicable</dd>");

    const late = structuredClone(report);
    const spec = late.specifications.find((s) => s.attestation) as SpecResult;
    spec.attestation = { ...spec.attestation!, outsidePeriod: true };
    spec.organizationalDuty = "Review the trail's alarms weekly.";
    const lateDoc = element(renderHtml(late), specAnchor(spec.citation));
    expect(lateDoc).toContain("2026-06-30 <strong>(outside the audit period)</strong>");
    expect(lateDoc).toContain("Review the trail&#39;s alarms weekly.");
  });

  test("ends with the Safe Harbor table (18 identifiers), 164.514(c) and the attestation problems", () => {
    const harbor = element(doc, "safe-harbor", "section");
    expect(report.safeHarbor).toHaveLength(18);
    for (const row of report.safeHarbor) {
      expect(harbor).toContain(
        `<tr><th scope="row">${row.letter}</th><td>${escapeHtml(row.identifier)}</td>`,
      );
    }
    expect(harbor).toContain("<code>(0010,0010)</code> Patient&#39;s Name: <code>Z</code>");
    expect(harbor).toContain("Burned-in text is masked only where the modality is known");
    expect(harbor).toContain("Re-identification: 164.514(c)");
    expect(harbor).toContain("<code>keyed-hmac</code>");
    expect(harbor).toContain(escapeHtml(report.reidentification.statement));
    const problems = doc.slice(doc.indexOf('id="attestation-problems"'));
    expect(problems).toContain(
      "<li>attestation for 164.999(z) names no specification of the catalog</li>",
    );
  });

  test("escapes the fixture's hostile strings: they show as text, never as markup", () => {
    expect(doc).toContain(
      "enable_log_file_validation is false &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;, =cmd",
    );
    expect(doc).not.toContain("<script>");
    expect(doc).not.toContain("<Sample>");
    expect(doc).toContain("Privacy Officer &lt;Sample&gt; &amp; Co");
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
    );
  });

  test("escapes every string of the model, keys included: the markup does not change", () => {
    const marker = `<u class="x">"'&`;
    const escaped = escapeHtml(marker);
    // Every string, and the keys of records keyed by free text (facts, outcome counts), but the
    // enumerations the renderer looks up (statuses, kinds...) and records keyed by them.
    const enums = new Set(["status", "kind", "method", "decision", "schema"]);
    let strings = 0;
    const taint = (v: unknown, key = ""): unknown => {
      if (typeof v === "string") {
        if (enums.has(key)) return v;
        strings++;
        return `${v}${marker}`;
      }
      if (Array.isArray(v)) return v.map((x) => taint(x, key));
      if (v && typeof v === "object") {
        if (key === "byStatus") return v;
        const freeKeys = key === "facts" || (key === "counts" && !("PASS" in v));
        return Object.fromEntries(
          Object.entries(v).map(([k, x]) => [freeKeys ? `${k}${marker}` : k, taint(x, k)]),
        );
      }
      return v;
    };
    const tainted = taint(report) as ComplianceReport;
    const out = renderHtml(tainted);
    expect(strings).toBeGreaterThan(500);
    expect(out).not.toContain("<u ");
    expect(out).not.toContain(`"'&`);
    expectBalanced(out);
    // The same elements with the same attribute names as the clean report: nothing was injected.
    const shape = (d: string) =>
      tags(d)
        .map((t) => `${t.closing ? "/" : ""}${t.name}(${[...t.attrs.keys()].join(",")})`)
        .join(" ");
    expect(shape(out)).toBe(shape(doc));
    const count = (d: string, s: string) => d.split(s).length - 1;
    expect(count(out, escaped)).toBeGreaterThan(400);
    for (const k of Object.keys(report.deidRuns[0].counts))
      expect(out).toContain(`<td>${k}${escaped}</td>`);
    for (const k of Object.keys(report.evidence[0].facts)) {
      expect(out).toContain(`<th scope="row">${k}${escaped}</th>`);
    }
    // Ids come from slugs: no model character reaches an id or href.
    for (const t of tags(out)) {
      for (const name of ["id", "href", "for"]) {
        const v = t.attrs.get(name);
        if (v !== undefined) expect(v).toMatch(/^#?[a-z0-9-]+$/);
      }
    }
  });

  test("shows control and bidirectional characters as visible code points", () => {
    const tricky = structuredClone(report);
    tricky.specifications[0].reason = "ok\u202Etxt.exe\u0007\u0000";
    const out = renderHtml(tricky);
    expect(out).toContain("ok&lt;U+202E&gt;txt.exe&lt;U+0007&gt;&lt;U+0000&gt;");
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0008\u202A-\u202E\u2066-\u2069]/);
  });

  test("is deterministic: the same report gives byte-identical HTML", () => {
    expect(renderHtml(sampleReport())).toBe(doc);
    expect(renderHtml(JSON.parse(JSON.stringify(report)) as ComplianceReport)).toBe(doc);
    // Nothing but the report goes in: a different generation time changes only that text.
    const later = { ...report, generated: "2027-01-01T00:00:00.000Z" };
    expect(renderHtml(later).replaceAll("2027-01-01T00:00:00.000Z", report.generated)).toBe(doc);
  });

  test("keeps ids unique when two specifications share a citation; links go to the first", () => {
    const dup = structuredClone(report);
    const first = dup.specifications.find((s) => s.citation === "164.312(b)") as SpecResult;
    dup.specifications.push({ ...first, title: "Audit controls again" });
    dup.summary.failed = ["164.312(b)"];
    const out = renderHtml(dup);
    expect(out).toContain('id="spec-164-312-b"');
    expect(out).toContain('id="spec-164-312-b-2"');
    expect(element(out, "spec-164-312-b-2")).toContain("Audit controls again");
    expect(out).toContain('<a href="#spec-164-312-b">164.312(b)</a>');
  });

  test("offers a CSS-only status filter: all shown by default, screen only, hidden in print", () => {
    const radios = tags(doc).filter((t) => t.name === "input");
    expect(radios.map((t) => t.attrs.get("id"))).toEqual([
      "filter-all",
      ...SPEC_STATUSES.map((s) => `filter-${s}`),
    ]);
    expect(radios.filter((t) => t.attrs.has("checked")).map((t) => t.attrs.get("id"))).toEqual([
      "filter-all",
    ]);
    for (const r of radios) expect(r.attrs.get("type")).toBe("radio");
    const labels = tags(doc).filter((t) => t.name === "label" && !t.closing);
    expect(labels.map((t) => t.attrs.get("for"))).toEqual(radios.map((t) => t.attrs.get("id")));
    expect(doc).toContain(
      `<label for="filter-not-satisfied">Not satisfied (${report.summary.byStatus["not-satisfied"]})</label>`,
    );

    // The hiding rules live in @media screen only; print hides the controls.
    const css = styleOf(doc);
    const screen = css.slice(css.indexOf("@media screen{"), css.indexOf("}\n@media (max-width"));
    for (const s of SPEC_STATUSES) {
      expect(screen).toContain(
        `#filter-${s}:checked~.cfr-section .spec:not(.s-${s}){display:none}`,
      );
      expect(css.split(`.spec:not(.s-${s}){display:none}`)).toHaveLength(2);
    }
    const print = css.slice(css.indexOf("@media print{"));
    expect(print).toMatch(/\.filter-input,\.filters[^{]*\{display:none!important\}/);
    expect(print).toContain("main>section:not(#summary){break-before:page}");
  });

  test("renders an empty report: no inputs, evidence, runs or problems, and a pass", () => {
    const empty: ComplianceReport = {
      ...report,
      period: undefined,
      inputs: [],
      evidence: [],
      deidRuns: [],
      specifications: [],
      safeHarbor: [],
      reidentification: { citation: "164.514(c)", modes: [], statement: "none" },
      summary: {
        byStatus: Object.fromEntries(SPEC_STATUSES.map((s) => [s, 0])) as never,
        requiredLacking: [],
        failed: [],
        pass: true,
      },
      attestationProblems: [],
    };
    const out = renderHtml(empty);
    expectBalanced(out);
    expect(out).toContain("Passed</strong> (exit status 0)");
    expect(out).toContain("not given: all evidence is counted");
    expect(out).toContain("No evidence input was given.");
    expect(out).toContain("No de-identification run is recorded");
    expect(out).toContain('<p class="none">None.</p>');
    expect(out).toContain('data-summary-count="total">0</td>');
    expect(out).not.toContain("<rect");
  });
});
