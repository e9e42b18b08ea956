/**
 * Headless Chromium and pdftotext (Debian's chromium and poppler-utils, installed pinned by
 * scripts/setup-browser.sh) for the tests that open the compliance report in a real browser,
 * driven by playwright-core, and read back the PDF that Chromium prints.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describeIfAvailable, which } from "./tools";

/**
 * The Chromium binary: IMGSEC_CHROMIUM if set, else Debian's real binary (/usr/bin/chromium is a
 * launcher script around it that reads /etc/chromium.d), else chromium on PATH.
 */
function findChromium(): string | undefined {
  const fromEnv = process.env.IMGSEC_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  if (existsSync("/usr/lib/chromium/chromium")) return "/usr/lib/chromium/chromium";
  return which("chromium") ?? which("chromium-browser");
}

export const CHROMIUM = findChromium();
export const PDFTOTEXT = which("pdftotext");

const missing = [CHROMIUM ? "" : "chromium", PDFTOTEXT ? "" : "pdftotext"].filter((m) => m);

/** For describeIfAvailable: skips loudly naming what is missing, fails under CI=true. */
export const BROWSER = {
  name: missing.length > 0 ? missing.join("/") : "chromium/pdftotext",
  available: missing.length === 0,
  setup: "scripts/setup-browser.sh",
};

/** `describe` that runs only when Chromium and pdftotext are installed. */
export function describeWithBrowser(title: string, body: () => void): void {
  describeIfAvailable(BROWSER, title, body);
}

/**
 * Launch options for playwright-core's `chromium.launch`. The sandbox needs user namespaces or a
 * setuid helper, which containers and root lack; the pages are the tests' own local files.
 */
export function launchOptions(): {
  executablePath: string;
  headless: true;
  chromiumSandbox: false;
} {
  if (!CHROMIUM) throw new Error("chromium is not installed (run scripts/setup-browser.sh)");
  return { executablePath: CHROMIUM, headless: true, chromiumSandbox: false };
}

/** The text of a PDF, pages separated by form feeds (\f), in reading order (pdftotext). */
export function pdfText(file: string): string {
  if (!PDFTOTEXT) throw new Error("pdftotext is not installed (run scripts/setup-browser.sh)");
  const r = spawnSync(PDFTOTEXT, ["-enc", "UTF-8", file, "-"], {
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`pdftotext failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}
