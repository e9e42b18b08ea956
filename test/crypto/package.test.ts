/**
 * Packages in-process (handlers/crypto): round trips at many sizes for both committing suites,
 * the header and the keyless inspection, and refusal of every bit flip, truncation, wrong key and
 * unexpected context, always without leaving plaintext (or a temporary file) behind.
 */
import { createReadStream, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CTX,
  ContextError,
  ESDK_PUBLIC_KEY,
  ExpectationError,
  Keyring,
  LOCAL_PROVIDER,
  PackageFormatError,
  PackageRefusedError,
  SuiteChoice,
  contextProblem,
  datasetIdProblem,
  decryptToFile,
  encryptToFile,
  expectationsProblem,
  inspectPackage,
  localKeyring,
  validateContext,
} from "../../handlers/crypto";
import * as keyfile from "../../handlers/keys/keyfile";
import { PackageDocument, PackageGate } from "../../policies/engine/package-gate";
import {
  RESEARCH,
  STRICT,
  bytes,
  context,
  flipBit,
  layout,
  ls,
  newKeyFile,
  removeTmp,
  sha256,
  sha256File,
  tmp,
  writeTmp,
} from "./fixtures";

const F = 4096;
const SUITES: { suite: SuiteChoice; id: number; signed: boolean }[] = [
  { suite: "signed", id: 0x0578, signed: true },
  { suite: "unsigned", id: 0x0478, signed: false },
];

let keys: string;
let keyring: Keyring;
let gate: PackageGate;

beforeAll(async () => {
  keys = newKeyFile();
  keyring = localKeyring(keys);
  gate = await PackageGate.load();
});
afterAll(() => {
  keyring.release();
  removeTmp();
});

async function encrypt(
  plain: Buffer,
  opts: { suite?: SuiteChoice; frameLength?: number; ctx?: Record<string, string> } = {},
): Promise<{ path: string; digest: string; size: number }> {
  const dir = tmp();
  const src = writeTmp(dir, "plain.dcm", plain);
  const path = join(dir, "p.imgsec");
  const w = await encryptToFile(createReadStream(src), path, {
    keyring: keyring.keyring,
    context: opts.ctx ?? context(),
    suite: opts.suite,
    frameLength: opts.frameLength ?? F,
  });
  expect(ls(dir)).toEqual(["p.imgsec", "plain.dcm"]); // no temporary file left behind
  return { path, ...w };
}

const accept = { policyHashes: [STRICT] };

/** Decrypts into a fresh folder; returns the error, or the plaintext and result. */
async function tryDecrypt(path: string, opts: { keyring?: Keyring; expect?: object } = {}) {
  const outDir = tmp("imgsec-out-");
  const out = join(outDir, "out.dcm");
  try {
    const r = await decryptToFile(path, out, {
      keyring: (opts.keyring ?? keyring).keyring,
      expect: { ...accept, ...opts.expect },
    });
    return { ok: true as const, r, plain: readFileSync(out), out, outDir };
  } catch (e) {
    return { ok: false as const, error: e as Error, outDir };
  }
}

/** Refused with a PackageRefusedError, and the output folder is empty (no output, no .tmp-). */
async function expectRefused(path: string, opts: Parameters<typeof tryDecrypt>[1] = {}) {
  const d = await tryDecrypt(path, opts);
  if (d.ok) throw new Error(`decrypted although it should have been refused`);
  expect(d.error).toBeInstanceOf(PackageRefusedError);
  expect(ls(d.outDir)).toEqual([]);
  return d.error.message;
}

const withoutPublicKey = (ctx: Record<string, string>) => {
  const c = { ...ctx };
  delete c[ESDK_PUBLIC_KEY];
  return c;
};

const failedRules = (doc: PackageDocument) =>
  gate
    .evaluate(doc, { accepted_policy_hashes: [STRICT] })
    .filter((r) => r.status === "FAIL")
    .map((r) => r.rule);

