import { mkdtempSync, renameSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Builds a directory under a temporary name beside `target`, then swaps it into place, so a failed
 * or interrupted run never leaves a half-written output.
 */
export function replaceDirAtomically(target: string, build: (tmp: string) => void): void {
  const parent = dirname(target);
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    build(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  let old: string | undefined;
  if (existsSync(target)) {
    old = join(parent, `.${basename(target)}.old-${process.pid}-${Date.now()}`);
    renameSync(target, old);
  }
  renameSync(tmp, target);
  if (old) rmSync(old, { recursive: true, force: true });
}

/** Writes a file under a temporary name in the same directory, then renames it into place. */
export function writeFileAtomically(target: string, data: string | Buffer, mode = 0o644): void {
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  try {
    writeFileSync(tmp, data, { mode, flag: "wx" });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
