/**
 * The object store over a local folder: a key is a relative path under the root, and never
 * reaches outside it (no `..`, no absolute path, no symbolic link followed anywhere below the
 * root). Writes never overwrite: the object is written under a temporary name, fsync'ed and
 * committed with a hard link that fails if the name is taken (commitNoClobberDurably).
 *
 * Version id: inode, modification time (ns) and size of the file, which change whenever it is
 * replaced (a new inode) or rewritten (a new mtime). Reading one needs no pass over the content.
 *
 * Metadata and tags live in a sidecar, `<root>/.imgsec-store/meta/<h>/<version id>.json` (h: a
 * digest of the key), written durably *before* the object is committed and valid only for that
 * version: the object appears with its metadata already in place (a hard link keeps the inode and
 * mtime, so the version id does not change on commit), a losing writer's sidecar names a version
 * that never became current, and a file replaced by other means (a user's copy) reads as having
 * no metadata rather than someone else's. A crash can leave an unused sidecar, never a wrong one.
 */
import { createHash } from "node:crypto";
import {
  BigIntStats,
  close,
  constants,
  fstat,
  open,
  promises as fsp,
  realpathSync,
  mkdirSync,
  statSync,
  write,
} from "node:fs";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { DirSync, commitNoClobberDurably, tempNameFor } from "../fs/atomic";
import {
  CopyOptions,
  DeleteOptions,
  Metadata,
  ObjectHead,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  StoreError,
  StoredObject,
  Tags,
  keyRef,
} from "./types";
import {
  RESERVED_ROOT,
  TEMP_NAME,
  checkKey,
  checkMetadata,
  checkPrefix,
  checkTags,
  compareKeys,
} from "./validate";

const openFd = promisify(open);
const closeFd = promisify(close);
const fstatBig = (fd: number) =>
  new Promise<BigIntStats>((res, rej) =>
    fstat(fd, { bigint: true }, (e, st) => (e ? rej(e) : res(st))),
  );
const writeFd = (fd: number, buf: Buffer, off: number, len: number) =>
  new Promise<number>((res, rej) =>
    write(fd, buf, off, len, null, (e, n) => (e ? rej(e) : res(n))),
  );

// Not every platform has O_NOFOLLOW; where it lacks it, the lstat walk still refuses links.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export interface LocalStoreOptions {
  /** Mode of the files written; default 0600 (identified or de-identified images, packages). */
  fileMode?: number;
  /** Mode of the folders created; default 0700. */
  dirMode?: number;
  /** Create the root folder if it does not exist (mode dirMode). */
  create?: boolean;
}

interface Sidecar {
  sha256?: string;
  metadata: Metadata;
  tags: Tags;
  contentType?: string;
}

const SIDECAR_FORMAT = "imgsec-store-meta";

/** The version id of a file (see the module comment). */
function versionOf(st: BigIntStats): string {
  return `${st.ino.toString(36)}.${st.mtimeNs.toString(36)}.${st.size.toString(36)}`;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code ?? "";

/** A file-system error as a StoreError: the action, the key's ref and the errno code only. */
function fsError(e: unknown, action: string, key: string): StoreError {
  if (e instanceof StoreError) return e;
  const code = errno(e);
  const where = `cannot ${action} object ${keyRef(key)}`;
  if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR")
    return new StoreError(`${where}: not found`, "not-found");
  if (code === "ELOOP") return new StoreError(`${where}: it is a symbolic link`, "invalid");
  if (code === "EACCES" || code === "EPERM") return new StoreError(`${where}: ${code}`, "denied");
  if (code === "EAGAIN" || code === "EMFILE" || code === "ENFILE" || code === "EBUSY")
    return new StoreError(`${where}: ${code}`, "unavailable");
  return new StoreError(`${where}: ${code || "error"}`, "io");
}

function destroyBody(body: Readable | Buffer, err?: Error): void {
  if (body instanceof Readable && !body.destroyed) body.destroy(err);
}

async function writeAll(fd: number, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length; ) off += await writeFd(fd, chunk, off, chunk.length - off);
}

export class LocalObjectStore implements ObjectStore {
  readonly name = "local folder";
  readonly relaxedControls: readonly string[];
  private readonly root: string;
  private readonly fileMode: number;
  private readonly dirMode: number;
  private readonly dirSyncs = new Map<string, DirSync>();

