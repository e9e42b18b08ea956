/**
 * "Write to a temporary name, then rename", done durably. The data is fsync'ed before the rename
 * and the directory after it, so after a crash or a power cut the target is either the previous
 * file or the whole new one, never empty or half-written; a failed write leaves no temporary file.
 * Every such write in imgsec (reports, PEM files, the key file, the pseudonym mapping, de-identified
 * outputs, packages, synthesized stacks) goes through this module.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

export interface AtomicOptions {
  /** Mode of the new file (default 0644, the umask applies unless `exact`). */
  mode?: number;
  /** Set exactly `mode`, whatever the umask: private files (keys, mappings, plaintext). */
  exact?: boolean;
}

// Errors from fsync on a directory where the platform or file system cannot do it: the file's own
// fsync already ran, which is all such a platform offers.
const DIR_FSYNC_UNSUPPORTED = new Set(["EISDIR", "EINVAL", "ENOTSUP", "EPERM", "EBADF", "EACCES"]);

/** A temporary name beside `target` (same directory, so the rename is atomic). */
export function tempNameFor(target: string): string {
  return join(
    dirname(target),
    `.${basename(target)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
}

/** Makes a directory's entries (a rename, a new file) durable. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (e) {
    if (!DIR_FSYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? "")) throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already failing; the original error is the one to report
  }
}

/** fsync (and chmod) a finished temporary file, rename it onto `target`. Closes `fd` if given. */
function commit(tmp: string, target: string, opts: AtomicOptions, fd?: number): void {
  const handle = fd ?? openSync(tmp, "r+");
  try {
    if (opts.exact) fchmodSync(handle, opts.mode ?? 0o644);
    fsyncSync(handle);
  } finally {
    closeSync(handle);
  }
  renameSync(tmp, target);
}

/** Writes `data` to `target` atomically and durably (see the module comment). */
export function writeFileAtomic(
  target: string,
  data: string | Buffer,
  opts: AtomicOptions = {},
): void {
  const tmp = tempNameFor(target);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", opts.mode ?? 0o644);
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    const handle = fd;
    fd = undefined; // commit closes it
    commit(tmp, target, opts, handle);
  } catch (e) {
    closeQuietly(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(target));
}

/**
 * Streams into a temporary name (`write` creates it, e.g. createWriteStream(tmp, {flags: "wx"})),
 * then commits it to `target` as writeFileAtomic does. On any failure the temporary file goes.
 */
export async function writeAtomicallyFrom(
  target: string,
  opts: AtomicOptions,
  write: (tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = tempNameFor(target);
  try {
    await write(tmp);
    commit(tmp, target, opts);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(target));
}

/** fsync every file and directory under `root` (directories after their entries). */
function fsyncTree(root: string): void {
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    const st = lstatSync(p);
    if (st.isDirectory()) fsyncTree(p);
    else if (st.isFile()) {
      const fd = openSync(p, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
  fsyncDir(root);
}

/**
 * Builds a directory under a temporary name beside `target`, makes it durable, then swaps it into
 * place, so a failed or interrupted run never leaves a half-written output.
 */
export function replaceDirAtomically(target: string, build: (tmp: string) => void): void {
  const parent = dirname(target);
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    build(tmp);
    fsyncTree(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  let old: string | undefined;
  if (existsSync(target)) {
    old = join(parent, `.${basename(target)}.old-${process.pid}-${randomBytes(4).toString("hex")}`);
    renameSync(target, old);
  }
  try {
    renameSync(tmp, target);
  } catch (e) {
    // Put the previous output back: the target must never be missing after a failed swap.
    if (old) renameSync(old, target);
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  fsyncDir(parent);
  if (old) rmSync(old, { recursive: true, force: true });
}
