/**
 * The pipeline function in-process against moto, set up as the synthesized stack declares it (the
 * function's environment, the buckets with versioning and Object Lock, the PHI key, the signing
 * key, the secret made from a key file): the planted-PHI corpus, burned-in and malformed objects
 * and a conflicting pair, one invocation per object and in batches; then what is in every bucket,
 * what the audit log verifies to, what a rerun changes, and everything the function printed,
 * returned or threw, scanned for PHI and for object keys (which name patients here, on purpose).
 */
import { PutObjectCommand, GetObjectTaggingCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decryptToFile, inspectPackage, kmsKeyring } from "../../handlers/crypto";
import {
  bufferSource,
  deidentify,
  fileSource,
  inspectDeidentified,
  profilePolicyHash,
} from "../../handlers/dicom";
import { loadKey } from "../../handlers/keys/keyfile";
import type { ObjectResult } from "../../handlers/process-object";
import { digestResult, openInput } from "../../handlers/job/deid-output";
import { describeWithMoto } from "../helpers/moto";
import {
  findExplicitElement,
  generateCorpus,
  malformed,
  type GeneratedFile,
} from "../dicom/corpus/generator";
import type { PlantedValue } from "../dicom/corpus/planted";
import {
  coreOutcome,
  expectEphemeralStorageClean,
  expectNoKeys,
  expectNoPhi,
  expectOnlyAllowedObjects,
  inventory,
  newDir,
  readableAtRest,
  removeNewDirs,
  versionIds,
} from "./evidence";
import { type Handler, Recorder, newSandbox } from "./sandbox";
import { synthesize } from "./synth";
import { auditVerify, provision, sandboxEnv, type World } from "./world";

const corpus = generateCorpus();
const bad = malformed();
/** Every planted value of every input. */
const planted: PlantedValue[] = [...corpus.planted, ...bad.flatMap((m) => m.planted)];

/** A planted patient name as the folder of every key: keys name patients, as people name them. */
const patientFolder = (() => {
  const p = corpus.planted.find(
    (v) => v.kind === "name" && /^[A-Z]+\^[A-Z]+/.test(v.value) && /^[\x20-\x7e]+$/.test(v.value),
  );
  if (!p) throw new Error("the corpus plants no ASCII patient name");
  return p.value.split("=")[0].replace(/\^+$/, "");
})();

interface Input {
  key: string;
  bytes: Buffer;
  versionId?: string;
  /** What the de-identification core says of it alone: the job must agree. */
  expected: "packaged" | "quarantined" | "rejected";
}

