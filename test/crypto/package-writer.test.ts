/**
 * The package writer (handlers/crypto/package-writer.ts): the ESDK's message put together from
 * the ESDK's own parts, with the hashes in worker threads and, for a file, its own reads into
 * reused whole-frame buffers. What it writes must be what the ESDK's encryptStream writes, byte
 * layout for byte layout, and decrypt to the input at every frame length and size (a buffer
 * reused too early would change the plaintext); failures leave nothing behind.
 */
import { statSync, writeFileSync, readFileSync, appendFileSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  InputChangedError,
  Keyring,
  SuiteChoice,
  decryptToFile,
  encryptToFile,
  inspectPackage,
  localKeyring,
} from "../../handlers/crypto";
import { esdkEncrypt, esdkEncryptParts } from "../../handlers/crypto/esdk";
import { sealPackage } from "../../handlers/crypto/package-writer";
import { ROOT } from "../helpers/cli";
import { which } from "../helpers/tools";
import {
  STRICT,
  bytes,
  context,
  layout,
  ls,
  newKeyFile,
  removeTmp,
  sha256,
  tmp,
  writeTmp,
} from "./fixtures";

let keyring: Keyring;

beforeAll(() => {
  keyring = localKeyring(newKeyFile());
});
afterAll(() => {
  keyring.release();
  removeTmp();
});

async function decrypted(path: string): Promise<Buffer> {
  const out = join(tmp("imgsec-out-"), "out.dcm");
  await decryptToFile(path, out, { keyring: keyring.keyring, expect: { policyHashes: [STRICT] } });
  return readFileSync(out);
}

const MiB = 1 << 20;

describe("a file read by encryptToFile itself", () => {
  // Frame lengths that divide the 4 MiB read and that do not; sizes on and around the reads'
  // and the frames' boundaries, so every reuse of a read buffer is crossed.
  const cases: [SuiteChoice, number, number][] = [
    ["signed", 4 * MiB, 0],
    ["signed", 4 * MiB, 4 * MiB],
    ["signed", 4 * MiB, 3 * 4 * MiB + 5],
    ["unsigned", 4 * MiB, 2 * 4 * MiB - 1],
    ["signed", 4096, 4 * MiB * 2 + 4096 * 3 + 17],
    ["unsigned", 1_000_003, 9 * 1_000_003],
    ["signed", 1_000_003, 9 * 1_000_003 + 1],
    ["unsigned", 16 * MiB, 16 * MiB * 2 + 1],
    ["signed", 5 * MiB, 11 * MiB],
  ];
  test.each(cases)("%s, frames of %d bytes, %d bytes", async (suite, frameLength, size) => {
    const dir = tmp();
    const plain = bytes(size, `file-${suite}-${frameLength}-${size}`);
    const src = writeTmp(dir, "plain.dcm", plain);
    const path = join(dir, "p.imgsec");
    const w = await encryptToFile(
      { path: src, unchangedSince: statSync(src, { bigint: true }) },
      path,
      {
        keyring: keyring.keyring,
        context: context(),
        suite,
        frameLength,
      },
    );
    const msg = readFileSync(path);
    expect(w).toEqual({ digest: sha256(msg), size: msg.length });
    expect(ls(dir)).toEqual(["p.imgsec", "plain.dcm"]);
    const lay = layout(msg, suite === "signed");
    expect(lay.end).toBe(msg.length);
    expect(lay.frames).toBe(Math.floor(size / frameLength) + 1);
    const { document } = await inspectPackage(path, "p");
    expect(document.body).toMatchObject({ complete: true, problem: null });
    expect(document.signature.valid).toBe(suite === "signed");
    expect((await decrypted(path)).equals(plain)).toBe(true);
  });
});

test.each([true, false])(
  "written with O_DIRECT (%s) or through the page cache: the same message, cut to its size",
  async (direct) => {
    const dir = tmp();
    const plain = bytes(3 * MiB + 4097, `direct-${direct}`);
    const chunks = [plain.subarray(0, 2 * MiB), plain.subarray(2 * MiB)];
    const path = join(dir, "p.imgsec");
    const w = await sealPackage({ read: async () => chunks.shift() ?? null }, path, {
      keyring: keyring.keyring,
      context: context(),
      suiteId: 0x0578,
      frameLength: 4096,
      maxEncryptedDataKeys: 16,
      direct,
    });
    const msg = readFileSync(path);
    expect(w).toEqual({ digest: sha256(msg), size: msg.length });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await decrypted(path)).equals(plain)).toBe(true);
  },
);

