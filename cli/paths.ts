/**
 * The folders a command is given: the inputs under a folder (sorted, symlinks not followed), how
 * to name an input in a report, and where a path really is (symlinks resolved) to keep outputs out
 * of inputs. Errors are one line and name no path unless --show-paths.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { errnoCode, fsError } from "./errors";

export interface ListOptions {
  /** Name paths in errors (--show-paths); by default errors say "input" and a position. */
  showPaths?: boolean;
  /** 1-based position of this input among several given (verify-package a b c). */
  position?: number;
}

/**
 * Every regular file under `input` (or `input` itself), sorted, never descending into `exclude`.
 * A folder that cannot be read stops the run (exit 2): the inputs would be incomplete. Errors name
 * no path unless --show-paths.
 */
export function listInputs(input: string, exclude: string, opts: ListOptions = {}): string[] {
  const root = resolve(input);
  const skip = resolve(exclude);
  const which = opts.position !== undefined ? `input #${opts.position}` : "input";
  let st;
  try {
    st = lstatSync(root);
  } catch (e) {
    throw fsError(e, `cannot read ${which}`, { path: input, showPaths: opts.showPaths });
  }
  if (st.isFile()) return [root];
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      const phrase = dir === root ? `cannot read ${which}` : `cannot read a folder in ${which}`;
      throw fsError(e, phrase, { path: dir, showPaths: opts.showPaths });
    }
    for (const name of names) {
      const p = join(dir, name);
      if (p === skip || p.startsWith(skip + sep)) continue;
      let s;
      try {
        s = lstatSync(p);
      } catch (e) {
        throw fsError(e, `cannot read a file in ${which}`, {
          path: p,
          showPaths: opts.showPaths,
        });
      }
      if (s.isDirectory()) walk(p);
      else if (s.isFile()) out.push(p); // symlinks are not followed: inputs stay where they are
    }
  };
  walk(root);
  return out;
}

export function displayPath(input: string, file: string): string {
  return relative(resolve(input), file) || file;
}

/**
 * The real path of `p`, whether or not it exists yet: symlinks (dangling ones too), `..`, relative
 * paths and trailing slashes resolved on the part that exists, the rest appended.
 */
export function realPathOf(p: string, hops = 0): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    // does not exist (yet), or a dangling symlink: resolve the parent, then this name
  }
  const parent = dirname(abs);
  if (parent === abs) return abs;
  const here = join(realPathOf(parent, hops), basename(abs));
  try {
    if (hops < 40 && lstatSync(here).isSymbolicLink())
      return realPathOf(resolve(dirname(here), readlinkSync(here)), hops + 1);
  } catch {
    // nothing there: the name stays as it is
  }
  return here;
}

/** Whether `p` is `dir` or under it, by real path. */
export function isWithin(p: string, dir: string): boolean {
  const a = realPathOf(p);
  const b = realPathOf(dir);
  return a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
}

/**
 * The names in the output folder (outputs of earlier runs, or anything else there), read once
 * before the run, and how many of them are regular `.dcm` files (not temporary dot names): a name
 * already there is never written over, and with this list no input has to look it up on disk
 * first (another process may still take a name meanwhile: the no-clobber commit sees that).
 * Empty when the folder does not exist yet.
 */
export function outputFolderNames(
  outDir: string,
  showPaths?: boolean,
): { names: Set<string>; outputs: number } {
  try {
    const entries = readdirSync(outDir, { withFileTypes: true });
    const outputs = entries.filter(
      (d) => d.isFile() && d.name.endsWith(".dcm") && !d.name.startsWith("."),
    ).length;
    return { names: new Set(entries.map((d) => d.name)), outputs };
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return { names: new Set(), outputs: 0 };
    throw fsError(e, "cannot read the output folder", { path: outDir, showPaths });
  }
}