// ---------------------------------------------------------------------------------------------
describe.each(SUITES)("round trips, $suite suite", ({ suite, id, signed }) => {
  const sizes: [string, number][] = [
    ["empty", 0],
    ["1 byte", 1],
    ["exactly one frame", F],
    ["one frame + 1", F + 1],
    ["~5 MB in 4 KiB frames", 5 * 1024 * 1024 + 123],
  ];
  test.each(sizes)("%s (%d bytes)", async (_label, size) => {
    const plain = bytes(size, `rt-${suite}-${size}`);
    const built = context();
    const pkg = await encrypt(plain, { suite, ctx: built });
    const msg = readFileSync(pkg.path);
    expect(pkg.digest).toBe(sha256(msg));
    expect(pkg.size).toBe(msg.length);
    expect(statSync(pkg.path).mode & 0o777).toBe(0o644);

    // The header, read independently of the product's reader.
    const lay = layout(msg, signed);
    expect(lay.end).toBe(msg.length);
    expect(msg.readUInt16BE(1)).toBe(id);
    expect(lay.frameLength).toBe(F);
    expect(withoutPublicKey(lay.context)).toEqual(built);
    expect(ESDK_PUBLIC_KEY in lay.context).toBe(signed);
    // Full frames, then a final frame holding the rest (possibly empty).
    expect(lay.frames).toBe(Math.floor(size / F) + 1);

    const { document: doc, header } = await inspectPackage(pkg.path, "package 1");
    expect(header.context).toEqual(lay.context);
    expect(header.bodyStart).toBe(lay.bodyStart);
    expect(doc).toMatchObject({
      name: "package 1",
      digest: sha256(msg),
      size: msg.length,
      format: { version: 2, content_type: "framed", frame_length: F },
      suite: { id, committing: true, signed, known: true },
      encrypted_data_keys: [
        {
          provider_id: LOCAL_PROVIDER,
          provider_info: keyfile.loadKey(keys, "encryption").id,
        },
      ],
      body: { complete: true, frames: lay.frames, trailing_bytes: 0, problem: null },
      signature: signed
        ? { present: true, checked: true, valid: true }
        : { present: false, checked: false, valid: false },
    });
    expect(doc.encryption_context).toEqual(lay.context);
    // The package rules pass it (an unsigned suite fails only the signed-suite rule).
    expect(failedRules(doc)).toEqual(signed ? [] : ["IMGSEC-PKG-003"]);

    const d = await tryDecrypt(pkg.path);
    if (!d.ok) throw d.error;
    expect(d.plain.equals(plain)).toBe(true);
    expect(d.r.context).toEqual(lay.context);
    expect(d.r.digest).toBe(pkg.digest);
    expect(d.r.size).toBe(msg.length);
    expect(statSync(d.out).mode & 0o777).toBe(0o600);
    expect(ls(d.outDir)).toEqual(["out.dcm"]);
  });
});

test("64 MB in 1 MiB frames round-trips", async () => {
  const plain = bytes(64 * 1024 * 1024 + 7, "big");
  const pkg = await encrypt(plain, { frameLength: 1 << 20 });
  const { document } = await inspectPackage(pkg.path, "big");
  expect(document.body).toMatchObject({ complete: true, frames: 65, problem: null });
  expect(document.signature.valid).toBe(true);
  const d = await tryDecrypt(pkg.path);
  if (!d.ok) throw d.error;
  expect(d.plain.equals(plain)).toBe(true);
});

