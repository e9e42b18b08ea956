/**
 * Faults, against moto through a fault-injecting proxy (the function's AWS_ENDPOINT_URL): KMS
 * throttled, refusing (a disabled key) or unreachable mid-run, S3 refusing a package's write (a
 * single PutObject, and one part of a multipart upload), a corrupt object. Each ends retried (a
 * TransientError out of the handler, which Step Functions retries), quarantined, or failed (any
 * other error name: Step Functions' Catch and the dead-letter queue). After each: no package for
 * the object, no multipart upload left open; after all of them: nothing de-identified in clear in
 * any bucket or in the sandbox's ephemeral storage, every package complete and authentic, the audit
 * log intact (the records of failed seals written by the next), nothing printed that holds PHI.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ObjectResult } from "../../handlers/process-object";
import { describeWithMoto } from "../helpers/moto";
import {
  findExplicitElement,
  generateCorpus,
  generateMultiframe,
  type GeneratedFile,
} from "../dicom/corpus/generator";
import type { PlantedValue } from "../dicom/corpus/planted";
import {
  expectEphemeralStorageClean,
  expectNoKeys,
  expectNoPhi,
  expectOnlyAllowedObjects,
  inventory,
  newDir,
  readableAtRest,
  removeNewDirs,
} from "./evidence";
import {
  type FaultProxy,
  KMS_DISABLED,
  KMS_INTERNAL,
  KMS_THROTTLED,
  S3_SLOW_DOWN,
  kmsCall,
  s3Write,
  startFaultProxy,
} from "./fault-proxy";
import { type Handler, Recorder, newSandbox } from "./sandbox";
import { synthesize } from "./synth";
import { auditVerify, provision, sandboxEnv, type World } from "./world";

const corpus = generateCorpus(20250101);
const images = corpus.files.filter(
  (f) => f.info.modality === "CT" && findExplicitElement(f.bytes, 0x7fe00010, "OW") > 0,
);

describeWithMoto(
  "faults mid-run: retried, quarantined or failed, never half-written (moto)",
  (moto) => {
    let world: World;
    let proxy: FaultProxy;
    let calls: Recorder;
    let handler: Handler;
    let auditDir: string;
    let tmp: string;
    const planted: PlantedValue[] = [...corpus.planted];
    const inputs: Buffer[] = [];
    const keys: string[] = [];
    let next = 0;

    /** Uploads an object under incoming/ (a key naming no one: the scans look for the bytes). */
    async function upload(name: string, bytes: Buffer) {
      const key = `incoming/faults/${name}`;
      const r = await world.s3.send(
        new PutObjectCommand({
          Bucket: world.rawBucket,
          Key: key,
          Body: bytes,
          ServerSideEncryption: "aws:kms",
          SSEKMSKeyId: world.phiKeyArn,
        }),
      );
      inputs.push(bytes);
      keys.push(key);
      return { bucket: world.rawBucket, key, versionId: r.VersionId as string };
    }

    const image = (): GeneratedFile => images[next++ % images.length];

    /** Nothing in the processed bucket but what was there, and no multipart upload open. */
    async function expectNothingWritten(before: string[]) {
      const inv = await inventory(world.s3, [world.processedBucket]);
      expect(inv.versions.map((v) => v.key)).toEqual(before);
      expect(inv.openUploads).toEqual([]);
    }
    const packagesNow = async () =>
      (await inventory(world.s3, [world.processedBucket])).versions.map((v) => v.key);

    beforeAll(async () => {
      world = await provision(moto(), synthesize());
      proxy = await startFaultProxy(moto().endpoint);
      auditDir = newDir("imgsec-e2e-audit-");
      tmp = newDir("imgsec-e2e-sandbox-tmp-");
      Object.assign(
        process.env,
        sandboxEnv(world, { auditDir, tmpDir: tmp, endpoint: proxy.endpoint }),
      );
      calls = new Recorder(world.functionName);
      handler = newSandbox();
      // A first object through the proxy with no fault: the sandbox is warm, the path works.
      const f = image();
      const r = await calls.invoke(handler, await upload(f.name, f.bytes));
      expect(r.result).toMatchObject({ outcome: "packaged" });
    }, 300_000);

    afterEach(() => proxy.clear());
    afterAll(async () => {
      await proxy?.stop();
      world?.destroy();
      removeNewDirs();
    });

    test("KMS throttling on GenerateDataKey (every SDK attempt): TransientError out of the handler, nothing written; the retry packages", async () => {
      const f = image();
      const event = await upload(`throttled-${f.name}`, f.bytes);
      const before = await packagesNow();
      const fault = proxy.add({
        name: "kms throttled",
        match: kmsCall("GenerateDataKey"),
        respond: KMS_THROTTLED,
      });
      const r = await calls.invoke(handler, event);
      expect(r.error?.name).toBe("TransientError");
      // The SDK retried before giving up: the fault was met more than once.
      expect(fault.failed()).toBeGreaterThanOrEqual(3);
      await expectNothingWritten(before);
      proxy.clear();
      const again = await calls.invoke(handler, event);
      expect(again.result).toMatchObject({ outcome: "packaged" });
    });

    test("KMS unavailable for every call (500 KMSInternalException): an image fails with TransientError and nothing written; a corrupt object is quarantined but its seal cannot be signed, so that invocation fails too and no record is durable; once KMS is back the retries succeed and the seal writes the records that waited", async () => {
      const f = image();
      const event = await upload(`kms-down-${f.name}`, f.bytes);
      const junk = Buffer.from(f.bytes);
      junk.fill(0xa5, 140, 600);
      const corrupt = await upload(`kms-down-corrupt-${f.name}`, junk);
      const before = await packagesNow();
      const segments = async () =>
        (await inventory(world.s3, [world.auditBucket])).versions.filter((v) => !v.deleteMarker)
          .length;
      const sealed = await segments();
      const fault = proxy.add({ name: "kms down", match: kmsCall(), respond: KMS_INTERNAL });
      const r = await calls.invoke(handler, event);
      expect(r.error?.name).toBe("TransientError");
      expect(fault.failed()).toBeGreaterThanOrEqual(3);
      await expectNothingWritten(before);
      // Quarantined (S3 only), recorded locally, then the seal's KMS Sign fails: the invocation
      // fails, and Step Functions will retry it.
      const q = await calls.invoke(handler, corrupt);
      expect(q.error?.name).toBe("TransientError");
      expect(q.error?.message).toBe("transient failure (audit-seal): retry later");
      expect(await segments()).toBe(sealed);
      proxy.clear();
      const retried = await calls.invoke(handler, corrupt);
      expect(retried.result).toMatchObject({ outcome: "rejected" });
      // No segment was cut for the seal that could not be signed: one checkpoint now covers the
      // records that waited and this invocation's.
      expect(await segments()).toBe(sealed + 1);
      const again = await calls.invoke(handler, event);
      expect(again.result).toMatchObject({ outcome: "packaged" });
      expect(await segments()).toBe(sealed + 2);
    });

    test("KMS refusing the PHI key (DisabledException; moto does not check a key's state, so the proxy answers as KMS does): not retryable, the error named by KMS's code, nothing written; once the key answers, the object packages", async () => {
      const f = image();
      const event = await upload(`disabled-${f.name}`, f.bytes);
      const before = await packagesNow();
      const fault = proxy.add({
        name: "key disabled",
        match: kmsCall("GenerateDataKey"),
        respond: KMS_DISABLED,
      });
      const r = await calls.invoke(handler, event);
      expect(r.error?.name).toBe("DisabledException");
      expect(r.error?.message).toBe(
        "DisabledException: the object could not be processed; see the function's logs",
      );
      // Not a retryable error: the SDK asked once.
      expect(fault.failed()).toBe(1);
      await expectNothingWritten(before);
      proxy.clear();
      const again = await calls.invoke(handler, event);
      expect(again.result).toMatchObject({ outcome: "packaged" });
    });

    test("S3 refusing the package's PutObject (503 SlowDown on every attempt): TransientError, nothing written; the retry packages", async () => {
      const f = image();
      const event = await upload(`slow-${f.name}`, f.bytes);
      const before = await packagesNow();
      const fault = proxy.add({
        name: "s3 slow down",
        match: s3Write(world.processedBucket, "packages/", "put"),
        respond: S3_SLOW_DOWN,
      });
      const r = await calls.invoke(handler, event);
      expect(r.error?.name).toBe("TransientError");
      expect(fault.failed()).toBeGreaterThanOrEqual(3);
      await expectNothingWritten(before);
      proxy.clear();
      expect((await calls.invoke(handler, event)).result).toMatchObject({ outcome: "packaged" });
    });

    test("a multipart package (a 24 MB multi-frame object) whose second part S3 refuses: TransientError, the upload aborted (no object, no open upload); the retry packages the whole message", async () => {
      const mf = generateMultiframe({
        path: join(world.work, "multiframe.dcm"),
        frames: 48,
        rows: 512,
        columns: 512,
        seed: 11,
      });
      planted.push(...mf.planted);
      const event = await upload("multiframe.dcm", readFileSync(mf.path));
      const before = await packagesNow();
      const fault = proxy.add({
        name: "second part refused",
        match: s3Write(world.processedBucket, "packages/", "part"),
        after: 1,
        respond: S3_SLOW_DOWN,
      });
      const r = await calls.invoke(handler, event);
      expect(r.error?.name).toBe("TransientError");
      expect(fault.matched()).toBeGreaterThanOrEqual(3);
      await expectNothingWritten(before);
      proxy.clear();
      const again = await calls.invoke(handler, event);
      expect(again.result).toMatchObject({ outcome: "packaged" });
      expect((again.result as ObjectResult).package).toBeDefined();
    });

    test("a corrupt object (DICM, then the header overwritten with junk): quarantined with a reason code, nothing packaged", async () => {
      const f = image();
      const junk = Buffer.from(f.bytes);
      junk.fill(0xa5, 140, 600);
      const event = await upload(`corrupt-${f.name}`, junk);
      const before = await packagesNow();
      const r = await calls.invoke(handler, event);
      expect(r.result).toMatchObject({ outcome: "rejected" });
      expect((r.result as ObjectResult).reason).toMatch(/^[a-z][a-z0-9-]{0,63}$/);
      await expectNothingWritten(before);
    });

    test("after every fault: only inputs, complete packages and audit records at rest; the ephemeral storage holds audit logs only; the audit log verifies; nothing printed or thrown holds PHI or a key", async () => {
      const inv = await inventory(world.s3, world.buckets, { read: true });
      await expectOnlyAllowedObjects(inv, {
        rawBucket: world.rawBucket,
        processedBucket: world.processedBucket,
        auditBucket: world.auditBucket,
        inputs,
        work: world.work,
      });
      expectNoPhi(await readableAtRest(inv, world), planted);
      expectEphemeralStorageClean([auditDir, tmp], planted);
      const texts = calls.texts();
      expect(calls.thrown.length).toBe(6);
      expectNoPhi(
        texts.map((t) => ({ name: t.name, bytes: t.text })),
        planted,
      );
      expectNoKeys(texts, keys);
      const r = auditVerify(world);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ intact: true, summary: { failed: 0 } });
      // One sandbox: one log, every invocation's records in it, the failed seals' included.
      expect(doc.logs).toHaveLength(1);
    });
  },
);
