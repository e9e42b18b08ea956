/**
 * dciodvfy (David Clunie's dicom3tools, installed pinned by scripts/setup-dicom-tools.sh) checks a
 * DICOM file against the IOD its SOP Class names: every module, every attribute's Type and
 * condition, value representations, defined terms. These helpers run it and return its Error
 * lines as messages that compare across files (values and file names taken out), so a test can
 * ask "which errors does the output have that the input did not?".
 */
import { spawnSync } from "node:child_process";
import { describeIfAvailable, which } from "./tools";

/** The dciodvfy binary on PATH, or undefined. */
export const DCIODVFY = which("dciodvfy");

/** For describeIfAvailable: skips loudly without dicom3tools, fails under CI=true. */
export const DICOM3TOOLS = {
  name: "dicom3tools",
  available: DCIODVFY !== undefined,
  setup: "scripts/setup-dicom-tools.sh",
};

/** `describe` that runs only when dciodvfy is installed (skips loudly, or fails in CI). */
export function describeWithDciodvfy(title: string, body: () => void): void {
  describeIfAvailable(DICOM3TOOLS, title, body);
}

export interface DciodvfyReport {
  /** The IOD dciodvfy validated against ("RTDose", "EnhancedCTImage", ...), if it named one. */
  iod: string | undefined;
  /** Normalized Error (and Abort) messages, de-duplicated, sorted. */
  errors: string[];
  /** Normalized Warning messages, de-duplicated, sorted. */
  warnings: string[];
  /** Everything dciodvfy printed (stdout and stderr: it writes its findings to stderr). */
  raw: string;
  status: number | null;
}

/**
 * One dciodvfy line as a message that compares across files: the element prefix dciodvfy puts
 * before some lines is kept (the tag), values are taken out (`<...>` after "=", the offending
 * character or length), so the same problem in two files gives the same message, e.g.
 *
 *   Error - Missing attribute Type 1 Required Element=<DoseUnits> Module=<RTDose>
 *   Error - Value invalid for this VR - (0x0008,0x0020) DA Study Date DA [1] = <value> - Character invalid for this VR
 */
export function normalizeDciodvfyLine(line: string): string {
  return line
    .replace(/ = <[^>]*>/g, " = <value>")
    .replace(/( for this VR) = .*$/, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

/** Runs `dciodvfy <file>` and sorts its findings into errors and warnings. */
export function dciodvfy(file: string): DciodvfyReport {
  if (!DCIODVFY) throw new Error("dciodvfy is not installed (run scripts/setup-dicom-tools.sh)");
  const r = spawnSync(DCIODVFY, [file], { encoding: "utf8", timeout: 60_000 });
  const raw = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  const errors = new Set<string>();
  const warnings = new Set<string>();
  let iod: string | undefined;
  for (const line of raw.split("\n")) {
    const t = line.trim();
    if (!t) continue;
    if (/(^|\s)(Error|Abort) - /.test(t)) errors.add(normalizeDciodvfyLine(t));
    else if (/(^|\s)Warning - /.test(t)) warnings.add(normalizeDciodvfyLine(t));
    else if (/^[A-Za-z0-9]+$/.test(t) && iod === undefined) iod = t;
  }
  return {
    iod,
    errors: [...errors].sort(),
    warnings: [...warnings].sort(),
    raw,
    status: r.status,
  };
}

/** Errors in `after` that `before` did not have (normalized messages). */
export function newErrors(before: DciodvfyReport, after: DciodvfyReport): string[] {
  const known = new Set(before.errors);
  return after.errors.filter((e) => !known.has(e));
}
