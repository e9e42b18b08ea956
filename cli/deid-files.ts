import { createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  lstatSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DeidResult } from "../handlers/dicom";
import { swapChunks } from "../handlers/dicom/byteswap";
import { tempNameFor } from "../handlers/fs/atomic";
import { errnoCode, fsError } from "./errors";

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

type Deidentified = Extract<DeidResult, { status: "deidentified" }>;

/** A result's bytes, in order: header bytes and the source ranges copied from the input. */
async function* resultChunks(inputPath: string, result: Deidentified): AsyncGenerator<Buffer> {
  for (const part of result.parts) {
    if ("bytes" in part) {
      yield part.bytes;
    } else if (part.length > 0) {
      let copied = 0;
      const range = createReadStream(inputPath, {
        start: part.sourceOffset,
        end: part.sourceOffset + part.length - 1,
        highWaterMark: 1 << 20,
      }) as AsyncIterable<Buffer>;
      // Big endian input: pixel data swapped to little endian while streaming.
      for await (const chunk of swapChunks(range, "swap" in part ? part.swap : 0)) {
        copied += chunk.length;
        yield chunk;
      }
      // A file cut short since it was scanned would give a shorter, broken output.
      if (copied !== part.length) throw new InputChangedError();
    }
  }
}

/** The SHA-256 digest of some chunks, as they pass through, and their length. */
function hashing(chunks: AsyncIterable<Buffer>) {
  const hash = createHash("sha256");
  const seen = { bytes: 0, digest: () => `sha256:${hash.digest("hex")}` };
  async function* pass(): AsyncGenerator<Buffer> {
    for await (const c of chunks) {
      hash.update(c);
      seen.bytes += c.length;
      yield c;
    }
  }
  return { seen, stream: pass() };
}

/** What a result was written as (or would be): its digest (sha256:<hex>) and size. */
export interface ResultDigest {
  digest: string;
  bytes: number;
}

/**
 * Writes a de-identified result to a temporary name beside `target` (header bytes and copied
 * source ranges, hashed on the way), for commitNoClobber (handlers/fs/atomic) to put in place.
 * On failure the temporary file is removed.
 */
export async function writeResultTemp(
  inputPath: string,
  result: Deidentified,
  target: string,
): Promise<ResultDigest & { tmp: string }> {
  const tmp = tempNameFor(target);
  const { seen, stream } = hashing(resultChunks(inputPath, result));
  try {
    // One pipeline from a generator of the parts: every read and write error reaches the await.
    await pipeline(Readable.from(stream), createWriteStream(tmp, { flags: "wx", mode: 0o644 }));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return { tmp, digest: seen.digest(), bytes: seen.bytes };
}

/** The digest a result would have, without writing it (an output of that name exists already). */
export async function digestResult(inputPath: string, result: Deidentified): Promise<ResultDigest> {
  const { seen, stream } = hashing(resultChunks(inputPath, result));
  for await (const chunk of stream) void chunk;
  return { digest: seen.digest(), bytes: seen.bytes };
}

/**
 * The digest of a file already in the output folder: undefined when nothing is there, "unreadable"
 * (equal to no digest) when it is not a regular file or cannot be read. Symlinks are not followed.
 */
export async function digestExisting(path: string): Promise<string | undefined> {
  try {
    if (!lstatSync(path).isFile()) return "unreadable";
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
    return `sha256:${hash.digest("hex")}`;
  } catch (e) {
    return errnoCode(e) === "ENOENT" ? undefined : "unreadable";
  }
}

/**
 * The regular `.dcm` files directly in the output folder (outputs of earlier runs), not counting
 * temporary (dot) names; 0 when the folder does not exist yet.
 */
export function countOutputs(outDir: string, showPaths?: boolean): number {
  try {
    return readdirSync(outDir, { withFileTypes: true }).filter(
      (d) => d.isFile() && d.name.endsWith(".dcm") && !d.name.startsWith("."),
    ).length;
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return 0;
    throw fsError(e, "cannot read the output folder", { path: outDir, showPaths });
  }
}
