/**
 * "Write to a temporary name, then rename", done durably. The data is fsync'ed before the rename
 * and the directory after it, so after a crash or a power cut the target is either the previous
 * file or the whole new one, never empty or half-written; a failed write leaves no temporary file.
 * Every such write in imgsec (reports, PEM files, the key file, the pseudonym mapping, de-identified
 * outputs, packages, synthesized stacks) goes through this module. De-identified outputs use its
 * no-clobber variant (commitNoClobberDurably, which runs the fsyncs on the thread pool and shares
 * directory fsyncs between commits): a name already taken is never replaced.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsync,
  fsyncSync,
  linkSync,
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
 * `write` must settle only once every handle it opened on `tmp` is closed (see closedStream): a
 * write stream opens its file lazily, and an open that completes after the cleanup would leave
 * the temporary file behind.
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

// link(2) errors of file systems without hard links (FAT, some network and FUSE mounts): the
// no-clobber commit falls back to reserving the name with an exclusive create.
const LINK_UNSUPPORTED = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV", "EMLINK"]);

function removeQuietly(p: string): void {
  try {
    rmSync(p, { force: true });
  } catch {
    // best effort: a leftover temporary (dot) name is harmless, and the commit already happened
  }
}

/**
 * The step of the no-clobber commit that takes the name (see commitNoClobberDurably): false when
 * it is taken (the temporary file stays); `at.placed` is set as soon as something of ours is at
 * `target`, so that a failure after it can take it away.
 */
function placeNoClobber(
  tmp: string,
  target: string,
  opts: AtomicOptions,
  at: { placed: boolean },
): boolean {
  try {
    linkSync(tmp, target);
    at.placed = true;
    removeQuietly(tmp);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (code === "EEXIST") return false;
    if (!LINK_UNSUPPORTED.has(code)) throw e;
  }
  let fd: number;
  try {
    fd = openSync(target, "wx", opts.mode ?? 0o644);
  } catch (e2) {
    if ((e2 as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e2;
  }
  at.placed = true;
  closeSync(fd);
  renameSync(tmp, target);
  return true;
}

/** fsync(2) on libuv's thread pool: the calling thread goes on with other work meanwhile. */
export function fsyncOnPool(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/**
 * Group commit of one directory's entries: `sync()` resolves once an fsync of the directory
 * that started after the call has finished, so every entry made before the call is durable.
 * Calls made while one fsync runs share the next one: many commits, few directory fsyncs.
 */
export class DirSync {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  sync(): Promise<void> {
    this.next ??= (this.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        // From here on, a new call waits for the fsync after this one.
        this.next = undefined;
        const run = this.fsync();
        this.running = run;
        void run
          .catch(() => undefined)
          .then(() => {
            if (this.running === run) this.running = undefined;
          });
        return run;
      });
    return this.next;
  }

  private async fsync(): Promise<void> {
    let fd: number | undefined;
    try {
      fd = openSync(this.dir, "r");
      await fsyncOnPool(fd);
    } catch (e) {
      if (!DIR_FSYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? "")) throw e;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

/**
 * Commits a finished temporary file (written by the caller, beside `target`) to
 * `target` only if nothing is there: it never replaces a file, whoever wrote it (this process,
 * another thread, another process, an earlier run). Returns "committed", or "exists" when
 * `target` was already taken (the temporary file is then left in place, for the caller to remove
 * or to try again).
 *
 * The temporary file is fsync'ed first, then hard-linked to `target` (link(2) fails with EEXIST,
 * atomically, if the name is taken, and the target appears whole or not at all), then unlinked,
 * then the directory is fsync'ed. Where the file system has no hard links, the name is reserved
 * by an exclusive create (O_EXCL) and the temporary file renamed over that placeholder, which is
 * this call's own: a crash in between can leave an empty `target`, never a clobbered one. On any
 * error, nothing this call put at `target` stays, and the temporary file is removed.
 *
 * Without blocking the calling thread on the disk: the temporary file's fsync runs on the thread
 * pool (`fd`, the caller's open descriptor of `tmp`, is used and closed; without it the file is
 * opened), and `dir` (one DirSync per folder, shared by the commits of a run) makes the entry
 * durable. It resolves "committed" only once the file and its name are both on disk, while the
 * caller prepares the next file and the fsyncs of several files overlap.
 */
export async function commitNoClobberDurably(
  tmp: string,
  target: string,
  opts: AtomicOptions & { fd?: number; dir?: DirSync } = {},
): Promise<"committed" | "exists"> {
  const at = { placed: false };
  let fd = opts.fd;
  try {
    try {
      fd ??= openSync(tmp, "r+");
      if (opts.exact) fchmodSync(fd, opts.mode ?? 0o644);
      await fsyncOnPool(fd);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (!placeNoClobber(tmp, target, opts, at)) return "exists";
    await (opts.dir ?? new DirSync(dirname(target))).sync();
    return "committed";
  } catch (e) {
    if (at.placed) removeQuietly(target);
    removeQuietly(tmp);
    throw e;
  }
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

/**
 * Resolves once `stream` has closed (its file handle, if it opened one, released): await it
 * before letting a failed write go up, so the cleanup that follows finds the file it created.
 */
export function closedStream(stream: NodeJS.EventEmitter & { closed?: boolean }): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.once("close", () => resolve()));
}
