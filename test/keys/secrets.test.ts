import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initKeyFile, keyId, loadKey } from "../../handlers/keys/keyfile";
import {
  ProcessLike,
  SecretKeysError,
  disposeAllSecretKeys,
  loadSecretKeys,
  secretFromKeyFile,
  zeroKeysOnShutdown,
} from "../../handlers/keys/secrets";
import { ROOT } from "../helpers/cli";
import { describeWithMoto } from "../helpers/moto";

function newKeyFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), "imgsec-secret-")), "keys.json");
  initKeyFile(path);
  return path;
}

/** Counts the requests a client sends, by operation. */
function countRequests(client: SecretsManagerClient): Record<string, number> {
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts[String(context.commandName)] = (counts[String(context.commandName)] ?? 0) + 1;
      return next(args);
    },
    { step: "finalizeRequest", name: "countRequests" },
  );
  return counts;
}

async function rejection(p: Promise<unknown>): Promise<SecretKeysError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SecretKeysError) return e;
    throw e;
  }
  throw new Error("expected a SecretKeysError");
}

/** Nothing of any key, in any encoding, and one line. */
function expectNoKeyMaterial(message: string, keys: Buffer[]) {
  expect(message.split("\n")).toHaveLength(1);
  expect(message).not.toMatch(/material/);
  for (const k of keys) {
    expect(message).not.toContain(k.toString("base64").slice(0, 12));
    expect(message).not.toContain(k.toString("hex").slice(0, 12));
  }
}

describe("zeroKeysOnShutdown", () => {
  function fakeProcess() {
    const kills: string[] = [];
    const proc = Object.assign(new EventEmitter(), {
      pid: 4242,
      kill: (_pid: number, signal: string) => kills.push(signal),
    }) as ProcessLike;
    return { proc, kills };
  }

  test("SIGTERM with no other listener: the hook removes itself and raises the signal again", () => {
    const { proc, kills } = fakeProcess();
    zeroKeysOnShutdown(proc);
    proc.emit("SIGTERM");
    expect(kills).toEqual(["SIGTERM"]);
    expect(proc.listenerCount("SIGTERM")).toBe(0);
  });

  test("SIGTERM with another listener: the process's own handling stands", () => {
    const { proc, kills } = fakeProcess();
    zeroKeysOnShutdown(proc);
    proc.on("SIGTERM", () => undefined);
    proc.emit("SIGTERM");
    expect(kills).toEqual([]);
  });

  test("the returned function removes both hooks", () => {
    const { proc } = fakeProcess();
    const remove = zeroKeysOnShutdown(proc);
    remove();
    expect(proc.listenerCount("SIGTERM") + proc.listenerCount("exit")).toBe(0);
  });
});