describeWithMoto("the pipeline function in-process against moto (synthesized stack)", (moto) => {
  let world: World;
  let auditDir: string;
  let tmp: string;
  const inputs: Input[] = [];
  const everyInputBytes: Buffer[] = [];
  /** Everything any invocation printed, returned or threw. */
  let calls: Recorder;
  const results = new Map<string, ObjectResult>();
  let clean: GeneratedFile;
  let conflicting: Input;
  let copy: Input;

  const keys = () => [...inputs, copy, conflicting].map((i) => i.key);

  async function upload(key: string, bytes: Buffer): Promise<string> {
    everyInputBytes.push(bytes);
    const r = await world.s3.send(
      new PutObjectCommand({
        Bucket: world.rawBucket,
        Key: key,
        Body: bytes,
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: world.phiKeyArn,
      }),
    );
    return r.VersionId as string;
  }

  const invoke = (handler: Handler, event: unknown) => calls.invoke(handler, event);

  beforeAll(async () => {
    world = await provision(moto(), synthesize());
    calls = new Recorder(world.functionName);
    auditDir = newDir("imgsec-e2e-audit-");
    tmp = newDir("imgsec-e2e-sandbox-tmp-");
    Object.assign(process.env, sandboxEnv(world, { auditDir, tmpDir: tmp }));
    for (const f of corpus.files)
      inputs.push({
        key: `incoming/${patientFolder}/${f.name}`,
        bytes: f.bytes,
        expected: await coreOutcome(f.bytes, world.keyFile),
      });
    for (const m of bad)
      inputs.push({
        key: `incoming/${patientFolder}/received/${m.name}`,
        bytes: m.bytes,
        expected: await coreOutcome(m.bytes, world.keyFile),
      });
    for (const i of inputs) i.versionId = await upload(i.key, i.bytes);
    // One object twice more: its exact copy (a duplicate) and a changed copy with the same SOP
    // Instance UID (a conflict: one pixel byte differs).
    clean = corpus.files.find(
      (f) => f.info.modality === "CT" && findExplicitElement(f.bytes, 0x7fe00010, "OW") > 0,
    ) as GeneratedFile;
    const changed = Buffer.from(clean.bytes);
    changed[findExplicitElement(changed, 0x7fe00010, "OW") + 12] ^= 1;
    copy = {
      key: `incoming/${patientFolder}/copy/${clean.name}`,
      bytes: clean.bytes,
      expected: "packaged",
    };
    conflicting = {
      key: `incoming/${patientFolder}/resent/${clean.name}`,
      bytes: changed,
      expected: "packaged",
    };
    copy.versionId = await upload(copy.key, copy.bytes);
    conflicting.versionId = await upload(conflicting.key, conflicting.bytes);
  }, 300_000);

  afterAll(() => {
    world?.destroy();
    removeNewDirs();
  });

  test("one invocation per object: each outcome is the one the core gives that object alone; burned-in and malformed objects quarantined, never packaged", async () => {
    const handler = newSandbox();
    for (const i of inputs) {
      const { result, error } = await invoke(handler, {
        bucket: world.rawBucket,
        key: i.key,
        versionId: i.versionId,
      });
      expect(error).toBeUndefined();
      results.set(i.key, result as ObjectResult);
    }
    const outcomes = inputs.map((i) => [i.key.split("/").pop(), results.get(i.key)?.outcome]);
    expect(outcomes).toEqual(inputs.map((i) => [i.key.split("/").pop(), i.expected]));
    // The corpus has each kind: packaged images and SR, burned-in US and SC, refused files.
    const count = (o: string) => outcomes.filter(([, x]) => x === o).length;
    expect(count("packaged")).toBeGreaterThanOrEqual(15);
    expect(count("quarantined")).toBeGreaterThanOrEqual(4);
    expect(count("rejected")).toBeGreaterThanOrEqual(5);
    for (const i of inputs) {
      const r = results.get(i.key) as ObjectResult;
      if (r.outcome === "packaged") {
        expect(r.package).toBe(`packages/${r.uid}.imgsec`);
        expect(r.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      } else {
        expect(r.package).toBeUndefined();
        expect(r.reason).toMatch(/^[a-z][a-z0-9-]{0,63}$/);
      }
    }
  });

  test("a batch (as the backfill sends it): a duplicate, a conflict (quarantined, the first package untouched) and an item outside the incoming prefix, skipped", async () => {
    const first = results.get(inputs.find((i) => i.bytes === clean.bytes)?.key as string);
    expect(first?.outcome).toBe("packaged");
    const before = await inventory(world.s3, [world.processedBucket]);
    const { result, error } = await invoke(newSandbox(), {
      Items: [
        { bucket: world.rawBucket, key: copy.key },
        { bucket: world.rawBucket, key: conflicting.key },
        { bucket: world.rawBucket, key: `outside/${patientFolder}/${clean.name}` },
      ],
      BatchInput: { source: "prefix-listing", keyEncoding: "none" },
    });
    expect(error).toBeUndefined();
    const batch = (result as { results: ObjectResult[] }).results;
    expect(batch).toEqual([
      {
        outcome: "duplicate",
        uid: first?.uid,
        package: first?.package,
        reason: "identical-content",
      },
      { outcome: "conflict", reason: "same-uid-other-content" },
      { outcome: "skipped", reason: "outside-incoming-prefix" },
    ]);
    results.set(copy.key, batch[0]);
    results.set(conflicting.key, batch[1]);
    // One package for the two contents, the same version as before.
    expect(
      versionIds(await inventory(world.s3, [world.processedBucket]), world.processedBucket),
    ).toEqual(versionIds(before, world.processedBucket));
  });

  test("packages decrypt with the KMS keyring to exactly what imgsec deid writes for each input, with no planted value; nothing else is in the processed bucket", async () => {
    const inv = await inventory(world.s3, [world.processedBucket], { read: true });
    const packaged = inputs.filter((i) => results.get(i.key)?.outcome === "packaged");
    expect(inv.versions.map((v) => v.key).sort()).toEqual(
      packaged.map((i) => results.get(i.key)?.package).sort(),
    );
    const dir = mkdtempSync(join(world.work, "decrypted-"));
    const keyring = kmsKeyring([world.phiKeyArn], "decrypt").keyring;
    const plaintexts: { name: string; bytes: Buffer }[] = [];
    for (const i of packaged) {
      const r = results.get(i.key) as ObjectResult;
      const v = inv.versions.find((x) => x.key === r.package);
      const pkg = join(dir, `${r.uid}.imgsec`);
      writeFileSync(pkg, v?.bytes as Buffer);
      expect(
        `sha256:${createHash("sha256")
          .update(v?.bytes as Buffer)
          .digest("hex")}`,
      ).toBe(r.digest);
      const { header, document } = await inspectPackage(pkg, "p");
      expect(document.signature).toEqual({ present: true, checked: true, valid: true });
      expect(header.context["imgsec:dataset"]).toBe(world.functionEnv.IMGSEC_DATASET);
      expect(document.encrypted_data_keys).toEqual([
        { provider_id: "aws-kms", provider_info: world.phiKeyArn },
      ]);
      const plain = join(dir, `${r.uid}.dcm`);
      await decryptToFile(pkg, plain, {
        keyring,
        expect: {
          datasetId: world.functionEnv.IMGSEC_DATASET,
          policyHashes: [profilePolicyHash("strict")],
        },
      });
      // The same bytes imgsec deid writes for this input, with the same key file.
      const src = join(dir, "input.dcm");
      writeFileSync(src, i.bytes);
      const deid = await deidentify(bufferSource(i.bytes), {
        options: [],
        pseudonymizationKey: loadKey(world.keyFile, "pseudonymization").key,
        patientIdentity: { mode: "hmac" },
      });
      if (deid.status !== "deidentified") throw new Error("expected de-identified");
      const input = openInput(src);
      const want = digestResult(input, deid);
      input.close();
      const bytes = readFileSync(plain);
      expect(`sha256:${createHash("sha256").update(bytes).digest("hex")}`).toBe(want);
      const source = await fileSource(plain);
      try {
        expect((await inspectDeidentified(source)).policyHash).toBe(profilePolicyHash("strict"));
      } finally {
        await source.close();
      }
      plaintexts.push({ name: i.key.split("/").pop() as string, bytes });
      // What a package shows without a key (its header, the context) holds nothing planted either.
      plaintexts.push({
        name: `${r.package} (header)`,
        bytes: Buffer.from(JSON.stringify(document)),
      });
    }
    expect(plaintexts.length).toBe(2 * packaged.length);
    expectNoPhi(plaintexts, planted);
  });

  test("refused objects are moved under quarantine/ with a PHI-free reason code in tags and metadata; the original is gone, nothing is packaged", async () => {
    const refused = [...inputs, conflicting].filter((i) =>
      ["quarantined", "rejected", "conflict"].includes(results.get(i.key)?.outcome as string),
    );
    expect(refused.length).toBeGreaterThanOrEqual(10);
    for (const i of refused) {
      const r = results.get(i.key) as ObjectResult;
      const target = `quarantine/${i.versionId}/${i.key}`;
      const head = await world.s3.send(
        new HeadObjectCommand({ Bucket: world.rawBucket, Key: target }),
      );
      expect(head.Metadata).toEqual({ "imgsec-reason": r.reason, "imgsec-quarantined": "true" });
      expect(head.ServerSideEncryption).toBe("aws:kms");
      const tags = await world.s3.send(
        new GetObjectTaggingCommand({ Bucket: world.rawBucket, Key: target }),
      );
      expect(Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value]))).toEqual({
        "imgsec-reason": r.reason,
        "imgsec-quarantined": "true",
      });
      await expect(
        world.s3.send(new HeadObjectCommand({ Bucket: world.rawBucket, Key: i.key })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    }
    const reasons = refused.map((i) => results.get(i.key)?.reason as string);
    expectNoPhi(
      reasons.map((r, n) => ({ name: `reason ${n}`, bytes: r })),
      planted,
    );
  });

  test("imgsec audit verify s3://<audit>/audit/ (the built CLI, KMS signing key and key file) passes, with one record per outcome and two per package", async () => {
    const r = auditVerify(world);
    expect(r.stderr).not.toMatch(/imgsec:/);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      intact: true,
      checked: { hmac: true, signatures: true },
      summary: { failed: 0 },
    });
    // Two sandboxes so far, neither closed (Lambda recycles them without notice): not tampering.
    expect(doc.logs.map((l: { status: string }) => l.status)).toEqual(["not-closed", "not-closed"]);
    const all = [...results.values()];
    const events =
      all.filter((x) => x.outcome === "packaged").length * 2 +
      all.filter((x) => x.outcome !== "packaged" && x.outcome !== "skipped").length;
    expect(doc.counts.events).toBe(events);
    expectNoKeys([{ name: "audit verify", text: r.stdout }], keys(), [patientFolder]);
  });

  test("a rerun of every object in a new sandbox changes nothing: the same versions in the raw and processed buckets, packaged objects answer already-packaged", async () => {
    const buckets = [world.rawBucket, world.processedBucket];
    const before = await inventory(world.s3, buckets);
    const handler = newSandbox();
    for (const i of inputs) {
      const { result, error } = await invoke(handler, {
        bucket: world.rawBucket,
        key: i.key,
        versionId: i.versionId,
      });
      expect(error).toBeUndefined();
      const first = results.get(i.key) as ObjectResult;
      const again = result as ObjectResult;
      if (first.outcome === "packaged")
        expect(again).toEqual({
          outcome: "already-packaged",
          uid: first.uid,
          package: first.package,
        });
      else expect(again).toEqual(first);
    }
    const after = await inventory(world.s3, buckets);
    for (const b of buckets) expect(versionIds(after, b)).toEqual(versionIds(before, b));
    expect(after.openUploads).toEqual([]);
  });

  test("nothing de-identified in clear anywhere, no half-written object, and the ephemeral storage holds audit logs only", async () => {
    const inv = await inventory(world.s3, world.buckets, { read: true });
    await expectOnlyAllowedObjects(inv, {
      rawBucket: world.rawBucket,
      processedBucket: world.processedBucket,
      auditBucket: world.auditBucket,
      inputs: everyInputBytes,
      work: world.work,
    });
    // What the processed and audit buckets show in clear holds no planted value and no key.
    const readable = await readableAtRest(inv, world);
    expectNoPhi(readable, planted);
    expectNoKeys(
      readable.map((r) => ({ name: r.name, text: r.bytes.toString("latin1") })),
      keys(),
      [patientFolder],
    );
    expectEphemeralStorageClean([auditDir, tmp], planted);
  });

  test("every log line, EMF metric, result and error is PHI-free and names no object key", () => {
    expect(calls.printed.length).toBeGreaterThan(inputs.length);
    const texts = calls.texts();
    expectNoPhi(
      texts.map((t) => ({ name: t.name, bytes: t.text })),
      planted,
    );
    expectNoKeys(texts, keys(), [patientFolder]);
    // Structured: every line is JSON (Powertools logs, EMF documents), and each object's outcome
    // was logged and counted.
    const docs = calls.printed.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The handler hands the formatter only fields it admits: nothing was withheld.
    expect(docs.filter((d) => d.withheld !== undefined)).toEqual([]);
    const done = docs.filter((d) => d.message === "object done");
    expect(done.length).toBe(2 * inputs.length + 2);
    for (const d of done)
      expect(Object.keys(d).sort()).toEqual(
        expect.arrayContaining([
          "level",
          "message",
          "outcome",
          "requestId",
          "service",
          "timestamp",
        ]),
      );
    const emf = docs.filter((d) => d._aws !== undefined);
    const sum = (name: string) =>
      emf.reduce((n, d) => n + (typeof d[name] === "number" ? (d[name] as number) : 0), 0);
    expect(sum("ObjectsPackaged")).toBe(
      [...results.values()].filter((r) => r.outcome === "packaged").length,
    );
  });
});
