/**
 * The HTML report in a real browser: Debian's headless Chromium driven by playwright-core, from a
 * file:// URL as an auditor opens it from a USB stick. It loads nothing but itself (and its CSP
 * stops what slipped in), every section renders, the summary shows the model's counts, the
 * CSS-only filter works with JavaScript off, statuses keep their contrast, and the PDF that
 * Chromium prints holds every citation, one section a page. Skips loudly without Chromium and
 * pdftotext (scripts/setup-browser.sh); fails under CI=true.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Browser, BrowserContext, chromium, Page } from "playwright-core";
import { renderHtml, specAnchor } from "../../compliance/report/html";
import { SPEC_STATUSES, SpecStatus } from "../../compliance/report/model";
import { CHROMIUM, describeWithBrowser, launchOptions, pdfText } from "../helpers/browser";
import { ROOT } from "../helpers/cli";
import { sampleReport } from "./fixture";

const STATUS_WORDS: Record<SpecStatus, string> = {
  satisfied: "Satisfied",
  "not-satisfied": "Not satisfied",
  "partially-satisfied": "Partially satisfied",
  "not-tested": "Not tested",
  attested: "Attested",
  "not-attested": "Not attested",
  "not-applicable": "Not applicable",
};

const SECTIONS = [
  ["164.308", "Administrative safeguards"],
  ["164.310", "Physical safeguards"],
  ["164.312", "Technical safeguards"],
  ["164.314", "Organizational requirements"],
  ["164.316", "Policies and procedures and documentation requirements"],
] as const;

const PARTS = [
  "title",
  "summary",
  "evidence",
  "deid",
  "specifications",
  "safe-harbor",
  "reidentification",
  "attestation-problems",
];

/** The PNG's width and height, from its IHDR chunk, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** WCAG 2 contrast ratio of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const m = /rgba?\((\d+), (\d+), (\d+)/.exec(css);
    if (!m) throw new Error(`not an rgb() colour: ${css}`);
    const [r, g, bl] = [m[1], m[2], m[3]].map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describeWithBrowser("the HTML report in headless Chromium", () => {
  const report = sampleReport();
  let dir: string;
  let file: string;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "imgsec-report-browser-"));
    file = join(dir, "report.html");
    writeFileSync(file, renderHtml(report));
    url = pathToFileURL(file).href;
    browser = await chromium.launch(launchOptions());
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A page in a fresh context that records every request and console message. */
  async function open(
    target: string,
    options: { javaScriptEnabled?: boolean } = {},
  ): Promise<{
    context: BrowserContext;
    page: Page;
    requests: string[];
    failed: string[];
    console: string[];
  }> {
    const context = await browser.newContext({
      javaScriptEnabled: options.javaScriptEnabled ?? true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    const requests: string[] = [];
    const failed: string[] = [];
    const messages: string[] = [];
    // Chromium reports a load that its CSP blocks as a request that failed with "csp": it never
    // leaves the browser. The report should not even try.
    page.on("request", (r) => requests.push(r.url()));
    page.on("requestfailed", (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
    page.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => messages.push(`pageerror: ${e.message}`));
    const response = await page.goto(target, { waitUntil: "load" });
    expect(response?.ok()).toBe(true);
    return { context, page, requests, failed, console: messages };
  }

  test("loads from file:// and requests nothing but the file itself", async () => {
    const { context, page, requests, failed, console } = await open(url);
    try {
      expect(requests).toEqual([url]);
      expect(failed).toEqual([]);
      expect(console).toEqual([]);
      expect(await page.locator("script").count()).toBe(0);
      expect(await page.title()).toBe(`HIPAA Security Rule compliance report, ${report.generated}`);
    } finally {
      await context.close();
    }
  });

  test("its CSP blocks a resource that slipped in, which goes out without the CSP", async () => {
    const html = readFileSync(file, "utf8");
    const planted = '<img src="http://127.0.0.1:9/planted.png" alt="">';
    // Control: without the CSP meta tag the same page does request the image.
    const bare = join(dir, "no-csp.html");
    writeFileSync(
      bare,
      html
        .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "")
        .replace("<body>", `<body>${planted}`),
    );
    const control = await open(pathToFileURL(bare).href);
    try {
      expect(control.requests).toContain("http://127.0.0.1:9/planted.png");
      expect(control.failed).toHaveLength(1);
      expect(control.failed[0]).not.toMatch(/ csp$/); // it went out (and found no server)
    } finally {
      await control.context.close();
    }
    const withCsp = join(dir, "planted.html");
    writeFileSync(withCsp, html.replace("<body>", `<body>${planted}`));
    const guarded = await open(pathToFileURL(withCsp).href);
    try {
      expect(guarded.failed).toEqual(["http://127.0.0.1:9/planted.png csp"]);
      expect(guarded.console.join("\n")).toMatch(
        /Loading the image 'http:\/\/127\.0\.0\.1:9\/planted\.png' violates .*Content Security Policy.*blocked/,
      );
    } finally {
      await guarded.context.close();
    }
  });

  test("renders every part and every specification, visible, with JavaScript disabled", async () => {
    const { context, page, requests } = await open(url, { javaScriptEnabled: false });
    try {
      expect(requests).toEqual([url]);
      for (const id of PARTS) expect(await page.locator(`#${id}`).isVisible()).toBe(true);
      for (const [prefix, title] of SECTIONS) {
        const section = page.locator(`#section-${prefix.replace(".", "-")}`);
        expect(await section.isVisible()).toBe(true);
        expect(await section.locator("h3").innerText()).toBe(`${prefix} ${title}`);
      }
      expect(await page.locator("article.spec").count()).toBe(report.specifications.length);
      expect(await page.locator("article.spec:visible").count()).toBe(report.specifications.length);
      for (const spec of report.specifications) {
        const article = page.locator(`#${specAnchor(spec.citation)}`);
        expect(await article.count()).toBe(1);
        const head = await article.locator("h4").innerText();
        expect(head).toBe(`${spec.citation} ${spec.title}`);
        expect(await article.locator(".spec-meta .badge").innerText()).toBe(
          STATUS_WORDS[spec.status],
        );
      }
      // The hostile strings are shown as the text they are.
      const text = await page.locator("body").innerText();
      expect(text).toContain(
        'enable_log_file_validation is false <script>alert("x")</script> & "quoted", =cmd',
      );
      expect(text).toContain("Privacy Officer <Sample> & Co");
      for (const input of report.inputs) expect(text).toContain(input.sha256);
      for (const row of report.safeHarbor) expect(text).toContain(row.identifier);
      expect(text).toContain(report.reidentification.statement);
      expect(text).toContain(report.attestationProblems[0]);
    } finally {
      await context.close();
    }
  });

  test("the summary shows the model's counts, in the table and the chart", async () => {
    const { context, page } = await open(url, { javaScriptEnabled: false });
    try {
      for (const s of SPEC_STATUSES) {
        const cell = page.locator(`[data-summary-count="${s}"]`);
        expect(await cell.isVisible()).toBe(true);
        expect(Number(await cell.innerText())).toBe(report.summary.byStatus[s]);
        const bar = page.locator(`[data-chart-count="${s}"]`);
        expect(await bar.isVisible()).toBe(true);
        expect(Number(await bar.textContent())).toBe(report.summary.byStatus[s]);
      }
      expect(Number(await page.locator('[data-summary-count="total"]').innerText())).toBe(
        report.specifications.length,
      );
      const failed = page.locator("#summary ul.citations").first().locator("li");
      expect(await failed.count()).toBe(report.summary.failed.length);
      const lacking = page.locator("#summary ul.citations").nth(1).locator("li");
      expect(await lacking.count()).toBe(report.summary.requiredLacking.length);
      // A link in the summary leads to the specification.
      await failed.first().locator("a").click();
      expect(page.url()).toBe(`${url}#${specAnchor(report.summary.failed[0])}`);
    } finally {
      await context.close();
    }
  });

  test("filters by status with CSS alone (JavaScript disabled); printing shows every specification", async () => {
    const { context, page } = await open(url, { javaScriptEnabled: false });
    const visibleIds = async () =>
      (
        await page.locator("article.spec:visible").evaluateAll((els) => els.map((e) => e.id))
      ).sort();
    const all = report.specifications.map((s) => specAnchor(s.citation)).sort();
    try {
      expect(await page.locator("#filter-all").isChecked()).toBe(true);
      expect(await visibleIds()).toEqual(all);
      for (const s of SPEC_STATUSES) {
        await page.locator(`label[for="filter-${s}"]`).click();
        expect(await page.locator(`#filter-${s}`).isChecked()).toBe(true);
        const expected = report.specifications
          .filter((x) => x.status === s)
          .map((x) => specAnchor(x.citation))
          .sort();
        expect(expected.length).toBeGreaterThan(0);
        expect(await visibleIds()).toEqual(expected);
      }
      // Printing ignores the filter and hides the controls.
      await page.emulateMedia({ media: "print" });
      expect(await visibleIds()).toEqual(all);
      expect(await page.locator("fieldset.filters").isVisible()).toBe(false);
      await page.emulateMedia({ media: "screen" });
      await page.locator('label[for="filter-all"]').click();
      expect(await visibleIds()).toEqual(all);
      expect(await page.locator(".filter-empty:visible").count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  test("a section with nothing of the filtered status says so", async () => {
    const onlyOne = sampleReport();
    for (const s of onlyOne.specifications) {
      s.status = s.citation.startsWith("164.312(") ? "not-satisfied" : "satisfied";
    }
    const one = join(dir, "one-status.html");
    writeFileSync(one, renderHtml(onlyOne));
    const { context, page } = await open(pathToFileURL(one).href, { javaScriptEnabled: false });
    try {
      await page.locator('label[for="filter-not-satisfied"]').click();
      const notes = page.locator(".filter-empty:visible");
      expect(await notes.count()).toBe(SECTIONS.length - 1);
      expect(await page.locator("#section-164-312 .filter-empty").isVisible()).toBe(false);
    } finally {
      await context.close();
    }
  });

  test("statuses are words, in colours of WCAG AA contrast; black on white in print", async () => {
    const { context, page } = await open(url);
    try {
      const badges = () =>
        page.locator(".badge").evaluateAll((els) => {
          // Runs in the page (the tests compile without the DOM's types).
          const view = globalThis as unknown as {
            getComputedStyle(el: unknown): { color: string; backgroundColor: string };
          };
          const seen = new Map<string, { text: string; color: string; background: string }>();
          for (const el of els as unknown as { className: string; innerText: string }[]) {
            const style = view.getComputedStyle(el);
            seen.set(el.className, {
              text: el.innerText,
              color: style.color,
              background: style.backgroundColor,
            });
          }
          return [...seen.entries()];
        });
      const screen = await badges();
      // Every spec status and every evidence status of the fixture has a badge.
      const classes = screen.map(([c]) => c);
      for (const s of SPEC_STATUSES) expect(classes).toContain(`badge s-${s}`);
      for (const s of ["PASS", "FAIL", "WARN", "UNKNOWN", "MISSING"]) {
        expect(classes).toContain(`badge e-${s}`);
      }
      for (const [cls, b] of screen) {
        expect(b.text.trim()).not.toBe("");
        const ratio = contrast(b.color, b.background);
        if (ratio < 4.5) throw new Error(`${cls}: contrast ${ratio.toFixed(2)} < 4.5`);
      }
      for (const s of SPEC_STATUSES) {
        const [, b] = screen.find(([c]) => c === `badge s-${s}`)!;
        expect(b.text).toBe(STATUS_WORDS[s]);
      }
      await page.emulateMedia({ media: "print" });
      for (const [, b] of await badges()) {
        expect([b.color, b.background]).toEqual(["rgb(0, 0, 0)", "rgb(255, 255, 255)"]);
      }
    } finally {
      await context.close();
    }
  });

  test("takes a full-page screenshot", async () => {
    const { context, page } = await open(url, { javaScriptEnabled: false });
    try {
      const png = join(dir, "report.png");
      await page.screenshot({ path: png, fullPage: true });
      const bytes = readFileSync(png);
      const { width, height } = pngSize(bytes);
      expect(width).toBe(1280);
      expect(height).toBeGreaterThan(5000); // the whole report, not one screen
      expect(bytes.length).toBeGreaterThan(100_000); // text and colour, not a blank page
    } finally {
      await context.close();
    }
  });

  test("scripts/report-screenshot.js writes the README's screenshot; refuses bad input with exit 2", () => {
    const script = join(ROOT, "scripts", "report-screenshot.js");
    const out = join(dir, "first-screens.png");
    const env = { ...process.env, IMGSEC_CHROMIUM: CHROMIUM };
    const ok = spawnSync(process.execPath, [script, file, out], { encoding: "utf8", env });
    expect(ok.stderr).toMatch(/^report-screenshot: wrote /);
    expect(ok.status).toBe(0);
    expect(pngSize(readFileSync(out))).toEqual({ width: 1280, height: 1600 });
    expect(statSync(out).size).toBeGreaterThan(50_000);

    const missing = spawnSync(process.execPath, [script, join(dir, "nope.html"), out], {
      encoding: "utf8",
      env,
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split("\n")).toEqual([
      "report-screenshot: cannot read the report: ENOENT",
    ]);
    const usage = spawnSync(process.execPath, [script, file], { encoding: "utf8", env });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^report-screenshot: usage: /);
  });

  test("prints to an A4 PDF whose text holds every citation, one section a page", async () => {
    const { context, page } = await open(url, { javaScriptEnabled: false });
    try {
      // A filter checked on screen does not reduce the print.
      await page.locator('label[for="filter-attested"]').click();
      const pdfFile = join(dir, "report.pdf");
      await page.pdf({ path: pdfFile, format: "A4", printBackground: true });
      const pdf = readFileSync(pdfFile);
      expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
      const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString("latin1"));
      expect(box).not.toBeNull();
      expect(Math.abs(Number(box![1]) - 595.28)).toBeLessThan(2); // A4: 210 mm
      expect(Math.abs(Number(box![2]) - 841.89)).toBeLessThan(2); // 297 mm

      const text = pdfText(pdfFile);
      for (const spec of report.specifications) expect(text).toContain(spec.citation);
      for (const s of SPEC_STATUSES) expect(text).toContain(STATUS_WORDS[s]);
      // As text (lines may break anywhere in a table cell, so compare without whitespace).
      expect(text.replace(/\s+/g, "")).toContain(
        'enable_log_file_validationisfalse<script>alert("x")</script>&"quoted",=cmd',
      );
      expect(text).not.toContain("Show only");

      // Each part starts a page, and so does each Security Rule section after the first (which
      // follows the Specifications heading on its page).
      const pages = text.split("\f").filter((p) => p.trim() !== "");
      const lines = pages.map((p) =>
        p
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l !== ""),
      );
      const firstLines = lines.map((l) => l[0]);
      const sections = SECTIONS.map(([prefix, title]) => `${prefix} ${title}`);
      for (const heading of [
        "Evidence",
        "De-identification runs",
        "Specifications",
        ...sections.slice(1),
        "Safe Harbor: 164.514(b)(2)",
        "Attestation problems",
      ]) {
        expect({ heading, pages: firstLines.filter((l) => l === heading).length }).toEqual({
          heading,
          pages: 1,
        });
      }
      const specificationsPage = lines[firstLines.indexOf("Specifications")];
      expect(specificationsPage).toContain(sections[0]);
      expect(firstLines[0]).toBe("45 CFR PART 164, SUBPART C");
    } finally {
      await context.close();
    }
  });
});