  constructor(root: string, opts: LocalStoreOptions = {}) {
    this.fileMode = opts.fileMode ?? 0o600;
    this.dirMode = opts.dirMode ?? 0o700;
    const relaxed: string[] = [];
    if (this.fileMode & 0o077)
      relaxed.push(`fileMode ${this.fileMode.toString(8)} (group or others may read objects)`);
    if (this.dirMode & 0o077)
      relaxed.push(`dirMode ${this.dirMode.toString(8)} (group or others may list keys)`);
    this.relaxedControls = relaxed;
    try {
      if (opts.create) mkdirSync(root, { recursive: true, mode: this.dirMode });
      this.root = realpathSync(root);
      if (!statSync(this.root).isDirectory()) throw Object.assign(new Error(), { code: "ENOTDIR" });
    } catch (e) {
      throw new StoreError(`cannot use the store's root folder: ${errno(e) || "error"}`, "invalid");
    }
  }

  /**
   * The path of `key`, refusing any symbolic link on the way: every folder between the root and
   * the object is lstat'ed. With `create`, missing folders are made (dirMode). Returns undefined
   * when a folder on the way is missing (and not created) or is a file.
   */
  private async pathOf(key: string, create: boolean): Promise<string | undefined> {
    const segments = checkKey(key);
    let dir = this.root;
    for (const s of segments.slice(0, -1)) {
      dir = join(dir, s);
      let st;
      try {
        st = await fsp.lstat(dir);
      } catch (e) {
        if (errno(e) !== "ENOENT") throw fsError(e, "reach", key);
        if (!create) return undefined;
        try {
          await fsp.mkdir(dir, { mode: this.dirMode });
        } catch (e2) {
          if (errno(e2) !== "EEXIST") throw fsError(e2, "create a folder for", key);
        }
        st = await fsp.lstat(dir);
      }
      if (st.isSymbolicLink())
        throw new StoreError(
          `object ${keyRef(key)} is not acceptable: its path goes through a symbolic link`,
          "invalid",
        );
      if (!st.isDirectory()) {
        if (create)
          throw new StoreError(
            `cannot write object ${keyRef(key)}: a file stands where its folder would be`,
            "invalid",
          );
        return undefined;
      }
    }
    return join(dir, segments[segments.length - 1]);
  }

  private metaDir(key: string): string {
    const h = createHash("sha256").update(`imgsec-store-meta\0${key}`).digest("hex");
    return join(this.root, RESERVED_ROOT, "meta", h.slice(0, 2), h);
  }

  private dirSync(dir: string): DirSync {
    let s = this.dirSyncs.get(dir);
    if (!s) {
      if (this.dirSyncs.size > 1024) this.dirSyncs.clear();
      s = new DirSync(dir);
      this.dirSyncs.set(dir, s);
    }
    return s;
  }

  /** The sidecar of this version of `key`, or an empty one when there is none (or it is bad). */
  private async readSidecar(key: string, versionId: string): Promise<Sidecar> {
    let text: string;
    try {
      text = await fsp.readFile(join(this.metaDir(key), `${versionId}.json`), "utf8");
    } catch {
      return { metadata: {}, tags: {} };
    }
    try {
      const d = JSON.parse(text) as Partial<Sidecar> & { format?: string };
      if (d.format !== SIDECAR_FORMAT) throw new Error("not a sidecar");
      const metadata = d.metadata ?? {};
      const tags = d.tags ?? {};
      checkMetadata(metadata);
      checkTags(tags);
      return {
        sha256: typeof d.sha256 === "string" ? d.sha256 : undefined,
        metadata,
        tags,
        contentType: typeof d.contentType === "string" ? d.contentType : undefined,
      };
    } catch {
      // A damaged sidecar is no metadata, never an error: the object itself is what counts.
      return { metadata: {}, tags: {} };
    }
  }

  /**
   * Writes a sidecar durably, through the no-clobber commit (fsync on the thread pool, folder
   * fsync shared). The name holds the version id of a file this call holds open, so a sidecar
   * already there is a crash's leftover for a file that no longer exists: it is replaced.
   */
  private async writeSidecar(key: string, versionId: string, side: Sidecar): Promise<string> {
    const dir = this.metaDir(key);
    await fsp.mkdir(dir, { recursive: true, mode: this.dirMode });
    const path = join(dir, `${versionId}.json`);
    const data = Buffer.from(JSON.stringify({ format: SIDECAR_FORMAT, version: 1, ...side }));
    for (let attempt = 0; ; attempt++) {
      const tmp = tempNameFor(path);
      const fd = await openFd(tmp, "wx", this.fileMode);
      try {
        await writeAll(fd, data);
      } catch (e) {
        await closeFd(fd).catch(() => undefined);
        await fsp.rm(tmp, { force: true });
        throw e;
      }
      const opts = { fd, mode: this.fileMode, exact: true, dir: this.dirSync(dir) };
      if ((await commitNoClobberDurably(tmp, path, opts)) === "committed") return path;
      await fsp.rm(tmp, { force: true });
      if (attempt > 0) throw new StoreError(`cannot write the metadata of ${keyRef(key)}`, "io");
      await fsp.rm(path, { force: true });
    }
  }