describeWithMoto("keys from AWS Secrets Manager (moto)", (moto) => {
  let sm: SecretsManagerClient;
  let kmsArn: string;
  let kmsId: string;
  let otherKmsArn: string;
  let n = 0;

  beforeAll(async () => {
    sm = new SecretsManagerClient(moto().clientConfig);
    const kms = new KMSClient(moto().clientConfig);
    const a = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
    const b = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
    kmsArn = a?.Arn ?? "";
    kmsId = a?.KeyId ?? "";
    otherKmsArn = b?.Arn ?? "";
    kms.destroy();
  });
  afterAll(() => sm.destroy());
  afterEach(() => disposeAllSecretKeys());

  /** A new secret under the customer managed key (unless told otherwise). */
  async function secret(
    value: Buffer | string,
    opts: { kmsKeyId?: string | null; binary?: boolean } = {},
  ) {
    const name = `imgsec/pipeline-keys-${++n}`;
    const r = await sm.send(
      new CreateSecretCommand({
        Name: name,
        KmsKeyId: opts.kmsKeyId === null ? undefined : (opts.kmsKeyId ?? kmsArn),
        ...(typeof value === "string" || !opts.binary
          ? { SecretString: value.toString() }
          : { SecretBinary: value }),
      }),
    );
    return { name, versionId: r.VersionId ?? "" };
  }

  test("a key file converts to a secret whose keys, ids and pseudonyms are the key file's", async () => {
    const file = newKeyFile();
    const value = secretFromKeyFile(file);
    const { name, versionId } = await secret(value, { binary: true });
    value.fill(0);
    const keys = await loadSecretKeys({ secretId: name, client: sm, kmsKeyId: kmsArn });
    expect(keys.versionId).toBe(versionId);
    expect(keys.relaxedControls).toEqual([]);
    for (const purpose of ["pseudonymization", "audit"] as const) {
      const local = loadKey(file, purpose);
      const key = keys.key(purpose);
      expect(key.equals(local.key)).toBe(true);
      expect(key).toHaveLength(32);
      expect(keys.id(purpose)).toBe(local.id);
      expect(keys.id(purpose)).toBe(keyId(purpose, key));
    }
  });

  test("read once per process: later loads share it; dispose zeroes the keys and the next load reads again", async () => {
    const file = newKeyFile();
    const { name } = await secret(secretFromKeyFile(file).toString());
    const client = new SecretsManagerClient(moto().clientConfig);
    const counts = countRequests(client);
    const first = await loadSecretKeys({ secretId: name, client });
    const again = await loadSecretKeys({ secretId: name, client });
    expect(again).toBe(first);
    expect(counts.GetSecretValueCommand).toBe(1);

    // key() hands out copies: zeroing one (as callers do) leaves the kept key intact.
    const copy = first.key("pseudonymization");
    const want = Buffer.from(copy);
    copy.fill(0);
    expect(first.key("pseudonymization").equals(want)).toBe(true);

    const zeroed: { before: Buffer; buf: Buffer }[] = [];
    const fill = Buffer.prototype.fill;
    const spy = jest.spyOn(Buffer.prototype, "fill").mockImplementation(function (
      this: Buffer,
      ...args: unknown[]
    ) {
      if (args[0] === 0) zeroed.push({ before: Buffer.from(this), buf: this });
      return (fill as (...a: unknown[]) => Buffer).apply(this, args);
    });
    try {
      first.dispose();
    } finally {
      spy.mockRestore();
    }
    const audit = loadKey(file, "audit").key;
    const held = zeroed.filter((z) => z.before.equals(want) || z.before.equals(audit));
    expect(held).toHaveLength(2);
    for (const z of held) expect(z.buf.every((b) => b === 0)).toBe(true);
    expect(first.disposed).toBe(true);
    expect(() => first.key("audit")).toThrow(/were disposed/);

    const reloaded = await loadSecretKeys({ secretId: name, client });
    expect(reloaded).not.toBe(first);
    expect(counts.GetSecretValueCommand).toBe(2);
    expect(reloaded.key("audit").equals(audit)).toBe(true);
    client.destroy();
  });

  test("malformed secrets are refused in one line that holds no key material", async () => {
    const file = newKeyFile();
    const real = [loadKey(file, "pseudonymization").key, loadKey(file, "audit").key];
    const good = JSON.parse(secretFromKeyFile(file).toString());
    const b64 = (k: Buffer) => k.toString("base64");
    const variants: [string, string, RegExp][] = [
      ["not JSON", `{"keys": "${b64(real[0])}"`, /is not valid JSON$/],
      ["another format", JSON.stringify({ ...good, format: "x" }), /is not an imgsec key secret/],
      [
        "short key",
        JSON.stringify({
          ...good,
          keys: {
            ...good.keys,
            audit: { ...good.keys.audit, material: b64(real[1].subarray(0, 16)) },
          },
        }),
        /has a damaged audit key/,
      ],
      [
        "swapped keys",
        JSON.stringify({
          ...good,
          keys: {
            pseudonymization: { ...good.keys.pseudonymization, material: b64(real[1]) },
            audit: good.keys.audit,
          },
        }),
        /has a damaged pseudonymization key/,
      ],
      [
        "missing purpose",
        JSON.stringify({ ...good, keys: { audit: good.keys.audit } }),
        /has no pseudonymization key$/,
      ],
      [
        "a key that belongs in KMS",
        JSON.stringify({
          ...good,
          keys: { ...good.keys, encryption: { ...good.keys.audit, material: b64(real[0]) } },
        }),
        /holds keys for "encryption"/,
      ],
    ];
    for (const [what, value, pattern] of variants) {
      const { name } = await secret(value);
      const e = await rejection(loadSecretKeys({ secretId: name, client: sm }));
      expect([what, e.message]).toEqual([what, expect.stringMatching(pattern)]);
      expectNoKeyMaterial(e.message, real);
    }
    // The pseudonymization key alone is enough where only it is asked for.
    const { name } = await secret(JSON.stringify({ ...good, keys: { audit: good.keys.audit } }));
    const auditOnly = await loadSecretKeys({ secretId: name, client: sm, purposes: ["audit"] });
    expect(auditOnly.key("audit").equals(real[1])).toBe(true);
    expect(() => auditOnly.key("pseudonymization")).toThrow(/no pseudonymization key/);
  });

  test("a secret under the AWS managed key is refused unless the relaxation is named", async () => {
    const { name } = await secret(secretFromKeyFile(newKeyFile()).toString(), { kmsKeyId: null });
    const e = await rejection(loadSecretKeys({ secretId: name, client: sm }));
    expect(e.message).toMatch(/AWS managed key aws\/secretsmanager: use a customer managed key/);
    const relaxed = await loadSecretKeys({ secretId: name, client: sm, allowAwsManagedKey: true });
    expect(relaxed.relaxedControls).toEqual([
      "allowAwsManagedKey (secret under aws/secretsmanager)",
    ]);
  });

  test("the secret's customer managed key must be the one configured (ARN or key id)", async () => {
    const { name } = await secret(secretFromKeyFile(newKeyFile()).toString());
    const e = await rejection(
      loadSecretKeys({ secretId: name, client: sm, kmsKeyId: otherKmsArn }),
    );
    expect(e.message).toMatch(/encrypted under another KMS key than the one configured$/);
    const byId = await loadSecretKeys({ secretId: name, client: sm, kmsKeyId: kmsId });
    expect(byId.key("audit")).toHaveLength(32);
  });

  test("versions: AWSCURRENT by default, a pinned VersionId on request", async () => {
    const oldFile = newKeyFile();
    const { name, versionId: v1 } = await secret(secretFromKeyFile(oldFile).toString());
    const newFile = newKeyFile();
    const v2 = (
      await sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          SecretString: secretFromKeyFile(newFile).toString(),
        }),
      )
    ).VersionId;
    const current = await loadSecretKeys({ secretId: name, client: sm });
    expect(current.versionId).toBe(v2);
    expect(current.key("audit").equals(loadKey(newFile, "audit").key)).toBe(true);
    const pinned = await loadSecretKeys({ secretId: name, client: sm, versionId: v1 });
    expect(pinned.versionId).toBe(v1);
    expect(pinned.key("audit").equals(loadKey(oldFile, "audit").key)).toBe(true);
  });

  test("a missing secret fails in one line, and a failed load is not kept", async () => {
    const name = `imgsec/later-${++n}`;
    const e = await rejection(loadSecretKeys({ secretId: name, client: sm }));
    // AWS answers 400, moto 404.
    expect(e.message).toMatch(
      /^cannot read secret imgsec\/later-\d+: ResourceNotFoundException \(HTTP 40[04]\)$/,
    );
    await sm.send(
      new CreateSecretCommand({
        Name: name,
        KmsKeyId: kmsArn,
        SecretString: secretFromKeyFile(newKeyFile()).toString(),
      }),
    );
    expect((await loadSecretKeys({ secretId: name, client: sm })).key("audit")).toHaveLength(32);
  });

  /** A process that loads the secret, then ends as `end` says; prints which keys it saw zeroed. */
  function child(name: string, file: string, end: "exit" | "sigterm") {
    const script = `
      require(${JSON.stringify(join(ROOT, "bench", "ts-register.js"))});
      const { loadKey } = require(${JSON.stringify(join(ROOT, "handlers", "keys", "keyfile.ts"))});
      const { loadSecretKeys } = require(${JSON.stringify(join(ROOT, "handlers", "keys", "secrets.ts"))});
      const { writeSync } = require("node:fs");
      const want = {};
      for (const p of ["pseudonymization", "audit"]) want[loadKey(process.argv[2], p).key.toString("hex")] = p;
      const fill = Buffer.prototype.fill;
      Buffer.prototype.fill = function (v, ...rest) {
        if (v === 0 && this.length === 32 && want[this.toString("hex")]) writeSync(2, "zeroed " + want[this.toString("hex")] + "\\n");
        return fill.call(this, v, ...rest);
      };
      loadSecretKeys({ secretId: process.argv[1] }).then((keys) => {
        writeSync(2, "loaded " + keys.id("audit") + "\\n");
        if (process.argv[3] === "sigterm") {
          setTimeout(() => writeSync(2, "still running\\n"), 20000);
          process.kill(process.pid, "SIGTERM");
        }
      });
    `;
    return spawnSync(process.execPath, ["-e", script, name, file, end], {
      env: { ...process.env, ...moto().env },
      encoding: "utf8",
      timeout: 60_000,
    });
  }

  test("a real process zeroes its keys at exit, and on SIGTERM still ends by the signal", async () => {
    const file = newKeyFile();
    const { name } = await secret(secretFromKeyFile(file).toString());
    const auditId = loadKey(file, "audit").id;

    const exited = child(name, file, "exit");
    expect(exited.status).toBe(0);
    expect(exited.stderr).toContain(`loaded ${auditId}`);
    expect(exited.stderr).toMatch(
      /zeroed (pseudonymization|audit)\nzeroed (pseudonymization|audit)/,
    );

    const killed = child(name, file, "sigterm");
    expect(killed.signal).toBe("SIGTERM");
    expect(killed.stderr).toContain(`loaded ${auditId}`);
    expect(killed.stderr).toContain("zeroed pseudonymization");
    expect(killed.stderr).toContain("zeroed audit");
    expect(killed.stderr).not.toContain("still running");
  });
});
