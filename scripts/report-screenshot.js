#!/usr/bin/env node
"use strict";
// A screenshot of an imgsec compliance report (HTML) for the README, taken with the headless
// Chromium that scripts/setup-browser.sh installs, driven by playwright-core (a devDependency):
//
//   node scripts/report-screenshot.js <report.html> <out.png> [--full-page] [--screens N]
//
// By default the first two screens (1280x1600 CSS pixels at 1x) - the title and the summary; with
// --full-page the whole report. The page loads from file:// with JavaScript off, and every request
// but the file itself is refused (the report makes none; a request is an error). Writes to a
// temporary name, then renames. Exit 0 ok, 2 unusable input or no browser.
const { existsSync, renameSync, rmSync, statSync } = require("node:fs");
const { basename, dirname, join, resolve } = require("node:path");
const { pathToFileURL } = require("node:url");
const { spawnSync } = require("node:child_process");

const WIDTH = 1280;
const SCREEN_HEIGHT = 800;

function fail(message) {
  process.stderr.write(`report-screenshot: ${message}\n`);
  process.exit(2);
}

/** Debian's real binary first (its /usr/bin/chromium is a launcher script), then PATH. */
function findChromium() {
  const fromEnv = process.env.IMGSEC_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  if (existsSync("/usr/lib/chromium/chromium")) return "/usr/lib/chromium/chromium";
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

function parseArgs(argv) {
  const files = [];
  let fullPage = false;
  let screens = 2;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--full-page") fullPage = true;
    else if (a === "--screens") {
      screens = Number(argv[++i]);
      if (!Number.isInteger(screens) || screens < 1 || screens > 50) {
        fail("--screens must be a whole number from 1 to 50");
      }
    } else if (a.startsWith("-")) fail(`unknown option ${a}`);
    else files.push(a);
  }
  if (files.length !== 2) {
    fail(
      "usage: node scripts/report-screenshot.js <report.html> <out.png> [--full-page] [--screens N]",
    );
  }
  return { input: resolve(files[0]), output: resolve(files[1]), fullPage, screens };
}

async function main() {
  const { input, output, fullPage, screens } = parseArgs(process.argv.slice(2));
  let size;
  try {
    size = statSync(input);
  } catch (e) {
    fail(`cannot read the report: ${e.code ?? "error"}`);
  }
  if (!size.isFile()) fail("the report is not a file");
  if (!output.endsWith(".png")) fail("the output must be a .png file");
  const executablePath = findChromium();
  if (!executablePath)
    fail("chromium not found (run scripts/setup-browser.sh, or set IMGSEC_CHROMIUM)");
  let chromium;
  try {
    ({ chromium } = require("playwright-core"));
  } catch {
    fail("playwright-core is not installed (npm ci installs it: a devDependency)");
  }

  const url = pathToFileURL(input).href;
  // The sandbox needs user namespaces or a setuid helper, which containers and root lack; the
  // page is a local file whose CSP forbids every load, with JavaScript off.
  const browser = await chromium.launch({ executablePath, headless: true, chromiumSandbox: false });
  const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp.png`);
  try {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: WIDTH, height: SCREEN_HEIGHT * screens },
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    const others = [];
    await page.route("**/*", (route) => {
      if (route.request().url() === url) return route.continue();
      others.push(route.request().url());
      return route.abort();
    });
    const response = await page.goto(url, { waitUntil: "load" });
    if (!response || !response.ok()) fail("the report did not load");
    if (others.length > 0) fail(`the report made ${others.length} request(s) besides itself`);
    await page.screenshot({ path: tmp, fullPage, type: "png" });
    renameSync(tmp, output);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    await browser.close();
  }
  process.stderr.write(`report-screenshot: wrote ${output} (${statSync(output).size} bytes)\n`);
}

main().catch((e) => {
  process.stderr.write(
    `report-screenshot: ${String(e && e.message ? e.message.split("\n")[0] : e)}\n`,
  );
  process.exit(2);
});
