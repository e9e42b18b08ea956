/**
 * The one "temporary name, then rename" helper (handlers/fs/atomic.ts): it fsyncs the file before
 * the rename and the directory after it, leaves no temporary file when it fails, and never leaves
 * a half-written target. And every such write in handlers/ and cli/ goes through it.
 */
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import {
  replaceDirAtomically,
  closedStream,
  writeAtomicallyFrom,
  writeFileAtomic,
} from "../../handlers/fs/atomic";
import { writeFileAtomically } from "../../cli/fs-atomic";
import { PseudonymMapping } from "../../handlers/dicom";
import { initKeyFile } from "../../handlers/keys/keyfile";
import { ROOT } from "../helpers/cli";

// Required, not imported: the spies must replace the properties the helper calls through.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require("node:fs") as typeof import("node:fs");

const dir = () => mkdtempSync(join(tmpdir(), "imgsec-atomic-"));

/** Records which paths were fsync'ed (by fd → path from openSync), in order, while `fn` runs. */
async function fsyncsDuring(fn: () => unknown): Promise<{ synced: string[]; renamed: string[] }> {
  const paths = new Map<number, string>();
  const synced: string[] = [];
  const renamed: string[] = [];
  const events: string[] = [];
  const realOpen = fs.openSync;
  const realFsync = fs.fsyncSync;
  const realRename = fs.renameSync;
  const open = jest.spyOn(fs, "openSync").mockImplementation(((...a: unknown[]) => {
    const fd = realOpen(...(a as Parameters<typeof fs.openSync>));
    paths.set(fd, String(a[0]));
    return fd;
  }) as typeof fs.openSync);
  const fsync = jest.spyOn(fs, "fsyncSync").mockImplementation((fd: number) => {
    synced.push(paths.get(fd) ?? `fd ${fd}`);
    events.push(`fsync ${paths.get(fd)}`);
    return realFsync(fd);
  });
  const rename = jest.spyOn(fs, "renameSync").mockImplementation((from, to) => {
    renamed.push(String(to));
    events.push(`rename ${String(to)}`);
    return realRename(from, to);
  });
  try {
    await fn();
  } finally {
    open.mockRestore();
    fsync.mockRestore();
    rename.mockRestore();
  }
  return { synced, renamed: events };
}

describe("writeFileAtomic", () => {
  test("fsyncs the temporary file, renames it, then fsyncs the directory", async () => {
    const d = dir();
    const target = join(d, "report.json");
    const { synced, renamed: events } = await fsyncsDuring(() =>
      writeFileAtomic(target, '{"ok":true}\n'),
    );
    expect(readFileSync(target, "utf8")).toBe('{"ok":true}\n');
    expect(synced).toHaveLength(2);
    expect(dirname(synced[0])).toBe(d);
    expect(synced[0]).toMatch(/\/\.report\.json\.tmp-\d+-[0-9a-f]{12}$/);
    expect(synced[1]).toBe(d);
    // file fsync, then the rename, then the directory fsync
    expect(events).toEqual([`fsync ${synced[0]}`, `rename ${target}`, `fsync ${d}`]);
    expect(readdirSync(d)).toEqual(["report.json"]);
  });

  test("mode: the umask applies, unless exact", () => {
    const d = dir();
    writeFileAtomic(join(d, "private"), "x", { mode: 0o600, exact: true });
    expect(statSync(join(d, "private")).mode & 0o777).toBe(0o600);
    const old = process.umask(0o077);
    try {
      writeFileAtomic(join(d, "report"), "x", { mode: 0o644 });
      writeFileAtomic(join(d, "exact"), "x", { mode: 0o644, exact: true });
    } finally {
      process.umask(old);
    }
    expect(statSync(join(d, "report")).mode & 0o777).toBe(0o600);
    expect(statSync(join(d, "exact")).mode & 0o777).toBe(0o644);
  });

  test("a write that fails midway leaves the previous file whole and no temporary file", () => {
    const d = dir();
    const target = join(d, "keys.json");
    writeFileSync(target, "previous");
    const realWrite = fs.writeSync;
    let calls = 0;
    const spy = jest.spyOn(fs, "writeSync").mockImplementation(((...a: unknown[]) => {
      if (++calls === 2) throw Object.assign(new Error("ENOSPC"), { code: "ENOSPC" });
      // a short write: the helper must come back for the rest
      const [fd, buf] = a as [number, Buffer];
      return realWrite(fd, buf, a[2] as number, 3);
    }) as typeof fs.writeSync);
    try {
      expect(() => writeFileAtomic(target, Buffer.alloc(100, 0x41))).toThrow("ENOSPC");
    } finally {
      spy.mockRestore();
    }
    expect(readFileSync(target, "utf8")).toBe("previous");
    expect(readdirSync(d)).toEqual(["keys.json"]);
  });

  test("short writes are completed: the whole data lands", () => {
    const d = dir();
    const realWrite = fs.writeSync;
    const spy = jest.spyOn(fs, "writeSync").mockImplementation(((...a: unknown[]) => {
      const [fd, buf, off, len] = a as [number, Buffer, number, number];
      return realWrite(fd, buf, off, Math.min(len, 7));
    }) as typeof fs.writeSync);
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    try {
      writeFileAtomic(join(d, "f"), data);
    } finally {
      spy.mockRestore();
    }
    expect(readFileSync(join(d, "f")).equals(data)).toBe(true);
  });

  test("a failed fsync leaves the previous file and no temporary file", () => {
    const d = dir();
    const target = join(d, "map.json");
    writeFileSync(target, "previous");
    const spy = jest.spyOn(fs, "fsyncSync").mockImplementation(() => {
      throw Object.assign(new Error("EIO"), { code: "EIO" });
    });
    try {
      expect(() => writeFileAtomic(target, "new")).toThrow("EIO");
    } finally {
      spy.mockRestore();
    }
    expect(readFileSync(target, "utf8")).toBe("previous");
    expect(readdirSync(d)).toEqual(["map.json"]);
  });

  test("an unwritable folder: the error goes up, nothing is left", () => {
    const d = dir();
    expect(() => writeFileAtomic(join(d, "missing", "f"), "x")).toThrow(/ENOENT/);
    expect(readdirSync(d)).toEqual([]);
  });
});

