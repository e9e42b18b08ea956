import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  CreateBucketCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { S3ObjectStore, StoreError, quarantine } from "../../handlers/store";
import { describeWithMoto } from "../helpers/moto";
import {
  PHI_KEY,
  PHI_PARTS,
  collect,
  generated,
  generatedBytes,
  readAll,
  sha256Of,
  storeError,
} from "./helpers";

const MIB = 1024 * 1024;

function expectNoPhi(e: StoreError) {
  for (const part of PHI_PARTS) expect(e.message).not.toContain(part);
  expect(e.message.split("\n")).toHaveLength(1);
}

/** Every request a client sends: the operation and its headers (lower-case names). */
function recordRequests(client: S3Client): { command: string; headers: Record<string, string> }[] {
  const seen: { command: string; headers: Record<string, string> }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { headers?: Record<string, string> };
      const headers = Object.fromEntries(
        Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      );
      seen.push({ command: String(context.commandName), headers });
      return next(args);
    },
    { step: "finalizeRequest", name: "recordRequests" },
  );
  return seen;
}

describeWithMoto("S3ObjectStore (moto)", (moto) => {
  let client: S3Client;
  let kmsKeyId: string;
  let n = 0;

  beforeAll(async () => {
    client = new S3Client({ ...moto().clientConfig, forcePathStyle: true });
    const kms = new KMSClient(moto().clientConfig);
    kmsKeyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? "";
    kms.destroy();
  });
  afterAll(() => client.destroy());

  /** A fresh bucket (versioned unless told) and a store over it with its own client. */
  async function newStore(opts: { versioned?: boolean; readAhead?: number } = {}) {
    const bucket = `imgsec-store-${++n}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    if (opts.versioned !== false)
      await client.send(
        new PutBucketVersioningCommand({
          Bucket: bucket,
          VersioningConfiguration: { Status: "Enabled" },
        }),
      );
    const own = new S3Client({ ...moto().clientConfig, forcePathStyle: true });
    const requests = recordRequests(own);
    const store = new S3ObjectStore({
      bucket,
      client: own,
      kmsKeyId,
      readAhead: opts.readAhead,
    });
    return { bucket, store, requests, own };
  }

  test("refuses to write without SSE-KMS unless the relaxation is named", () => {
    expect(() => new S3ObjectStore({ bucket: "b", client })).toThrow(/needs kmsKeyId/);
    const relaxed = new S3ObjectStore({ bucket: "b", client, bucketDefaultEncryption: true });
    expect(relaxed.relaxedControls).toEqual([
      "bucketDefaultEncryption (no SSE-KMS key named on writes)",
    ]);
    expect(new S3ObjectStore({ bucket: "b", client, kmsKeyId: "k" }).relaxedControls).toEqual([]);
  });

  test("a small object: one conditional PutObject under SSE-KMS, with its tags and metadata", async () => {
    const { bucket, store, requests } = await newStore();
    const r = await store.putIfAbsent(PHI_KEY, Buffer.from("package bytes"), {
      metadata: { "imgsec-outcome": "deidentified" },
      tags: { "imgsec-dataset": "trial 7", "imgsec-kind": "package" },
      contentType: "application/octet-stream",
    });
    expect(r.status).toBe("created");
    const puts = requests.filter((q) => q.command === "PutObjectCommand");
    expect(puts).toHaveLength(1);
    expect(puts[0].headers["if-none-match"]).toBe("*");
    expect(requests.map((q) => q.command)).not.toContain("PutObjectTaggingCommand");

    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: PHI_KEY }));
    expect(head.ServerSideEncryption).toBe("aws:kms");
    expect(head.SSEKMSKeyId).toBe(kmsKeyId);
    expect(head.Metadata).toEqual({ "imgsec-outcome": "deidentified" });
    if (r.status === "created") expect(head.VersionId).toBe(r.versionId);
    const tags = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: PHI_KEY }));
    expect(Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      "imgsec-dataset": "trial 7",
      "imgsec-kind": "package",
    });
    const h = await store.head(PHI_KEY, { tags: true });
    expect(h?.tags).toEqual({ "imgsec-dataset": "trial 7", "imgsec-kind": "package" });
    expect(h?.metadata).toEqual({ "imgsec-outcome": "deidentified" });
    expect(await store.head("not/there")).toBeUndefined();
  });

  test("an existing key is 'exists', never overwritten, for a single PutObject and a multipart upload", async () => {
    const { bucket, store, requests } = await newStore();
    await store.putIfAbsent("p.imgsec", Buffer.from("first"));
    expect(await store.putIfAbsent("p.imgsec", Buffer.from("second"))).toEqual({
      status: "exists",
    });
    // 12 MiB: a multipart upload whose CompleteMultipartUpload carries If-None-Match.
    expect(await store.putIfAbsent("p.imgsec", generated(12 * MIB, "big"))).toEqual({
      status: "exists",
    });
    const versions = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "p.imgsec" }),
    );
    expect(versions.Versions).toHaveLength(1);
    const obj = await store.open("p.imgsec");
    expect((await readAll(obj.stream())).toString()).toBe("first");
    // lib-storage sends the condition on the requests that create the object, and the upload
    // it could not complete is aborted: no parts left behind.
    const complete = requests.filter((q) => q.command === "CompleteMultipartUploadCommand");
    expect(complete).toHaveLength(1);
    expect(complete[0].headers["if-none-match"]).toBe("*");
    // ...and not on the calls that accept no condition.
    const others = requests.filter((q) =>
      ["CreateMultipartUploadCommand", "UploadPartCommand"].includes(q.command),
    );
    expect(others.length).toBeGreaterThan(2);
    for (const q of others) expect(q.headers["if-none-match"]).toBeUndefined();
    // The multipart upload names the KMS key and the tags where the object is created.
    const create = requests.find((q) => q.command === "CreateMultipartUploadCommand");
    expect(create?.headers["x-amz-server-side-encryption-aws-kms-key-id"]).toBe(kmsKeyId);
    expect(requests.map((q) => q.command)).toContain("AbortMultipartUploadCommand");
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(open.Uploads ?? []).toEqual([]);
  });

  test("two multipart writers racing on one key: exactly one 'created', the loser's upload aborted", async () => {
    // moto checks If-None-Match and then completes, not atomically: two CompleteMultipartUploads
    // in flight at once can both succeed there (S3 answers one of them 412 or 409). So the two
    // uploads run concurrently, part for part, and only their completions are ordered: both
    // writers hold their Complete until both have uploaded every part, then send it in turn.
    const { bucket } = await newStore();
    let arrived = 0;
    let bothArrived!: () => void;
    const barrier = new Promise<void>((r) => (bothArrived = r));
    let firstDone!: () => void;
    const firstCompleted = new Promise<void>((r) => (firstDone = r));
    const writer = (order: number) => {
      const own = new S3Client({ ...moto().clientConfig, forcePathStyle: true });
      own.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== "CompleteMultipartUploadCommand") return next(args);
          if (++arrived === 2) bothArrived();
          await barrier;
          if (order === 1) await firstCompleted;
          try {
            return await next(args);
          } finally {
            if (order === 0) firstDone();
          }
        },
        { step: "finalizeRequest", name: "orderCompletions" },
      );
      return new S3ObjectStore({ bucket, client: own, kmsKeyId });
    };
    const sizes = [11 * MIB + 1, 11 * MIB + 2];
    const results = await Promise.all(
      sizes.map((size, i) =>
        writer(i).putIfAbsent("race.imgsec", generated(size, `w${i}`), {
          tags: { writer: String(i) },
          metadata: { writer: String(i) },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(["created", "exists"]);
    const store = writer(2);
    const obj = await store.open("race.imgsec");
    expect(obj.size).toBe(sizes[0]);
    // A multipart upload carries its tags and metadata in the request that creates it.
    expect((await store.head("race.imgsec", { tags: true }))?.tags).toEqual({ writer: "0" });
    expect(obj.metadata).toEqual({ writer: "0" });
    expect(await sha256Of(obj.stream())).toEqual(await sha256Of(generated(sizes[0], "w0")));
    const versions = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "race.imgsec" }),
    );
    expect(versions.Versions).toHaveLength(1);
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(open.Uploads ?? []).toEqual([]);
  });

  test("a body that fails mid-upload aborts the multipart upload: no object, no parts", async () => {
    const { bucket, store, requests } = await newStore();
    const e = await storeError(
      store.putIfAbsent(PHI_KEY, generated(40 * MIB, "f", { failAt: 20 * MIB })),
    );
    expectNoPhi(e);
    expect(requests.map((q) => q.command)).toContain("UploadPartCommand");
    expect(requests.map((q) => q.command)).toContain("AbortMultipartUploadCommand");
    expect(await store.head(PHI_KEY)).toBeUndefined();
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(open.Uploads ?? []).toEqual([]);
  });

  test("100 MB streamed up and down with bounded memory", async () => {
    const { bucket, own } = await newStore();
    // Two parts of 5 MiB in flight: memory for an upload is a few parts, whatever the size.
    const store = new S3ObjectStore({
      bucket,
      client: own,
      kmsKeyId,
      partSize: 5 * MIB,
      queueSize: 2,
    });
    const size = 100 * MIB;
    // Live memory: a full collection before each sample, so garbage not yet collected (which V8
    // frees when it likes) does not count. `gc` is exposed for this test only.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakBuffers = base.arrayBuffers;
    // Sampled every 4 MiB that pass, up and down: memory is measured, not time.
    let calls = 0;
    const sample = () => {
      if (calls++ % 4 !== 0) return; // every 4 MiB: a full collection costs tens of ms
      gc();
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
    };
    const up = await store.putIfAbsent("big.imgsec", generated(size, "big", { onChunk: sample }), {
      size,
    });
    expect(up.status).toBe("created");
    const obj = await store.open("big.imgsec");
    expect(obj.size).toBe(size);
    const got = await sha256Of(obj.stream(), sample);
    expect(got).toEqual(await sha256Of(generated(size, "big")));
    const grewRss = (peakRss - base.rss) / MIB;
    const grewBuffers = (peakBuffers - base.arrayBuffers) / MIB;
    console.log(
      `100 MiB through S3 (moto), 2 x 5 MiB parts: peak RSS +${grewRss.toFixed(1)} MiB, peak arrayBuffers +${grewBuffers.toFixed(1)} MiB`,
    );
    // About (queueSize + 2) parts of buffers live at a time; a whole-object buffer is 100 MiB.
    expect(grewBuffers).toBeLessThan(48);
    expect(grewRss).toBeLessThan(64);
  });

  test("ranged reads go through a small read-ahead cache: many header reads, few requests", async () => {
    const { store, requests } = await newStore();
    const body = generatedBytes(3 * MIB, "ranged");
    await store.putIfAbsent("r.dcm", body);
    const obj = await store.open("r.dcm");
    requests.length = 0;
    // 400 reads of 128 bytes across the first 200 KiB: what a header parse looks like.
    for (let off = 0; off < 200 * 1024; off += 512) {
      const got = await obj.read(off, 128);
      expect(got.equals(body.subarray(off, off + 128))).toBe(true);
    }
    expect(requests.filter((q) => q.command === "GetObjectCommand")).toHaveLength(1);
    // A large read (pixel data) is one request, not cached; reading it again asks again.
    const big = await obj.read(MIB, 2 * MIB);
    expect(big.equals(body.subarray(MIB, 3 * MIB))).toBe(true);
    expect((await obj.read(3 * MIB - 5, 100)).equals(body.subarray(-5))).toBe(true);
    expect((await obj.read(3 * MIB + 1, 10)).length).toBe(0);
    const gets = requests.filter((q) => q.command === "GetObjectCommand");
    expect(gets).toHaveLength(3);
    expect(gets.every((q) => q.headers.range?.startsWith("bytes="))).toBe(true);
    // Every read names the version opened.
    const ranged = await readAll(obj.stream({ start: 100, end: 300_000 }));
    expect(ranged.equals(body.subarray(100, 300_000))).toBe(true);
    await obj.close();
  });

  test("reads are pinned to the version opened, by VersionId, or by ETag in an unversioned bucket", async () => {
    const versioned = await newStore();
    await versioned.store.putIfAbsent("v.dcm", Buffer.from("version one"));
    const one = await versioned.store.open("v.dcm");
    await client.send(
      new PutObjectCommand({ Bucket: versioned.bucket, Key: "v.dcm", Body: "version two!" }),
    );
    expect((await one.read(0, 100)).toString()).toBe("version one");
    expect((await readAll(one.stream())).toString()).toBe("version one");
    const again = await versioned.store.open("v.dcm", { versionId: one.versionId });
    expect((await readAll(again.stream())).toString()).toBe("version one");
    expect((await readAll((await versioned.store.open("v.dcm")).stream())).toString()).toBe(
      "version two!",
    );

    const plain = await newStore({ versioned: false });
    await plain.store.putIfAbsent(PHI_KEY, Buffer.from("first"));
    const first = await plain.store.open(PHI_KEY);
    expect(first.versionId).toBeUndefined();
    await client.send(new PutObjectCommand({ Bucket: plain.bucket, Key: PHI_KEY, Body: "other" }));
    const e = await storeError(first.read(0, 10));
    expect(e.code).toBe("version-mismatch");
    expectNoPhi(e);
  });

  test("quarantine: a tagged copy under quarantine/<version>/, the original removed only if unchanged", async () => {
    const { bucket, store } = await newStore();
    await store.putIfAbsent(PHI_KEY, Buffer.from("burned in"), { metadata: { a: "b" } });
    const obj = await store.open(PHI_KEY);
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
    const moved = await store.head(q.key, { tags: true });
    expect(moved?.tags).toEqual({
      "imgsec-reason": "burned-in-annotation",
      "imgsec-quarantined": "true",
    });
    expect(moved?.metadata).toEqual({
      "imgsec-reason": "burned-in-annotation",
      "imgsec-quarantined": "true",
    });
    const raw = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: q.key }));
    expect(raw.ServerSideEncryption).toBe("aws:kms");
    expect(raw.SSEKMSKeyId).toBe(kmsKeyId);
    expect((await readAll((await store.open(q.key)).stream())).toString()).toBe("burned in");
    // The original is a delete marker over the kept version (evidence until lifecycle).
    expect(await store.head(PHI_KEY)).toBeUndefined();
    const versions = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: PHI_KEY }),
    );
    expect(versions.Versions?.map((v) => v.VersionId)).toEqual([obj.versionId]);
    expect(versions.DeleteMarkers).toHaveLength(1);
    // A retry finds its copy and changes nothing.
    const again = await quarantine(store, PHI_KEY, {
      reason: "burned-in-annotation",
      versionId: obj.versionId,
      etag: obj.etag,
    });
    expect(again.copy).toBe("exists");
    expect(again.key).toBe(q.key);
  });

  test("quarantine leaves a replaced original in place; delete with a stale ETag is 'changed'", async () => {
    const { bucket, store } = await newStore();
    await store.putIfAbsent("in/x.dcm", Buffer.from("old"));
    const old = await store.head("in/x.dcm");
    if (!old) throw new Error("missing");
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "in/x.dcm", Body: "newer" }));
    const q = await quarantine(store, "in/x.dcm", {
      reason: "malformed",
      versionId: old.versionId,
      etag: old.etag,
    });
    expect(q.copy).toBe("created");
    expect(q.original).toBe("changed");
    expect((await readAll((await store.open("in/x.dcm")).stream())).toString()).toBe("newer");
    expect((await readAll((await store.open(q.key)).stream())).toString()).toBe("old");
    expect(await store.delete("in/x.dcm", { ifMatch: old.etag })).toBe("changed");
    expect(await store.copy("in/x.dcm", q.key)).toBe("exists");
  });

  test("list: keys under a prefix, in order, across pages", async () => {
    const { store } = await newStore();
    const keys = Array.from({ length: 1005 }, (_, i) => `series/${String(i).padStart(4, "0")}.dcm`);
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((k) => store.putIfAbsent(k, Buffer.from(k))));
    await store.putIfAbsent("other/a.dcm", Buffer.from("a"));
    await store.putIfAbsent("series-b/a.dcm", Buffer.from("a"));
    const listed = await collect(store.list("series/"));
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed[0].size).toBe(keys[0].length);
    expect((await collect(store.list("series"))).length).toBe(1006);
    expect((await collect(store.list())).length).toBe(1007);
  });

  test("errors name the bucket and a ref, never the key or the SDK's message", async () => {
    const { store } = await newStore();
    const e = await storeError(store.open(PHI_KEY));
    expect(e.code).toBe("not-found");
    expectNoPhi(e);
    expect(e.message).toMatch(
      /^cannot open object ref:[0-9a-f]{12} in s3:\/\/imgsec-store-\d+: not found$/,
    );
    const missingBucket = new S3ObjectStore({ bucket: "no-such-bucket", client, kmsKeyId });
    const e2 = await storeError(
      missingBucket.putIfAbsent(PHI_KEY, Readable.from([Buffer.from("x")])),
    );
    expectNoPhi(e2);
    expect(e2.message).toMatch(/NoSuchBucket \(HTTP 404\)/);
    const bad = await storeError(store.putIfAbsent("../x", Buffer.from("x")));
    expect(bad.code).toBe("invalid");
  });

  test("an ETag-named content digest is what S3 stores for a single-part object", async () => {
    const { store } = await newStore();
    const body = Buffer.from("digest me");
    const r = await store.putIfAbsent("d", body);
    const md5 = createHash("md5").update(body).digest("hex");
    if (r.status === "created") expect(r.etag).toBe(`"${md5}"`);
    expect((await store.head("d"))?.etag).toBe(`"${md5}"`);
  });
});
