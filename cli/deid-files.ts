import {
  createReadStream,
  createWriteStream,
  lstatSync,
  readdirSync,
  readlinkSync,
  realpathSync,
} from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DeidResult } from "../handlers/dicom";
import { writeAtomicallyFrom } from "../handlers/fs/atomic";
import { fsError } from "./errors";

/** The input no longer has the bytes the scan saw (truncated or replaced while being read). */
export class InputChangedError extends Error {
  constructor() {
    super("the input changed while it was read");
  }
}

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
 * Writes a de-identified result: header bytes and copied source ranges, to a temporary name in
 * the output folder, fsync'ed and renamed to `<name>` only when complete (handlers/fs/atomic).
 */
export async function writeResult(
  inputPath: string,
  result: Extract<DeidResult, { status: "deidentified" }>,
  outDir: string,
  name: string,
): Promise<number> {
  let written = 0;
  // One pipeline from a generator of the parts: every read and write error reaches the await.
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const part of result.parts) {
      if ("bytes" in part) {
        written += part.bytes.length;
        yield part.bytes;
      } else if (part.length > 0) {
        let copied = 0;
        for await (const chunk of createReadStream(inputPath, {
          start: part.sourceOffset,
          end: part.sourceOffset + part.length - 1,
          highWaterMark: 1 << 20,
        }) as AsyncIterable<Buffer>) {
          copied += chunk.length;
          yield chunk;
        }
        // A file cut short since it was scanned would give a shorter, broken output.
        if (copied !== part.length) throw new InputChangedError();
        written += copied;
      }
    }
  }
  await writeAtomicallyFrom(join(outDir, name), { mode: 0o644 }, (tmp) =>
    pipeline(Readable.from(chunks()), createWriteStream(tmp, { flags: "wx", mode: 0o644 })),
  );
  return written;
}