describe("the message is the one the ESDK's encryptStream writes", () => {
  test("the ESDK parts imgsec composes are there (encrypt-node 5.0.2)", () => {
    const parts = esdkEncryptParts();
    expect(typeof parts.getEncryptionInfo).toBe("function");
    expect(typeof parts.getFramedEncryptStream).toBe("function");
    expect(typeof parts.serializeSignatureInfo).toBe("function");
    expect(parts.maxFrameSize).toBe(0xffffffff);
  });

  test.each(["signed", "unsigned"] as SuiteChoice[])(
    "%s: same fields, same lengths, same frames (only ids, keys and signature bytes differ)",
    async (suite) => {
      const frameLength = 4096;
      const plain = bytes(5 * frameLength + 123, `layout-${suite}`);
      const dir = tmp();
      const ours = join(dir, "ours.imgsec");
      await encryptToFile({ path: writeTmp(dir, "plain.dcm", plain) }, ours, {
        keyring: keyring.keyring,
        context: context(),
        suite,
        frameLength,
      });
      const esdk = esdkEncrypt().buildEncrypt({
        commitmentPolicy: "REQUIRE_ENCRYPT_REQUIRE_DECRYPT" as never,
        maxEncryptedDataKeys: 16,
      });
      const theirs: Buffer[] = [];
      const stream = esdk.encryptStream(keyring.keyring, {
        encryptionContext: context(),
        suiteId: (suite === "signed" ? 0x0578 : 0x0478) as never,
        frameLength,
      });
      stream.on("data", (c: Buffer) => theirs.push(c));
      const done = new Promise((ok, ko) => stream.on("end", ok).on("error", ko));
      stream.end(plain);
      await done;
      const signed = suite === "signed";
      const a = layout(readFileSync(ours), signed);
      const b = layout(Buffer.concat(theirs), signed);
      // A DER signature is 102 to 104 bytes: its length is the one field whose size may differ.
      const shape = (l: typeof a) =>
        l.regions.filter((r) => r.name !== "signature").map((r) => `${r.name}:${r.end - r.start}`);
      expect(shape(a)).toEqual(shape(b));
      expect(Object.keys(a.context).sort()).toEqual(Object.keys(b.context).sort());
      expect(a.frames).toBe(b.frames);
      expect((await decrypted(ours)).equals(plain)).toBe(true);
    },
  );
});

describe("failures leave nothing behind", () => {
  const opts = () => ({ keyring: keyring.keyring, context: context(), frameLength: 4096 });

  test("a stream that fails mid-message: its error is thrown, no file is left", async () => {
    const dir = tmp();
    const failing = Readable.from(
      (async function* () {
        yield bytes(3 * 4096, "before");
        throw Object.assign(new Error("read failed"), { code: "EIO" });
      })(),
    );
    await expect(encryptToFile(failing, join(dir, "p.imgsec"), opts())).rejects.toMatchObject({
      code: "EIO",
    });
    expect(ls(dir)).toEqual([]);
    // The workers still serve the next message.
    const src = writeTmp(dir, "plain.dcm", bytes(10_000, "after"));
    await encryptToFile({ path: src }, join(dir, "q.imgsec"), opts());
    expect(ls(dir)).toEqual(["plain.dcm", "q.imgsec"]);
  });

  // A full disk in mid-message, simulated with a file size limit: the write fails with EFBIG
  // (Node ignores SIGXFSZ). Run by the built module in a child process, which the limit binds.
  (which("prlimit") ? test : test.skip)(
    "a write error in mid-message: thrown as it is, no file left, the process ends",
    () => {
      const dir = tmp();
      const keys = newKeyFile();
      const src = writeTmp(dir, "plain.dcm", bytes(3 * MiB, "full-disk"));
      const script = `
        const c = require(${JSON.stringify(join(ROOT, "dist", "handlers", "crypto"))});
        const [keys, src, out, ctx] = process.argv.slice(1);
        const k = c.localKeyring(keys);
        c.encryptToFile({ path: src }, out, { keyring: k.keyring, context: JSON.parse(ctx), frameLength: 4096 })
          .then(() => console.log("written"), (e) => { console.log(e.code); process.exitCode = 3; });`;
      const r = spawnSync(
        which("prlimit")!,
        [
          `--fsize=${MiB}`,
          process.execPath,
          "-e",
          script,
          keys,
          src,
          join(dir, "p.imgsec"),
          JSON.stringify(context()),
        ],
        { encoding: "utf8", timeout: 60_000 },
      );
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("EFBIG\n");
      expect(r.status).toBe(3);
      expect(ls(dir)).toEqual(["plain.dcm"]);
    },
  );

  test("a file that cannot be read: the error is the read's, naming the input", async () => {
    const dir = tmp();
    const folder = join(dir, "not-a-file");
    mkdirSync(folder);
    await expect(
      encryptToFile({ path: folder }, join(dir, "p.imgsec"), opts()),
    ).rejects.toMatchObject({ code: "EISDIR", path: folder });
    expect(ls(dir)).toEqual(["not-a-file"]);
  });

  test("a file changed after its stat (its pixel digest) is refused, nothing written", async () => {
    const dir = tmp();
    const src = writeTmp(dir, "plain.dcm", bytes(50_000, "changing"));
    const before = statSync(src, { bigint: true });
    appendFileSync(src, Buffer.from([1]));
    await expect(
      encryptToFile({ path: src, unchangedSince: before }, join(dir, "p.imgsec"), opts()),
    ).rejects.toBeInstanceOf(InputChangedError);
    expect(ls(dir)).toEqual(["plain.dcm"]);
    // Rewritten in place with the same length: the change time still tells.
    const again = statSync(src, { bigint: true });
    writeFileSync(src, bytes(50_001, "other"));
    await expect(
      encryptToFile({ path: src, unchangedSince: again }, join(dir, "p.imgsec"), opts()),
    ).rejects.toThrow("the input changed while it was encrypted");
    expect(ls(dir)).toEqual(["plain.dcm"]);
  });
});