// ---------------------------------------------------------------------------------------------
describe.each(SUITES)("tampering, $suite suite", ({ suite, signed }) => {
  // Two full frames and a final one: first, middle and final frame can each be hit.
  const plain = bytes(2 * F + 1000, `tamper-${suite}`);
  let pkg: { path: string };
  let msg: Buffer;
  let lay: ReturnType<typeof layout>;
  beforeAll(async () => {
    pkg = await encrypt(plain, { suite });
    msg = readFileSync(pkg.path);
    lay = layout(msg, signed);
    expect(lay.frames).toBe(3);
  });

  test("the untampered package decrypts (the tamper cases below start from a good one)", async () => {
    const d = await tryDecrypt(pkg.path);
    expect(d.ok && d.plain.equals(plain)).toBe(true);
  });

  test("one flipped bit anywhere (header, every frame, signature) is refused, leaving nothing", async () => {
    const positions: { where: string; pos: number }[] = [];
    for (const r of lay.regions) {
      for (const pos of new Set([r.start, Math.floor((r.start + r.end) / 2), r.end - 1]))
        positions.push({ where: r.name, pos });
    }
    const regions = new Set(positions.map((p) => p.where));
    for (const must of [
      "version",
      "suite-id",
      "message-id",
      `context-value ${CTX.dataset}`,
      `context-key ${CTX.policyHash}`,
      "edk provider-id",
      "edk provider-info",
      "edk wrapped-key",
      "frame-length",
      "suite-data (commitment)",
      "header-auth-tag",
      "frame 1 iv",
      "frame 1 content",
      "frame 1 tag",
      "frame 2 sequence",
      "frame 2 content",
      "frame 2 tag",
      "final-frame content-length",
      "final-frame content",
      "final-frame tag",
      ...(signed ? ["signature-length", "signature"] : []),
    ])
      expect(regions).toContain(must);
    expect(positions.length).toBeGreaterThan(signed ? 90 : 80);

    const dir = tmp();
    const accepted: string[] = [];
    const seenValid: string[] = [];
    for (const [i, { where, pos }] of positions.entries()) {
      const bit = (i * 3) % 8;
      const path = writeTmp(dir, `f${i}.imgsec`, flipBit(msg, pos, bit));
      const d = await tryDecrypt(path);
      if (d.ok) accepted.push(`${where} @${pos} bit ${bit}`);
      else {
        expect(d.error).toBeInstanceOf(PackageRefusedError);
        expect(d.error.message).not.toMatch(/\n/);
      }
      expect(ls(d.outDir)).toEqual([]);

      // Without a key: a signed package never looks valid, and the package rules fail it.
      if (signed) {
        try {
          const { document } = await inspectPackage(path, "t");
          if (document.signature.valid) seenValid.push(`${where} @${pos}`);
          expect(failedRules(document).length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(PackageFormatError);
        }
      }
    }
    expect(accepted).toEqual([]);
    expect(seenValid).toEqual([]);
  });

  if (signed)
    test("flipping the suite id 0x0578 → 0x0478 (signed → unsigned, one bit) is refused", async () => {
      const path = writeTmp(tmp(), "s.imgsec", flipBit(msg, 1, 0)); // 0x05 → 0x04
      expect(readFileSync(path).readUInt16BE(1)).toBe(0x0478);
      await expectRefused(path);
      const { document } = await inspectPackage(path, "s");
      expect(document.signature.valid).toBe(false);
      expect(failedRules(document)).toEqual(
        expect.arrayContaining(["IMGSEC-PKG-003", "IMGSEC-PKG-010"]),
      );
    });

  test("truncations (inside the header, mid-frame, at frame boundaries, the signature) are refused", async () => {
    const cuts: [string, number][] = [
      ["empty file", 0],
      ["1 byte", 1],
      ["inside the message id", 20],
      [
        "inside the context",
        lay.regions.find((r) => r.name.startsWith("context-value"))!.start + 3,
      ],
      ["inside the header auth tag", lay.bodyStart - 5],
      ["header only", lay.bodyStart],
      ["inside frame 1's header", lay.bodyStart + 9],
      ["mid frame 1", lay.bodyStart + 4 + 12 + F / 2],
      ["frame boundary after frame 1", lay.frameStarts[1]],
      ["frame boundary before the final frame", lay.frameStarts[2]],
      ["final frame without its tag", lay.bodyEnd - 16],
      ["final frame tag cut short", lay.bodyEnd - 1],
      ...(signed
        ? ([
            ["signature dropped", lay.bodyEnd],
            ["signature length only", lay.bodyEnd + 2],
            ["signature minus its last byte", msg.length - 1],
          ] as [string, number][])
        : []),
    ];
    const dir = tmp();
    for (const [i, [label, at]] of cuts.entries()) {
      expect(at).toBeLessThan(msg.length);
      const path = writeTmp(dir, `t${i}.imgsec`, msg.subarray(0, at));
      const d = await tryDecrypt(path);
      if (d.ok) throw new Error(`truncation "${label}" decrypted`);
      expect(d.error).toBeInstanceOf(PackageRefusedError);
      expect(ls(d.outDir)).toEqual([]);
      try {
        const { document } = await inspectPackage(path, "t");
        expect({ label, complete: document.body.complete }).toEqual({ label, complete: false });
        expect(document.signature.valid).toBe(false);
        expect(failedRules(document)).toContain("IMGSEC-PKG-010");
      } catch (e) {
        if (!(e instanceof PackageFormatError)) throw e;
        expect(at).toBeLessThan(lay.bodyStart); // only a cut header is unreadable
      }
    }
  });

  test("appended bytes: verify reports trailing-bytes and the package rules fail it", async () => {
    for (const extra of [1, 100]) {
      const path = writeTmp(tmp(), "x.imgsec", Buffer.concat([msg, bytes(extra, "junk")]));
      const { document } = await inspectPackage(path, "x");
      expect(document.body).toMatchObject({
        complete: true,
        trailing_bytes: extra,
        problem: "trailing-bytes",
      });
      expect(document.signature.valid).toBe(signed); // the signed part itself is intact
      expect(failedRules(document)).toContain("IMGSEC-PKG-010");
    }
  });

  // The ESDK ignores bytes after an unsigned message's final frame: decryptToFile's own structure
  // check refuses them, for both suites.
  test(`appended bytes are refused on decrypt`, async () => {
    const path = writeTmp(tmp(), "x.imgsec", Buffer.concat([msg, bytes(7, "junk")]));
    await expectRefused(path);
  });
});

// ---------------------------------------------------------------------------------------------
describe("keys and expectations", () => {
  let pkg: { path: string };
  const plain = bytes(3 * F + 5, "expect");
  beforeAll(async () => {
    pkg = await encrypt(plain);
  });

  test("another key file's encryption key cannot unwrap the data key", async () => {
    const other = localKeyring(newKeyFile());
    try {
      expect(await expectRefused(pkg.path, { keyring: other })).toMatch(
        /no key given can unwrap this package's data key/,
      );
    } finally {
      other.release();
    }
  });

  test("a package of another dataset is refused when --dataset is given", async () => {
    expect(await expectRefused(pkg.path, { expect: { datasetId: "study-b2" } })).toBe(
      "the package belongs to another dataset than --dataset",
    );
    const d = await tryDecrypt(pkg.path, { expect: { datasetId: "study-a1" } });
    expect(d.ok && d.plain.equals(plain)).toBe(true);
  });

  test("a policy hash that is not accepted is refused; an empty accepted list accepts nothing", async () => {
    expect(await expectRefused(pkg.path, { expect: { policyHashes: [RESEARCH] } })).toMatch(
      /de-identification policy that is not accepted/,
    );
    await expectRefused(pkg.path, { expect: { policyHashes: [] } });
    const d = await tryDecrypt(pkg.path, { expect: { policyHashes: [RESEARCH, STRICT] } });
    expect(d.ok).toBe(true);
  });

  test("a context key imgsec does not write is refused on decrypt", async () => {
    const odd = await encrypt(plain, { ctx: { ...context(), "patient-name": "x" } });
    expect(await expectRefused(odd.path)).toMatch(
      /encryption context has a key that is not allowed/,
    );
  });

  test("the output may not overwrite the package", async () => {
    const copy = writeTmp(tmp(), "c.imgsec", readFileSync(pkg.path));
    await expect(
      decryptToFile(copy, copy, { keyring: keyring.keyring, expect: accept }),
    ).rejects.toBeInstanceOf(PackageRefusedError);
    expect(sha256File(copy)).toBe(sha256File(pkg.path));
  });

  test("an existing output file is only replaced by a fully authenticated plaintext", async () => {
    const outDir = tmp();
    const out = join(outDir, "out.dcm");
    writeFileSync(out, "previous");
    const bad = writeTmp(
      tmp(),
      "b.imgsec",
      flipBit(readFileSync(pkg.path), statSync(pkg.path).size - 40, 2),
    );
    await expect(
      decryptToFile(bad, out, { keyring: keyring.keyring, expect: accept }),
    ).rejects.toBeInstanceOf(PackageRefusedError);
    expect(readFileSync(out, "utf8")).toBe("previous");
    expect(ls(outDir)).toEqual(["out.dcm"]);
  });

  test("contextProblem quotes no value", () => {
    const ctx = { ...context(), [CTX.dataset]: "study-zq9" };
    const msg = contextProblem(ctx, { datasetId: "study-wk4", policyHashes: [STRICT] });
    expect(msg).not.toBeNull();
    expect(msg).not.toMatch(/zq9|wk4/);
    expect(contextProblem(ctx, { policyHashes: [RESEARCH] })).not.toMatch(/[0-9a-f]{64}/);
  });
});

// ---------------------------------------------------------------------------------------------
describe("context validation", () => {
  const phiLike = [
    "Doe^John",
    "MRN1234567",
    "19650412",
    "123-45-6789",
    "a b",
    "x".repeat(65),
    "study-1965-04-12",
    "",
    "-leading",
  ];
  test.each(phiLike)("dataset id %j is refused, and the message does not quote it", (id) => {
    expect(datasetIdProblem(id)).not.toBeNull();
    let err: unknown;
    try {
      context({ datasetId: id });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ContextError);
    if (id.length > 0) expect((err as Error).message).not.toContain(id);
  });

  test.each(["study-a1", "A", "trial_42.b", "x".repeat(64), "cohort-12345"])(
    "dataset id %j is accepted",
    (id) => {
      expect(datasetIdProblem(id)).toBeNull();
      expect(context({ datasetId: id })[CTX.dataset]).toBe(id);
    },
  );

  test.each([
    ["modality", { modality: "Doe^John" }],
    ["modality", { modality: "ct" }],
    ["policy-hash", { policyHash: "Z".repeat(64) }],
    ["pixel-digest", { pixelDigest: "ab".repeat(31) }],
    ["producer", { producer: "evil/9.9.9" }],
  ])("a malformed %s is refused naming the key only", (key, over) => {
    expect(() => context(over)).toThrow(new RegExp(`imgsec:${key}`));
    expect(() => context(over)).toThrow(ContextError);
    const value = Object.values(over)[0];
    try {
      context(over);
    } catch (e) {
      expect((e as Error).message).not.toContain(value);
    }
  });

  test("validateContext refuses extra and missing keys", () => {
    expect(() => validateContext({ ...context(), PatientName: "Doe^John" })).toThrow(
      "encryption context has a key that is not allowed",
    );
    const missing: Record<string, string> = { ...context() };
    delete missing[CTX.pixelDigest];
    expect(() => validateContext(missing)).toThrow(/lacks imgsec:pixel-digest/);
  });
});

// ---------------------------------------------------------------------------------------------
describe("key material", () => {
  test("localKeyring zeroes the encryption key Buffer it loaded, and the keyring still works", async () => {
    const real = keyfile.loadKey;
    const loaded: Buffer[] = [];
    const spy = jest.spyOn(keyfile, "loadKey").mockImplementation((p, purpose) => {
      const r = real(p, purpose);
      loaded.push(r.key);
      return r;
    });
    let kr: Keyring;
    try {
      kr = localKeyring(keys);
    } finally {
      spy.mockRestore();
    }
    expect(loaded).toHaveLength(1);
    expect(loaded[0].length).toBe(32);
    expect(loaded[0].every((b) => b === 0)).toBe(true);
    // A fresh load shows the key was not all zeros to begin with.
    expect(real(keys, "encryption").key.some((b) => b !== 0)).toBe(true);

    const plain = bytes(F + 3, "zero");
    const dir = tmp();
    const out = join(dir, "p.imgsec");
    await encryptToFile(createReadStream(writeTmp(dir, "in", plain)), out, {
      keyring: kr.keyring,
      context: context(),
      frameLength: F,
    });
    const d = await tryDecrypt(out); // the module-level keyring, from the same key file
    expect(d.ok && d.plain.equals(plain)).toBe(true);
    kr.release();
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 9: claim only what holds.
describe("decrypt accepts only well-formed expectations and well-formed packages", () => {
  const plain = bytes(F * 2 + 5, "issue-9");

  test.each([
    ["a dataset id that looks like an MRN", { datasetId: "MRN1234567" }],
    ["a dataset id with a name", { datasetId: "Doe^Jane" }],
    ["a policy hash in upper case", { policyHashes: [STRICT.toUpperCase()] }],
    ["a policy hash that is a name", { policyHashes: ["strict"] }],
    ["a short policy hash", { policyHashes: [STRICT.slice(1)] }],
  ])("%s: ExpectationError before anything is read, quoting no value", async (_w, expect_) => {
    const pkg = await encrypt(plain);
    const d = await tryDecrypt(pkg.path, { expect: expect_ });
    if (d.ok) throw new Error("decrypted");
    expect(d.error).toBeInstanceOf(ExpectationError);
    for (const v of Object.values(expect_).flat()) expect(d.error.message).not.toContain(v);
    expect(ls(d.outDir)).toEqual([]);
    expect(expectationsProblem({ policyHashes: [STRICT], ...expect_ })).not.toBeNull();
  });

  test.each([
    ["an MRN as dataset id", { [CTX.dataset]: "MRN1234567" }],
    ["a name as modality", { [CTX.modality]: "DOE^JANE" }],
    ["a pixel digest that is not one", { [CTX.pixelDigest]: "19650412" }],
  ])("a package whose context holds %s is refused, nothing written", async (_w, over) => {
    const pkg = await encrypt(plain, { ctx: { ...context(), ...over } });
    const message = await expectRefused(pkg.path);
    expect(message).toMatch(/^the package's encryption context is refused: /);
    for (const v of Object.values(over)) expect(message).not.toContain(v);
  });

  test("a package that lacks an imgsec context key is refused", async () => {
    const ctx: Record<string, string> = { ...context() };
    delete ctx[CTX.dataset];
    const pkg = await encrypt(plain, { ctx });
    expect(await expectRefused(pkg.path)).toMatch(/lacks imgsec:dataset/);
  });

  test("a file-system error is not a verdict on the package: it goes up as it is", async () => {
    const pkg = await encrypt(plain);
    const outDir = tmp();
    const err = await decryptToFile(pkg.path, join(outDir, "missing", "out.dcm"), {
      keyring: keyring.keyring,
      expect: accept,
    }).catch((e) => e);
    expect(err).not.toBeInstanceOf(PackageRefusedError);
    expect((err as NodeJS.ErrnoException).code).toBe("ENOENT");
    expect(ls(outDir)).toEqual([]);
  });

  test("beforeCommit sees the authenticated context; if it throws, nothing is written", async () => {
    const pkg = await encrypt(plain);
    const outDir = tmp();
    const seen: Record<string, string>[] = [];
    const boom = new Error("audit record refused");
    const err = await decryptToFile(pkg.path, join(outDir, "out.dcm"), {
      keyring: keyring.keyring,
      expect: accept,
      beforeCommit: (ctx) => {
        seen.push(ctx);
        throw boom;
      },
    }).catch((e) => e);
    expect(err).toBe(boom);
    expect(seen[0][CTX.dataset]).toBe("study-a1");
    expect(ls(outDir)).toEqual([]);
  });
});
