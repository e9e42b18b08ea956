import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectOneLineError, runCli } from "../helpers/cli";
import { KeyFileError, initKeyFile, loadKey } from "../../handlers/keys/keyfile";

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

  test("refuses to overwrite an existing key file without --force", () => {
    const cwd = dir();
    expect(runCli(["keys", "init"], { cwd }).code).toBe(0);
    const before = readFileSync(join(cwd, ".imgsec", "keys.json"), "utf8");
    expectOneLineError(
      runCli(["keys", "init"], { cwd }),
      /^imgsec: key file .* exists; replacing it would change every pseudonym/,
    );
    expect(readFileSync(join(cwd, ".imgsec", "keys.json"), "utf8")).toBe(before);
    expect(runCli(["keys", "init", "--force"], { cwd }).code).toBe(0);
    expect(readFileSync(join(cwd, ".imgsec", "keys.json"), "utf8")).not.toBe(before);
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