  async open(key: string, opts: { versionId?: string } = {}): Promise<StoredObject> {
    const path = await this.pathOf(key, false);
    if (!path) throw new StoreError(`cannot open object ${keyRef(key)}: not found`, "not-found");
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(path, constants.O_RDONLY | O_NOFOLLOW);
    } catch (e) {
      throw fsError(e, "open", key);
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile())
        throw new StoreError(`cannot open object ${keyRef(key)}: not found`, "not-found");
      const versionId = versionOf(st);
      if (opts.versionId !== undefined && opts.versionId !== versionId)
        throw new StoreError(
          `object ${keyRef(key)} is not at the version asked for`,
          "version-mismatch",
        );
      const side = await this.readSidecar(key, versionId);
      return openObject(fh, key, {
        key,
        size: Number(st.size),
        versionId,
        etag: side.sha256 ?? `version:${versionId}`,
        lastModified: new Date(Number(st.mtimeMs)),
        metadata: side.metadata,
        tags: side.tags,
        contentType: side.contentType,
      });
    } catch (e) {
      await fh.close();
      throw fsError(e, "open", key);
    }
  }

  async head(key: string, opts: { versionId?: string } = {}): Promise<ObjectHead | undefined> {
    let obj: StoredObject;
    try {
      obj = await this.open(key, opts);
    } catch (e) {
      if (e instanceof StoreError && e.code === "not-found") return undefined;
      throw e;
    }
    await obj.close();
    const { key: k, size, versionId, etag, lastModified, metadata, tags, contentType } = obj;
    return { key: k, size, versionId, etag, lastModified, metadata, tags, contentType };
  }

  async putIfAbsent(
    key: string,
    body: Readable | Buffer,
    opts: PutOptions = {},
  ): Promise<PutResult> {
    let fd: number | undefined;
    let tmp: string | undefined;
    let sidecar: string | undefined;
    try {
      checkMetadata(opts.metadata);
      checkTags(opts.tags);
      const target = await this.pathOf(key, true);
      if (!target) throw new StoreError(`cannot write object ${keyRef(key)}`, "io");
      // Already there: no need to write it all only to find out at the commit.
      if (await pathTaken(target)) {
        destroyBody(body);
        return { status: "exists" };
      }
      tmp = tempNameFor(target);
      fd = await openFd(tmp, "wx", this.fileMode);
      const hash = createHash("sha256");
      if (Buffer.isBuffer(body)) {
        hash.update(body);
        await writeAll(fd, body);
      } else {
        for await (const chunk of body) {
          const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
          hash.update(b);
          await writeAll(fd, b);
        }
      }
      const versionId = versionOf(await fstatBig(fd));
      const etag = hash.digest("hex");
      sidecar = await this.writeSidecar(key, versionId, {
        sha256: etag,
        metadata: opts.metadata ?? {},
        tags: opts.tags ?? {},
        ...(opts.contentType ? { contentType: opts.contentType } : {}),
      });
      const handle = fd;
      fd = undefined; // the commit closes it
      const r = await commitNoClobberDurably(tmp, target, {
        fd: handle,
        mode: this.fileMode,
        exact: true,
        dir: this.dirSync(dirname(target)),
      });
      if (r === "exists") {
        await fsp.rm(tmp, { force: true });
        await fsp.rm(sidecar, { force: true });
        return { status: "exists" };
      }
      return { status: "created", etag, versionId };
    } catch (e) {
      destroyBody(body);
      if (fd !== undefined) await closeFd(fd).catch(() => undefined);
      if (tmp) await fsp.rm(tmp, { force: true }).catch(() => undefined);
      if (sidecar) await fsp.rm(sidecar, { force: true }).catch(() => undefined);
      throw fsError(e, "write", key);
    }
  }

  async copy(from: string, to: string, opts: CopyOptions = {}): Promise<"created" | "exists"> {
    // The target first: a retry after the source was removed still answers "exists".
    if (await this.head(to)) return "exists";
    const src = await this.open(from, { versionId: opts.sourceVersionId });
    try {
      if (opts.sourceEtag !== undefined && opts.sourceEtag !== src.etag)
        throw new StoreError(
          `cannot copy object ${keyRef(from)}: it changed since it was read`,
          "version-mismatch",
        );
      const r = await this.putIfAbsent(to, src.stream(), {
        metadata: opts.metadata ?? src.metadata,
        tags: opts.tags ?? src.tags,
        contentType: src.contentType,
      });
      return r.status === "created" ? "created" : "exists";
    } finally {
      await src.close();
    }
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<"deleted" | "changed" | "absent"> {
    const path = await this.pathOf(key, false);
    if (!path) return "absent";
    if (opts.ifMatch !== undefined) {
      const h = await this.head(key);
      if (!h) return "absent";
      if (h.etag !== opts.ifMatch) return "changed";
    }
    let versionId: string;
    try {
      const st = await fsp.lstat(path, { bigint: true });
      if (st.isSymbolicLink())
        throw new StoreError(
          `cannot delete object ${keyRef(key)}: it is a symbolic link`,
          "invalid",
        );
      if (!st.isFile()) return "absent";
      versionId = versionOf(st);
      await fsp.unlink(path);
    } catch (e) {
      if (errno(e) === "ENOENT") return "absent";
      throw fsError(e, "delete", key);
    }
    await this.dirSync(dirname(path)).sync();
    // Only this version's sidecar: a writer creating the key anew meanwhile keeps its own.
    await fsp.rm(join(this.metaDir(key), `${versionId}.json`), { force: true });
    return "deleted";
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    // Start in the deepest folder the prefix names whole.
    const cut = prefix.lastIndexOf("/");
    const base = cut >= 0 ? prefix.slice(0, cut) : "";
    let dir = this.root;
    for (const s of base ? base.split("/") : []) {
      dir = join(dir, s);
      try {
        const st = await fsp.lstat(dir);
        if (!st.isDirectory() || st.isSymbolicLink()) return;
      } catch (e) {
        if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return;
        throw fsError(e, "list", prefix);
      }
    }
    yield* this.walk(dir, base ? `${base}/` : "", prefix);
  }

  private async *walk(dir: string, keyPrefix: string, prefix: string): AsyncIterable<ObjectInfo> {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw fsError(e, "list", prefix);
    }
    // S3 order: a folder's keys all start with "<name>/", so it sorts as that.
    const sortName = (e: (typeof entries)[number]) => e.name + (e.isDirectory() ? "/" : "");
    entries.sort((a, b) => compareKeys(sortName(a), sortName(b)));
    for (const e of entries) {
      if (keyPrefix === "" && e.name === RESERVED_ROOT) continue;
      if (TEMP_NAME.test(e.name)) continue;
      const key = keyPrefix + e.name;
      if (e.isDirectory()) {
        const folder = `${key}/`;
        if (folder.startsWith(prefix) || prefix.startsWith(folder))
          yield* this.walk(join(dir, e.name), folder, prefix);
      } else if (e.isFile() && key.startsWith(prefix)) {
        // Symbolic links and special files are not objects (inputs stay inside the root).
        let st;
        try {
          st = await fsp.lstat(join(dir, e.name));
        } catch (err) {
          if (errno(err) === "ENOENT") continue; // removed while listing
          throw fsError(err, "list", prefix);
        }
        yield { key, size: st.size, lastModified: st.mtime };
      }
    }
  }
}

async function pathTaken(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (e) {
    if (errno(e) === "ENOENT") return false;
    throw e;
  }
}

/** A StoredObject over an open file handle: reads and streams of that inode only. */
function openObject(fh: fsp.FileHandle, key: string, head: ObjectHead): StoredObject {
  const size = head.size;
  let closed = false;
  return {
    ...head,
    async read(offset: number, length: number): Promise<Buffer> {
      const n = Math.max(0, Math.min(length, size - offset));
      const out = Buffer.allocUnsafe(n);
      let done = 0;
      try {
        while (done < n) {
          const { bytesRead } = await fh.read(out, done, n - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
      } catch (e) {
        throw fsError(e, "read", key);
      }
      return done === n ? out : out.subarray(0, done);
    },
    stream(range = {}): Readable {
      const start = range.start ?? 0;
      const end = Math.min(range.end ?? size, size);
      if (start >= end) return Readable.from([], { objectMode: false });
      // Positional reads of this handle (start given), left open for other reads and streams.
      return fh.createReadStream({ start, end: end - 1, autoClose: false });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}
