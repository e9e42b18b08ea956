/**
 * The per-object job over local stores (the same code runs over S3 in Lambda): packages that
 * decrypt to exactly what `imgsec deid` writes, their context's pixel digest the one `imgsec
 * encrypt` computes, no planted PHI anywhere; reruns, duplicates and conflicts told apart; refused
 * inputs quarantined with a reason code; every outcome recorded.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initKeyFile, loadKey } from "../../handlers/keys/keyfile";
import { localKeyring } from "../../handlers/crypto/keyrings";
import { decryptToFile, inspectPackage } from "../../handlers/crypto";
import { bufferSource, deidentify, profilePolicyHash } from "../../handlers/dicom";
import { LocalObjectStore } from "../../handlers/store/local";
import type { AuditEvent } from "../../handlers/audit/schema";
import { JobContext, processObject, reasonCode } from "../../handlers/job/process";
import { digestResult, openInput } from "../../handlers/job/deid-output";
import { fileSource } from "../../handlers/dicom";
import { pixelDigest } from "../../handlers/crypto/pixel-digest";
import { inspectDeidentified } from "../../handlers/dicom";
import { findExplicitElement, generateCorpus, malformed } from "../dicom/corpus/generator";

const work = mkdtempSync(join(tmpdir(), "imgsec-job-"));
const keys = join(work, "keys.json");
initKeyFile(keys);
const corpus = generateCorpus();
const clean = corpus.files.filter(
  (f) =>
    f.info.burnedInAnnotation !== "YES" &&
    !["US", "SC"].includes(f.info.modality) &&
    findExplicitElement(f.bytes, 0x7fe00010, "OW") > 0,
);
const burned = corpus.files.find((f) => f.info.burnedInAnnotation === "YES");

let n = 0;
function setup(files: { name: string; bytes: Buffer }[], quarantine = false) {
  const root = join(work, `run-${++n}`);
  const inDir = join(root, "in");
  const outDir = join(root, "out");
  const source = new LocalObjectStore(inDir, { create: true });
  files.forEach((f) => writeFileSync(join(inDir, f.name), f.bytes));
  const events: AuditEvent[] = [];
  const pseudo = loadKey(keys, "pseudonymization").key;
  const ring = localKeyring(keys);
  const ctx: JobContext = {
    source,
    sourceName: "local-test",
    packages: new LocalObjectStore(outDir, { create: true }),
    packagePrefix: "",
    quarantinePrefix: quarantine ? "quarantine/" : undefined,
    dataset: "job-test",
    options: [],
    pseudonymizationKey: pseudo,
    keyring: ring.keyring,
    audit: async (e) => {
      events.push(e);
    },
  };
  return { ctx, events, inDir, outDir, run: (name: string) => processObject({ key: name }, ctx) };
}

// Every planted value of the corpus (obviously fake, "ZZ..."), as the bytes it would be written in.
const plantedValues = corpus.planted.map((p) => p.value).filter((v) => v.length >= 6);
const planted = () => plantedValues.map((v) => Buffer.from(v, "latin1"));

describe("processObject (local stores)", () => {
  test("a package decrypts to exactly what imgsec deid writes; context and events PHI-free", async () => {
    const f = clean[0];
    const { events, inDir, outDir, run } = setup([{ name: "a.dcm", bytes: f.bytes }]);
    const r = await run("a.dcm");
    expect(r.outcome).toBe("packaged");
    expect(r.package).toBe(`${r.uid}.imgsec`);
    const pkg = join(outDir, r.package!);
    expect(`sha256:${createHash("sha256").update(readFileSync(pkg)).digest("hex")}`).toBe(r.digest);
    // Decrypted with the local key: the very bytes deid writes for this input.
    const plain = join(work, `plain-${n}.dcm`);
    await decryptToFile(pkg, plain, {
      keyring: localKeyring(keys).keyring,
      expect: { datasetId: "job-test", policyHashes: [profilePolicyHash("strict")] },
    });
    const deid = await deidentify(bufferSource(f.bytes), {
      options: [],
      pseudonymizationKey: loadKey(keys, "pseudonymization").key,
    });
    if (deid.status !== "deidentified") throw new Error("expected de-identified");
    const input = openInput(join(inDir, "a.dcm"));
    const want = digestResult(input, deid);
    input.close();
    const plainBytes = readFileSync(plain);
    expect(`sha256:${createHash("sha256").update(plainBytes).digest("hex")}`).toBe(want);
    for (const p of planted()) expect(plainBytes.includes(p)).toBe(false);
    // The context's pixel digest is the one imgsec encrypt computes on deid's output.
    const { header, document } = await inspectPackage(pkg, "package");
    const src = await fileSource(plain);
    const facts = await inspectDeidentified(src);
    await src.close();
    const expected = await pixelDigest(
      plain,
      facts.pixel ? { start: facts.pixel.valueStart, end: facts.pixel.end } : null,
      loadKey(keys, "pseudonymization").key,
    );
    expect(header.context["imgsec:pixel-digest"]).toBe(expected);
    // Nothing but the package (and the store's metadata) in the output; events PHI-free.
    expect(readdirSync(outDir).filter((x) => !x.startsWith("."))).toEqual([r.package]);
    const text = JSON.stringify({ events, header: header.context, document, r });
    for (const p of plantedValues) expect(text).not.toContain(p);
    expect(events.map((e) => [e.op, e.details?.status])).toEqual([
      ["deid", "packaged"],
      ["encrypt", undefined],
    ]);
  });

  test("rerun, duplicate and conflict: nothing overwritten, each told apart and recorded", async () => {
    const f = clean[1];
    const other = Buffer.from(f.bytes);
    // Another object with the same SOP Instance UID: one pixel byte changed.
    other[findExplicitElement(other, 0x7fe00010, "OW") + 12] ^= 1;
    const { events, outDir, run } = setup([
      { name: "a.dcm", bytes: f.bytes },
      { name: "b.dcm", bytes: f.bytes },
      { name: "c.dcm", bytes: other },
    ]);
    const first = await run("a.dcm");
    const before = readFileSync(join(outDir, first.package!));
    expect((await run("a.dcm")).outcome).toBe("already-packaged");
    const dup = await run("b.dcm");
    expect(dup).toMatchObject({ outcome: "duplicate", package: first.package });
    const conflict = await run("c.dcm");
    expect(conflict).toMatchObject({ outcome: "conflict", reason: "same-uid-other-content" });
    expect(readFileSync(join(outDir, first.package!))).toEqual(before);
    expect(events.map((e) => e.details?.status).filter(Boolean)).toEqual([
      "packaged",
      "already-packaged",
      "duplicate",
      "conflict",
    ]);
  });

  test("refused inputs move to quarantine with a reason code; others stay where they are", async () => {
    const bad = malformed().find((m) => m.kind === "not-dicom")!;
    const files = [{ name: "bad.dcm", bytes: bad.bytes }];
    if (burned) files.push({ name: "burned.dcm", bytes: burned.bytes });
    const { inDir, run } = setup(files, true);
    const r = await run("bad.dcm");
    expect(r.outcome).toBe("rejected");
    expect(r.reason).toMatch(/^[a-z][a-z0-9-]*$/);
    if (burned) expect((await run("burned.dcm")).outcome).toBe("quarantined");
    // Moved: nothing left at the original names, copies under quarantine/<version>/.
    const left = readdirSync(inDir).filter((x) => !x.startsWith("."));
    expect(left).toEqual(["quarantine"]);
    // Without a quarantine prefix (imgsec run), inputs are never changed.
    const keep = setup([{ name: "bad.dcm", bytes: bad.bytes }]);
    expect((await keep.run("bad.dcm")).outcome).toBe("rejected");
    expect(readFileSync(join(keep.inDir, "bad.dcm"))).toEqual(bad.bytes);
  });

  test("a missing source is rejected (source-missing), nothing written", async () => {
    const { outDir, run } = setup([]);
    expect(await run("nope.dcm")).toMatchObject({ outcome: "rejected", reason: "source-missing" });
    expect(readdirSync(outDir).filter((x) => !x.startsWith("."))).toEqual([]);
  });

  test("reason codes are kebab-case codes of the engine's fixed sentences", () => {
    expect(reasonCode("burned-in annotation (Burned In Annotation is YES)")).toBe(
      "burned-in-annotation-burned-in-annotation-is-yes",
    );
    expect(reasonCode("1 thing")).toBe("r-1-thing");
  });
});
