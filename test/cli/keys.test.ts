import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli";
import { createHash, createPublicKey, sign, verify } from "node:crypto";
import {
  KeyFileError,
  initKeyFile,
  loadKey,
  loadSigningKey,
  signingPublicKeyPem,
} from "../../handlers/keys/keyfile";

const dir = () => mkdtempSync(join(tmpdir(), "imgsec-keys-"));

describe("imgsec keys init", () => {
  test("creates .imgsec/keys.json with mode 0600 and prints key ids, never keys", () => {
    const cwd = dir();
    const r = runCli(["keys", "init"], { cwd, env: { IMGSEC_KEYS: undefined } });
    expect(r.code).toBe(0);
    const file = join(cwd, ".imgsec", "keys.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, ".imgsec")).mode & 0o777).toBe(0o700);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    const material: string = doc.keys.pseudonymization.material;
    expect(Buffer.from(material, "base64")).toHaveLength(32);
    expect(r.stdout).toContain(`key id ${doc.keys.pseudonymization.id}`);
    expect(r.stdout + r.stderr).not.toContain(material);
  });

  test("creates one key per purpose, each different, with the Ed25519 public key beside its seed", () => {
    const file = join(dir(), "k.json");
    const { created } = initKeyFile(file);
    expect(created.map((c) => c.purpose)).toEqual([
      "pseudonymization",
      "encryption",
      "audit",
      "audit-signing",
    ]);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    const materials = Object.values(doc.keys).map((k) => (k as { material: string }).material);
    expect(new Set(materials).size).toBe(4);
    const { privateKey, publicKey } = loadSigningKey(file);
    const sig = sign(null, Buffer.from("x"), privateKey);
    expect(verify(null, Buffer.from("x"), createPublicKey(signingPublicKeyPem(file)), sig)).toBe(
      true,
    );
    expect(publicKey.asymmetricKeyType).toBe("ed25519");
  });

  test("on an existing file adds only the missing purposes and keeps the others; --force replaces all", () => {
    const cwd = dir();
    const file = join(cwd, ".imgsec", "keys.json");
    expect(runCli(["keys", "init"], { cwd }).code).toBe(0);
    const before = JSON.parse(readFileSync(file, "utf8"));
    // An issue-4 key file: only the pseudonymization key.
    writeFileSync(
      file,
      JSON.stringify({ ...before, keys: { pseudonymization: before.keys.pseudonymization } }),
      { mode: 0o600 },
    );
    const r = runCli(["keys", "init"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("pseudonymization");
    expect(r.stdout).toContain("encryption");
    const after = JSON.parse(readFileSync(file, "utf8"));
    expect(after.keys.pseudonymization).toEqual(before.keys.pseudonymization);
    expect(Object.keys(after.keys)).toHaveLength(4);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = runCli(["keys", "init"], { cwd });
    expect(again.stdout).toContain("already has a key for every purpose");
    expect(readFileSync(file, "utf8")).toBe(JSON.stringify(after, null, 2) + "\n");
    expect(runCli(["keys", "init", "--force"], { cwd }).code).toBe(0);
    const forced = JSON.parse(readFileSync(file, "utf8"));
    expect(forced.keys.pseudonymization.material).not.toBe(after.keys.pseudonymization.material);
  });

  test("keys public prints the checkpoint public key (PEM), never a private key", () => {
    const cwd = dir();
    runCli(["keys", "init"], { cwd });
    const r = runCli(["keys", "public"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    const doc = JSON.parse(readFileSync(join(cwd, ".imgsec", "keys.json"), "utf8"));
    for (const k of Object.values(doc.keys) as { material: string }[])
      expect(r.stdout).not.toContain(k.material);
  });

  test("--keys and IMGSEC_KEYS choose the path, the flag first", () => {
    const cwd = dir();
    runCli(["keys", "init", "--keys", "flag.json"], {
      cwd,
      env: { IMGSEC_KEYS: join(cwd, "env.json") },
    });
    expect(statSync(join(cwd, "flag.json")).isFile()).toBe(true);
    runCli(["keys", "init"], { cwd, env: { IMGSEC_KEYS: join(cwd, "env.json") } });
    expect(statSync(join(cwd, "env.json")).isFile()).toBe(true);
  });
});

describe("loading keys", () => {
  test("round trip: the loaded key is the stored one, with its id", () => {
    const file = join(dir(), "k.json");
    const { created } = initKeyFile(file);
    const { key, id } = loadKey(file, "pseudonymization");
    expect(key).toHaveLength(32);
    expect(id).toBe(created[0].id);
    key.fill(0);
  });

  test.each<[string, (f: string) => void, RegExp]>([
    ["missing", () => undefined, /no key file at .*: create one with `imgsec keys init`/],
    [
      "group-readable",
      (f) => chmodSync(f, 0o640),
      /readable by group or others \(mode 640\); run chmod 600/,
    ],
    ["not JSON", (f) => writeFileSync(f, "{", { mode: 0o600 }), /is not valid JSON/],
    [
      "another format",
      (f) => writeFileSync(f, '{"keys":{}}', { mode: 0o600 }),
      /is not an imgsec key file/,
    ],
    [
      "damaged key",
      (f) => {
        const doc = JSON.parse(readFileSync(f, "utf8"));
        doc.keys.pseudonymization.material = Buffer.alloc(32, 1).toString("base64");
        writeFileSync(f, JSON.stringify(doc), { mode: 0o600 });
      },
      /the pseudonymization key is damaged/,
    ],
  ])("refuses a %s key file", (what, spoil, message) => {
    const file = join(dir(), "k.json");
    if (what !== "missing") initKeyFile(file);
    spoil(file);
    expect(() => loadKey(file, "pseudonymization")).toThrow(KeyFileError);
    expect(() => loadKey(file, "pseudonymization")).toThrow(message);
  });
});

// Issue 9: the key file is read into a Buffer that is zeroed, and only the purpose asked for is
// decoded, from bytes to bytes: no key of another purpose (nor this one) becomes a string.
describe("loadKey keeps keys out of JavaScript strings", () => {
  // Required, not imported: the spies must replace the properties keyfile.ts calls through.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require("node:fs") as typeof import("node:fs");
  const purposes = ["pseudonymization", "encryption", "audit", "audit-signing"] as const;

  function materials(file: string): Record<string, Buffer> {
    const doc = JSON.parse(readFileSync(file, "utf8"));
    return Object.fromEntries(
      purposes
        .filter((p) => doc.keys[p])
        .map((p) => [p, Buffer.from(doc.keys[p].material, "base64")]),
    );
  }

  /** Every string a decoding path (Buffer, JSON, TextDecoder, fromCharCode) made while `fn` ran. */
  function stringsMadeDuring(fn: () => void): string[] {
    const seen: string[] = [];
    const wrap = (obj: object, name: string) => {
      const target = obj as Record<string, (...args: unknown[]) => unknown>;
      const real = target[name];
      return jest.spyOn(target as never, name as never).mockImplementation(function (
        this: unknown,
        ...args: unknown[]
      ) {
        const v = real.apply(this, args);
        seen.push(typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
        return v;
      } as never);
    };
    const spies = [
      wrap(Buffer.prototype, "toString"),
      wrap(TextDecoder.prototype, "decode"),
      wrap(String, "fromCharCode"),
      wrap(JSON, "parse"),
    ];
    try {
      fn();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    return seen;
  }

  const forms = (key: Buffer) => [
    key.toString("base64").slice(0, 12),
    key.toString("hex").slice(0, 16),
    key.toString("latin1").slice(0, 8),
  ];

  test.each(purposes)("loadKey(%s): the right key, the file Buffer zeroed", (purpose) => {
    const file = join(dir(), "k.json");
    initKeyFile(file);
    const expected = materials(file)[purpose];
    const reads: Buffer[] = [];
    const realRead = fs.readSync;
    const spy = jest.spyOn(fs, "readSync").mockImplementation(((...args: unknown[]) => {
      reads.push(args[1] as Buffer);
      return realRead(...(args as Parameters<typeof fs.readSync>));
    }) as typeof fs.readSync);
    let key: Buffer;
    try {
      key = loadKey(file, purpose).key;
    } finally {
      spy.mockRestore();
    }
    expect(key.equals(expected)).toBe(true);
    expect(reads.length).toBeGreaterThan(0);
    for (const b of reads) {
      expect(b.length).toBe(statSync(file).size);
      expect(b.every((x) => x === 0)).toBe(true);
    }
    // The key is in its own memory, not a slice of Node's shared pool.
    expect(key.byteOffset).toBe(0);
    expect(key.buffer.byteLength).toBe(key.length);
    key.fill(0);
  });

  test.each(purposes)("loading %s turns no key material into a string", (purpose) => {
    const file = join(dir(), "k.json");
    initKeyFile(file);
    const all = materials(file);
    const banned = purposes.flatMap((p) => forms(all[p]));
    let key: Buffer | undefined;
    const strings = stringsMadeDuring(() => {
      key = loadKey(file, purpose).key;
    });
    expect(key?.equals(all[purpose])).toBe(true);
    expect(strings.length).toBeGreaterThan(0); // the spies did see the decoding of names
    for (const s of strings) for (const b of banned) expect(s).not.toContain(b);
    key?.fill(0);
  });

  test("adding a purpose to an existing file turns no existing key into a string", () => {
    const file = join(dir(), "k.json");
    initKeyFile(file);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    delete doc.keys.audit;
    writeFileSync(file, JSON.stringify(doc, null, 2) + "\n", { mode: 0o600 });
    const before = materials(join(file)) as Record<string, Buffer | undefined>;
    const banned = ["pseudonymization", "encryption", "audit-signing"].flatMap((p) =>
      forms(before[p] as Buffer),
    );
    let created: { purpose: string }[] = [];
    const strings = stringsMadeDuring(() => {
      created = initKeyFile(file).created;
    });
    expect(created.map((c) => c.purpose)).toEqual(["audit"]);
    for (const s of strings) for (const b of banned) expect(s).not.toContain(b);
    const after = JSON.parse(readFileSync(file, "utf8"));
    expect(readFileSync(file, "utf8")).toBe(JSON.stringify(after, null, 2) + "\n");
    for (const p of ["pseudonymization", "encryption", "audit-signing"])
      expect(after.keys[p]).toEqual(doc.keys[p]);
    expect(loadKey(file, "audit").key).toHaveLength(32);
  });

  /** What loadKey did before it read bytes: JSON.parse of the whole file. */
  function reference(file: string, purpose: (typeof purposes)[number]): Buffer | "error" {
    let doc;
    try {
      doc = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return "error";
    }
    if (
      doc?.format !== "imgsec-keys" ||
      doc.version !== 1 ||
      typeof doc.keys !== "object" ||
      doc.keys === null ||
      Array.isArray(doc.keys)
    )
      return "error";
    const stored = doc.keys[purpose];
    if (!stored || typeof stored !== "object") return "error";
    const key = Buffer.from(String(stored.material), "base64");
    const spec = {
      pseudonymization: "HMAC-SHA256",
      encryption: "AES-256-GCM",
      audit: "HMAC-SHA256",
      "audit-signing": "Ed25519",
    }[purpose];
    const id = createHash("sha256")
      .update(`imgsec-key-id\0${purpose}\0`)
      .update(key)
      .digest("hex")
      .slice(0, 16);
    return stored.alg === spec && key.length === 32 && id === stored.id ? key : "error";
  }

  const outcome = (file: string, purpose: (typeof purposes)[number]) => {
    try {
      return loadKey(file, purpose).key;
    } catch (e) {
      expect(e).toBeInstanceOf(KeyFileError);
      return "error" as const;
    }
  };

  test("reads what JSON.parse reads: other layouts, escapes, repeated names", () => {
    const file = join(dir(), "k.json");
    initKeyFile(file);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    const variants = [
      JSON.stringify(doc),
      JSON.stringify(doc, null, "\t").replace(/\n/g, "\r\n"),
      JSON.stringify(doc).replace(/\//g, "\\/"),
      JSON.stringify(doc).replace(/"alg"/g, '"\\u0061lg"'),
      // a repeated purpose: the last one counts
      JSON.stringify(doc).replace(
        '"keys":{',
        `"keys":{"encryption":${JSON.stringify({ ...doc.keys.encryption, material: "AAAA" })},`,
      ),
      JSON.stringify({ ...doc, keys: { ...doc.keys, encryption: null } }),
      JSON.stringify({ ...doc, extra: [1, 2.5e3, true, false, null, { a: "b" }] }),
    ];
    for (const text of variants) {
      writeFileSync(file, text, { mode: 0o600 });
      for (const p of purposes) expect(outcome(file, p)).toEqual(reference(file, p));
    }
  });

  test("agrees with JSON.parse on every truncation and on byte flips of a key file", () => {
    const file = join(dir(), "k.json");
    initKeyFile(file);
    const good = readFileSync(file);
    const cases: Buffer[] = [];
    for (let n = 0; n < good.length; n += 7) cases.push(good.subarray(0, n));
    for (let i = 0; i < good.length; i += 3)
      for (const x of [0x01, 0x20, 0x80]) {
        const b = Buffer.from(good);
        b[i] ^= x;
        cases.push(b);
      }
    for (const bytes of cases) {
      writeFileSync(file, bytes, { mode: 0o600 });
      for (const p of ["pseudonymization", "audit-signing"] as const)
        expect(outcome(file, p)).toEqual(reference(file, p));
    }
  });
});
