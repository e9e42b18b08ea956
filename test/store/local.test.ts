import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { LocalObjectStore, PutOptions, StoreError, quarantine } from "../../handlers/store";
import {
  PHI_KEY,
  PHI_PARTS,
  collect,
  generated,
  generatedBytes,
  readAll,
  storeError,
  tmp,
} from "./helpers";

/** Every file under `dir`, relative, recursively (dot names included). */
function filesUnder(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(dir, p));
    else out.push(p);
  }
  return out.sort();
}

async function text(store: LocalObjectStore, key: string): Promise<string> {
  const obj = await store.open(key);
  try {
    return (await readAll(obj.stream())).toString();
  } finally {
    await obj.close();
  }
}

function expectNoPhi(e: StoreError) {
  for (const part of PHI_PARTS) expect(e.message).not.toContain(part);
  expect(e.message.split("\n")).toHaveLength(1);
}

describe("LocalObjectStore", () => {
  test("writes a streamed object durably and privately, and reads it back by range and stream", async () => {
    const root = tmp();
    const store = new LocalObjectStore(root);
    const body = generatedBytes(3_000_000, "a");
    const r = await store.putIfAbsent(PHI_KEY, generated(3_000_000, "a"), {
      metadata: { "imgsec-outcome": "deidentified" },
      tags: { "imgsec-dataset": "trial-7" },
      contentType: "application/dicom",
    });
    expect(r.status).toBe("created");
    if (r.status !== "created") return;
    expect(r.etag).toBe(createHash("sha256").update(body).digest("hex"));
    expect(readFileSync(join(root, PHI_KEY)).equals(body)).toBe(true);
    expect(lstatSync(join(root, PHI_KEY)).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(root, "DOE^JANE 1961-04-12")).mode & 0o777).toBe(0o700);
    expect(store.relaxedControls).toEqual([]);

    const obj = await store.open(PHI_KEY);
    try {
      expect(obj.size).toBe(body.length);
      expect(obj.versionId).toBe(r.versionId);
      expect(obj.etag).toBe(r.etag);
      expect(obj.metadata).toEqual({ "imgsec-outcome": "deidentified" });
      expect(obj.tags).toEqual({ "imgsec-dataset": "trial-7" });
      expect(obj.contentType).toBe("application/dicom");
      expect((await obj.read(1000, 5000)).equals(body.subarray(1000, 6000))).toBe(true);
      // Fewer bytes only at the end of the object.
      expect((await obj.read(body.length - 10, 100)).equals(body.subarray(-10))).toBe(true);
      expect((await obj.read(body.length + 5, 10)).length).toBe(0);
      const mid = await readAll(obj.stream({ start: 123_456, end: 2_000_001 }));
      expect(mid.equals(body.subarray(123_456, 2_000_001))).toBe(true);
      expect((await readAll(obj.stream())).equals(body)).toBe(true);
      expect((await readAll(obj.stream({ start: 10, end: 10 }))).length).toBe(0);
    } finally {
      await obj.close();
    }
    // No temporary file, and the sidecar's name is a digest, not the key.
    const files = filesUnder(root);
    expect(files.filter((f) => f.includes(".tmp-"))).toEqual([]);
    const sidecars = files.filter((f) => f.startsWith(".imgsec-store/"));
    expect(sidecars).toHaveLength(1);
    for (const part of PHI_PARTS) expect(sidecars[0]).not.toContain(part);
  });

  test("never overwrites: a second write is 'exists' and leaves the first object and its metadata", async () => {
    const store = new LocalObjectStore(tmp());
    await store.putIfAbsent("a/b.dcm", Buffer.from("first"), { metadata: { n: "1" } });
    const second = generated(5_000_000, "second");
    const r = await store.putIfAbsent("a/b.dcm", second, { metadata: { n: "2" } });
    expect(r).toEqual({ status: "exists" });
    expect(second.destroyed).toBe(true); // the body is released, not left half-read
    const h = await store.head("a/b.dcm");
    expect(h?.metadata).toEqual({ n: "1" });
    expect(await text(store, "a/b.dcm")).toBe("first");
  });

  test("writers racing on one key: exactly one creates it, and its metadata is the winner's", async () => {
    const root = tmp();
    const store = new LocalObjectStore(root);
    const writers = Array.from({ length: 8 }, (_, i) =>
      store.putIfAbsent("race/x.imgsec", generated(400_000 + i, `w${i}`), {
        metadata: { writer: String(i) },
      }),
    );
    const results = await Promise.all(writers);
    const created = results.flatMap((r, i) => (r.status === "created" ? [i] : []));
    expect(created).toHaveLength(1);
    const winner = created[0];
    const obj = await store.open("race/x.imgsec");
    expect(obj.size).toBe(400_000 + winner);
    expect(obj.metadata).toEqual({ writer: String(winner) });
    expect((await readAll(obj.stream())).equals(generatedBytes(obj.size, `w${winner}`))).toBe(true);
    await obj.close();
    // The losers removed their temporary files and sidecars.
    const files = filesUnder(root);
    expect(files.filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(files.filter((f) => f.startsWith(".imgsec-store/"))).toHaveLength(1);
  });

  test("a body that fails mid-way leaves no object, no temporary file and no sidecar", async () => {
    const root = tmp();
    const store = new LocalObjectStore(root);
    const e = await storeError(
      store.putIfAbsent(PHI_KEY, generated(10_000_000, "x", { failAt: 3_000_000 })),
    );
    expectNoPhi(e);
    expect(await store.head(PHI_KEY)).toBeUndefined();
    expect(filesUnder(root)).toEqual([]);
  });

  test("keys stay inside the root: .., absolute paths, empty segments and the reserved folder are refused without quoting the key", async () => {
    const root = tmp();
    const store = new LocalObjectStore(root);
    for (const key of [
      "../DOE^JANE.dcm",
      "DOE^JANE/../../x",
      "/etc/DOE^JANE",
      "DOE^JANE//x",
      "DOE^JANE/./x",
      "DOE^JANE/",
      "",
      ".imgsec-store/DOE^JANE",
      "DOE^JANE\nx",
      "DOE^JANE/.x.dcm.tmp-123-0123456789ab",
      "D".repeat(1025),
    ]) {
      const e = await storeError(store.putIfAbsent(key, Buffer.from("x")));
      expect(e.code).toBe("invalid");
      expect(e.message).not.toContain("DOE");
      expect(e.message).toMatch(/ref:[0-9a-f]{12}/);
      expect((await storeError(store.open(key))).code).toBe("invalid");
    }
    expect(filesUnder(root)).toEqual([]);
  });

  test("symbolic links are never followed: not to read, write, list or delete", async () => {
    const root = tmp();
    const outside = tmp();
    writeFileSync(join(outside, "secret.dcm"), "outside");
    symlinkSync(outside, join(root, "DOE^JANE"));
    symlinkSync(join(outside, "secret.dcm"), join(root, "link.dcm"));
    mkdirSync(join(root, "real"));
    writeFileSync(join(root, "real", "in.dcm"), "inside");
    const store = new LocalObjectStore(root);

    const viaDir = await storeError(store.open("DOE^JANE/secret.dcm"));
    expect(viaDir.code).toBe("invalid");
    expectNoPhi(viaDir);
    expect((await storeError(store.open("link.dcm"))).code).toBe("invalid");
    expect((await storeError(store.head("link.dcm"))).code).toBe("invalid");
    const write = await storeError(store.putIfAbsent("DOE^JANE/new.dcm", Buffer.from("x")));
    expect(write.code).toBe("invalid");
    expect(readdirSync(outside)).toEqual(["secret.dcm"]);
    expect((await storeError(store.delete("link.dcm"))).code).toBe("invalid");
    expect(existsSync(join(outside, "secret.dcm"))).toBe(true);
    expect((await collect(store.list())).map((o) => o.key)).toEqual(["real/in.dcm"]);
  });

  test("a pinned version: open refuses another, and metadata belongs to the version that was written", async () => {
    const root = tmp();
    const store = new LocalObjectStore(root);
    const r = await store.putIfAbsent("v.dcm", Buffer.from("one"), { metadata: { v: "1" } });
    if (r.status !== "created") throw new Error("not created");
    expect((await store.head("v.dcm", { versionId: r.versionId }))?.metadata).toEqual({ v: "1" });
    // Rewritten in place by something else: a new version, without our metadata.
    writeFileSync(join(root, "v.dcm"), "two, longer");
    const h = await store.head("v.dcm");
    expect(h?.versionId).not.toBe(r.versionId);
    expect(h?.metadata).toEqual({});
    expect(h?.etag).not.toBe(r.etag);
    const e = await storeError(store.open("v.dcm", { versionId: r.versionId }));
    expect(e.code).toBe("version-mismatch");
    expect(await store.head("missing.dcm")).toBeUndefined();
    expect((await storeError(store.open("missing/x.dcm"))).code).toBe("not-found");
  });

  test("list: every object under a prefix in S3's key order, without the store's own files", async () => {
    const root = tmp();
    const store = new LocalObjectStore(root);
    for (const k of ["a/b", "a-c", "a/bc/d", "a/b2", "ab", "z/y/x", "a/b/../" /* refused */]) {
      await store.putIfAbsent(k, Buffer.from(k)).catch(() => undefined);
    }
    writeFileSync(join(root, "a", ".b.tmp-1-0123456789ab"), "half-written");
    const all = (await collect(store.list())).map((o) => o.key);
    const sorted = [...all].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(all).toEqual(sorted);
    expect(all).toEqual(["a-c", "a/b", "a/b2", "a/bc/d", "ab", "z/y/x"]);
    expect((await collect(store.list("a/b"))).map((o) => o.key)).toEqual(["a/b", "a/b2", "a/bc/d"]);
    expect((await collect(store.list("a/"))).map((o) => o.key)).toEqual(["a/b", "a/b2", "a/bc/d"]);
    expect((await collect(store.list("nothing/"))).map((o) => o.key)).toEqual([]);
    const [first] = await collect(store.list("z/"));
    expect(first.size).toBe(5);
  });

  test("quarantine moves the version read under quarantine/<version>/ with a reason, once", async () => {
    const root = tmp();
    const store = new LocalObjectStore(root);
    await store.putIfAbsent(PHI_KEY, Buffer.from("burned in"));
    const obj = await store.open(PHI_KEY);
    await obj.close();
    const q = await quarantine(store, PHI_KEY, {
      reason: "burned-in-annotation",
      versionId: obj.versionId,
      etag: obj.etag,
    });
    expect(q).toEqual({
      key: `quarantine/${obj.versionId}/${PHI_KEY}`,
      copy: "created",
      original: "deleted",
    });
    expect(await store.head(PHI_KEY)).toBeUndefined();
    const moved = await store.head(q.key);
    expect(moved?.tags).toEqual({
      "imgsec-reason": "burned-in-annotation",
      "imgsec-quarantined": "true",
    });
    expect(moved?.metadata["imgsec-reason"]).toBe("burned-in-annotation");
    expect(readFileSync(join(root, q.key), "utf8")).toBe("burned in");
    // A retry (the first attempt's answer lost) changes nothing.
    const again = await quarantine(store, PHI_KEY, {
      reason: "burned-in-annotation",
      versionId: obj.versionId,
      etag: obj.etag,
    });
    expect(again).toEqual({ key: q.key, copy: "exists", original: "absent" });
    // Free text is refused as a reason: it is stored in clear.
    expect(
      (await storeError(quarantine(store, q.key, { reason: "Patient DOE said no", etag: "x" })))
        .code,
    ).toBe("invalid");
  });

  test("quarantine leaves an object that was replaced since it was read", async () => {
    const root = tmp();
    const store = new LocalObjectStore(root);
    await store.putIfAbsent("in/x.dcm", Buffer.from("old"));
    const old = await store.head("in/x.dcm");
    if (!old) throw new Error("missing");
    writeFileSync(join(root, "in/x.dcm"), "new content");
    // The copy is of the version read, which is gone: refused, and nothing is removed.
    const e = await storeError(
      quarantine(store, "in/x.dcm", {
        reason: "malformed",
        versionId: old.versionId,
        etag: old.etag,
      }),
    );
    expect(e.code).toBe("version-mismatch");
    expect(readFileSync(join(root, "in/x.dcm"), "utf8")).toBe("new content");
    expect(await store.delete("in/x.dcm", { ifMatch: old.etag })).toBe("changed");
    expect(await store.delete("in/x.dcm")).toBe("deleted");
    expect(await store.delete("in/x.dcm")).toBe("absent");
  });

  test("copy never overwrites and keeps the source's metadata unless given", async () => {
    const store = new LocalObjectStore(tmp());
    await store.putIfAbsent("s", Buffer.from("src"), { metadata: { m: "1" }, tags: { t: "1" } });
    await store.putIfAbsent("taken", Buffer.from("other"));
    expect(await store.copy("s", "taken")).toBe("exists");
    expect(await text(store, "taken")).toBe("other");
    expect(await store.copy("s", "d/copy")).toBe("created");
    const h = await store.head("d/copy");
    expect(h?.metadata).toEqual({ m: "1" });
    expect(h?.tags).toEqual({ t: "1" });
  });

  test("metadata and tags follow S3's rules on both hosts", async () => {
    const store = new LocalObjectStore(tmp());
    const bad: PutOptions[] = [
      { metadata: { Upper: "x" } },
      { metadata: { ok: "naïve" } },
      { metadata: { big: "x".repeat(2100) } },
      { tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, "v"])) },
      { tags: { "aws:x": "v" } },
      { tags: { t: "a\u00e9" } },
    ];
    for (const opts of bad) {
      const body = Readable.from([Buffer.from("x")]);
      const e = await storeError(store.putIfAbsent("k", body, opts));
      expect(e.code).toBe("invalid");
      expect(body.destroyed).toBe(true);
    }
    expect(await store.head("k")).toBeUndefined();
  });

  test("a root that is not a folder is refused without naming it; loose modes are named relaxations", () => {
    const root = tmp();
    writeFileSync(join(root, "f"), "");
    expect(() => new LocalObjectStore(join(root, "DOE^JANE"))).toThrow(
      /^cannot use the store's root folder: ENOENT$/,
    );
    expect(() => new LocalObjectStore(join(root, "f"))).toThrow(/ENOTDIR/);
    const loose = new LocalObjectStore(join(root, "new"), { create: true, fileMode: 0o644 });
    expect(loose.relaxedControls).toEqual(["fileMode 644 (group or others may read objects)"]);
  });
});