describe("writeAtomicallyFrom (streams)", () => {
  test("fsyncs file and directory around the rename", async () => {
    const d = dir();
    const target = join(d, "2.25.1.dcm");
    const { synced, renamed: events } = await fsyncsDuring(() =>
      writeAtomicallyFrom(target, { mode: 0o644 }, (tmp) =>
        pipeline(Readable.from([Buffer.from("abc"), Buffer.from("def")]), createWriteStream(tmp)),
      ),
    );
    expect(readFileSync(target, "utf8")).toBe("abcdef");
    expect(events).toEqual([`fsync ${synced[0]}`, `rename ${target}`, `fsync ${d}`]);
  });

  test("a stream that fails midway: previous target whole, no temporary file", async () => {
    const d = dir();
    const target = join(d, "out.dcm");
    writeFileSync(target, "previous");
    async function* broken() {
      yield Buffer.alloc(1 << 16, 1);
      throw new Error("source went away");
    }
    await expect(
      writeAtomicallyFrom(target, { mode: 0o600, exact: true }, async (tmp) => {
        const out = createWriteStream(tmp, { flags: "wx" });
        try {
          await pipeline(Readable.from(broken()), out);
        } catch (e) {
          await closedStream(out); // the contract: settle once the file is closed
          throw e;
        }
      }),
    ).rejects.toThrow("source went away");
    expect(readFileSync(target, "utf8")).toBe("previous");
    expect(readdirSync(d)).toEqual(["out.dcm"]);
  });
});

describe("replaceDirAtomically", () => {
  test("fsyncs every file and folder it built before swapping it in", async () => {
    const d = dir();
    const target = join(d, "cdktf.out");
    mkdirSync(target);
    writeFileSync(join(target, "old"), "old");
    const { synced } = await fsyncsDuring(() =>
      replaceDirAtomically(target, (tmp) => {
        mkdirSync(join(tmp, "stacks"));
        writeFileSync(join(tmp, "manifest.json"), "{}");
        writeFileSync(join(tmp, "stacks", "cdk.tf.json"), "{}");
      }),
    );
    expect(readdirSync(target).sort()).toEqual(["manifest.json", "stacks"]);
    const names = synced.map((p) => p.replace(/\.cdktf\.out\.tmp-[^/]+/, "TMP").replace(d, "D"));
    expect(names).toEqual(
      expect.arrayContaining([
        "D/TMP/manifest.json",
        "D/TMP/stacks/cdk.tf.json",
        "D/TMP/stacks",
        "D/TMP",
        "D",
      ]),
    );
    expect(readdirSync(d)).toEqual(["cdktf.out"]);
  });

  test("a failed build leaves the previous folder and nothing else", () => {
    const d = dir();
    const target = join(d, "out");
    mkdirSync(target);
    writeFileSync(join(target, "old"), "old");
    expect(() =>
      replaceDirAtomically(target, (tmp) => {
        writeFileSync(join(tmp, "half"), "x");
        throw new Error("synth failed");
      }),
    ).toThrow("synth failed");
    expect(readdirSync(d)).toEqual(["out"]);
    expect(readdirSync(target)).toEqual(["old"]);
  });
});

describe("every atomic write goes through the helper", () => {
  test("reports and PEM files (cli/fs-atomic), the key file and the pseudonym mapping fsync", async () => {
    const d = dir();
    for (const write of [
      () => writeFileAtomically(join(d, "report.sarif"), "{}"),
      () => initKeyFile(join(d, "keys.json")),
      () => new PseudonymMapping().save(join(d, "map.json")),
    ]) {
      const { synced } = await fsyncsDuring(write);
      expect(synced.filter((p) => p === d)).toHaveLength(1);
      expect(synced.filter((p) => /\.tmp-/.test(p))).toHaveLength(1);
    }
    expect(statSync(join(d, "keys.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(d, "map.json")).mode & 0o777).toBe(0o600);
    expect(readdirSync(d).sort()).toEqual(["keys.json", "map.json", "report.sarif"]);
  });

  // handlers/audit and cli/audit.ts belong to the audit log's owners (the writer appends, it does
  // not rename; cli/audit.ts already writes through cli/fs-atomic).
  test("no other rename or whole-file write in handlers/ or cli/", () => {
    const hits = execFileSync(
      "grep",
      ["-rnE", "renameSync|\\.rename\\(|fsp\\.rename|writeFileSync", "handlers", "cli"],
      { cwd: ROOT, encoding: "utf8" },
    )
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("handlers/fs/atomic.ts:"))
      .filter((l) => !l.startsWith("handlers/audit/") && !l.startsWith("cli/audit.ts:"))
      .filter((l) => !/^\S+:\d+:\s*(\/\/|\*)/.test(l)); // comments
    expect(hits).toEqual([]);
  });
});
