import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli";
import { createPublicKey, sign, verify } from "node:crypto";
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
