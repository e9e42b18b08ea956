import {
  appendFileSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import * as keyfile from "../../handlers/keys/keyfile";
import {
  AuditEventError,
  AuditLogError,
  auditLogPath,
  openAuditLog,
  resolveActor,
  verifyAuditLog,
} from "../../handlers/audit";
import { event, makeLog, newKeys, parse, tmp } from "./logs";

const verify = (path: string, keys: string, allowOpen = false) =>
  verifyAuditLog(
    { path },
    {
      auditKey: keyfile.loadKey(keys, "audit").key,
      publicKey: keyfile.loadSigningKey(keys).publicKey,
      allowOpen,
    },
  );

async function writer(dir: string, keys: string, every = 10) {
  return openAuditLog({
    path: join(dir, "audit.jsonl"),
    keysPath: keys,
    actor: "local:tester",
    checkpointEvery: every,
    s3: false,
  });
}

describe("the writer", () => {
  test("round trip: what it writes verifies, in canonical JSONL, mode 0600", async () => {
    const log = await makeLog(25, 10);
    const r = verify(log.path, log.keys);
    expect(r.intact).toBe(true);
    expect(r.counts.events).toBe(25);
    expect(statSync(log.path).mode & 0o777).toBe(0o600);
    const open = parse(log.lines[0]);
    expect(open).toMatchObject({ v: 1, seq: 0, type: "open", alg: "ed25519", every: 10 });
    expect(open.auditKey).toBe(keyfile.loadKey(log.keys, "audit").id);
    expect(open.log).toMatch(/^[0-9a-f]{32}$/);
    expect(log.lines.every((l) => parse(l).log === open.log)).toBe(true);
    expect(readFileSync(log.path, "utf8").endsWith("}\n")).toBe(true);
    const ev = parse(log.lines[1]);
    expect(ev).toMatchObject({ type: "event", op: "deid", outcome: "ok", actor: "local:tester" });
    expect(ev.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test("append resolves with the record's seq and line hash", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const w = await writer(dir, keys);
    const a = await w.append(event(1));
    const b = await w.append(event(2));
    await w.close();
    expect([a.seq, b.seq]).toEqual([1, 2]);
    const lines = readFileSync(w.path, "utf8").split("\n");
    expect(parse(lines[2]).prev).toBe(a.hash);
  });

  test("concurrent appends of one writer are grouped, chained and checkpointed every N", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const w = await writer(dir, keys, 7);
    const results = await Promise.all(Array.from({ length: 250 }, (_, i) => w.append(event(i))));
    await w.close();
    expect(new Set(results.map((r) => r.seq)).size).toBe(250);
    const r = verify(w.path, keys);
    expect(r.intact).toBe(true);
    expect(r.counts.events).toBe(250);
    // At most 7 unsigned records in a row, so at least 250/7 checkpoints.
    expect(r.counts.checkpoints).toBeGreaterThanOrEqual(Math.ceil(251 / 7));
  });

  test("writers one after another extend the same log; each close checkpoint covers the head", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    for (let k = 0; k < 3; k++) {
      const w = await writer(dir, keys);
      for (let i = 0; i < 4; i++) await w.append(event(i));
      await w.close();
    }
    const path = join(dir, "audit.jsonl");
    const recs = readFileSync(path, "utf8").trim().split("\n").map(parse);
    expect(new Set(recs.map((r) => r.log)).size).toBe(1);
    expect(recs.filter((r) => r.type === "open")).toHaveLength(1);
    const closes = recs.filter((r) => r.reason === "close");
    expect(closes).toHaveLength(3);
    for (const c of closes) expect(c.covers).toBe((c.seq as number) - 1);
    expect(verify(path, keys).intact).toBe(true);
  });

  test("a log left open by a crashed writer is continued by the next one", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const w1 = await writer(dir, keys);
    for (let i = 0; i < 13; i++) await w1.append(event(i));
    // No close: as if the process had died (the file stays at a record boundary).
    (w1 as unknown as { dispose(): void }).dispose();
    const r1 = verify(join(dir, "audit.jsonl"), keys, true);
    expect(r1.intact).toBe(true);
    expect(r1.results.find((x) => x.rule === "IMGSEC-AUDIT-004")?.status).toBe("WARN");
    const w2 = await writer(dir, keys);
    await w2.append(event(99));
    await w2.close();
    expect(verify(join(dir, "audit.jsonl"), keys).intact).toBe(true);
  });

  test("a torn last line: the writer refuses to append (fail closed) and leaves the file as it is", async () => {
    const log = await makeLog(5, 10);
    appendFileSync(log.path, '{"actor":"local:tester","det');
    const before = readFileSync(log.path);
    const err = await openAuditLog({
      path: log.path,
      keysPath: log.keys,
      actor: "local:x",
      s3: false,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AuditLogError);
    expect(err.message).toMatch(/ends with an incomplete record/);
    expect(err.message).toMatch(/Keep the file unchanged as evidence/);
    expect(err.message).toMatch(/start a new log/);
    expect(err.message.split("\n")).toHaveLength(1);
    expect(readFileSync(log.path).equals(before)).toBe(true);
  });

  test("a writer that finds a torn tail at append (another process crashed mid-write) refuses too", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const w = await writer(dir, keys);
    await w.append(event(1));
    appendFileSync(w.path, '{"half":');
    await expect(w.append(event(2))).rejects.toThrow(/incomplete record/);
  });

  test("a last record that fails its HMAC is not chained onto", async () => {
    const log = await makeLog(5, 10);
    const lines = log.lines.slice();
    lines[lines.length - 1] = lines[lines.length - 1].replace(
      '"reason":"close"',
      '"reason":"interval"',
    );
    writeFileSync(log.path, lines.join("\n") + "\n");
    await expect(
      openAuditLog({ path: log.path, keysPath: log.keys, actor: "local:x", s3: false }),
    ).rejects.toThrow(/fails its HMAC/);
  });

  test("a log written with another audit key is refused, naming both key ids", async () => {
    const log = await makeLog(2, 10);
    const other = newKeys(tmp());
    await expect(
      openAuditLog({ path: log.path, keysPath: other, actor: "local:x", s3: false }),
    ).rejects.toThrow(/written with audit key [0-9a-f]{16}, not this key file's [0-9a-f]{16}/);
  });

  test("a log moved or replaced while a writer has it open is refused", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const w = await writer(dir, keys);
    await w.append(event(1));
    renameSync(w.path, w.path + ".old");
    writeFileSync(w.path, "");
    await expect(w.append(event(2))).rejects.toThrow(/moved or replaced/);
  });

  test("a log truncated while a writer has it open is refused", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const w = await writer(dir, keys);
    await w.append(event(1));
    await w.append(event(2));
    truncateSync(w.path, statSync(w.path).size - 10);
    await expect(w.append(event(3))).rejects.toThrow(AuditLogError);
  });

  test("close zeroes the HMAC key; append after close is refused", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const spy = jest.spyOn(keyfile, "loadKey");
    const w = await writer(dir, keys);
    const key = spy.mock.results.find((r) => r.type === "return")?.value.key as Buffer;
    spy.mockRestore();
    expect(key.some((b) => b !== 0)).toBe(true);
    await w.append(event(1));
    await w.close();
    expect(key.every((b) => b === 0)).toBe(true);
    await expect(w.append(event(2))).rejects.toThrow(/closed/);
    await w.close(); // idempotent
  });

  test("checkpointEvery is validated", async () => {
    const dir = tmp();
    await expect(
      openAuditLog({
        path: join(dir, "a.jsonl"),
        keysPath: newKeys(dir),
        actor: "local:x",
        checkpointEvery: 0,
        s3: false,
      }),
    ).rejects.toThrow(/checkpointEvery/);
  });
});

describe("no PHI in the audit log: events are validated by structure", () => {
  const refused: [string, unknown][] = [
    [
      "free text in details",
      { op: "deid", outcome: "ok", details: { note: "John Smith MRN 12345" } },
    ],
    [
      "a path in details",
      { op: "deid", outcome: "ok", details: { input: "/data/Smith^John/ct.dcm" } },
    ],
    ["a long token", { op: "deid", outcome: "ok", details: { x: "A".repeat(65) } }],
    ["a nested object in details", { op: "deid", outcome: "ok", details: { x: { name: "Jane" } } }],
    ["a detail key that is a name", { op: "deid", outcome: "ok", details: { "Jane Doe": true } }],
    [
      "a name as patient pseudonym",
      { op: "deid", outcome: "ok", objects: [{ kind: "patient", pseudonym: "Jane Doe" }] },
    ],
    [
      "a patient name field",
      {
        op: "deid",
        outcome: "ok",
        objects: [{ kind: "patient", pseudonym: "PSN-1", name: "Doe^Jane" }],
      },
    ],
    [
      "a file object",
      { op: "deid", outcome: "ok", objects: [{ kind: "file", path: "/scans/jane.dcm" }] },
    ],
    [
      "a non-2.25 UID",
      { op: "deid", outcome: "ok", objects: [{ kind: "instance", uid: "1.2.840.113619.2.55.3" }] },
    ],
    [
      "a dataset id with a slash",
      { op: "deid", outcome: "ok", objects: [{ kind: "dataset", id: "home/jane" }] },
    ],
    [
      "a digest that is not sha256",
      { op: "encrypt", outcome: "ok", objects: [{ kind: "package", digest: "md5:abc" }] },
    ],
    ["an extra top-level field", { op: "deid", outcome: "ok", message: "processed Jane Doe" }],
    ["an unknown op", { op: "upload", outcome: "ok" }],
    ["an unknown outcome", { op: "deid", outcome: "maybe" }],
    [
      "too many objects",
      {
        op: "deid",
        outcome: "ok",
        objects: Array.from({ length: 257 }, () => ({ kind: "dataset", id: "d" })),
      },
    ],
  ];

  let dir: string;
  let keys: string;
  beforeAll(() => {
    dir = tmp();
    keys = newKeys(dir);
  });

  test.each(refused)(
    "refuses %s, writes nothing, and never echoes the value",
    async (_name, ev) => {
      const w = await writer(dir, keys);
      const before = readFileSync(w.path);
      const err = await w.append(ev as never).catch((e) => e);
      expect(err).toBeInstanceOf(AuditEventError);
      expect(err.message).toMatch(/^audit event refused: /);
      for (const secret of [
        "John",
        "Jane",
        "Smith",
        "/data",
        "/scans",
        "12345",
        "AAAA",
        "upload",
        "maybe",
        "home/",
      ])
        expect(err.message).not.toContain(secret);
      expect(readFileSync(w.path).equals(before)).toBe(true);
      await w.close();
    },
  );

  test("accepts pseudonymous ids and digests, numbers, booleans and enum-like tokens", async () => {
    const w = await writer(dir, keys);
    await expect(
      w.append({
        op: "verify-package",
        outcome: "refused",
        objects: [
          { kind: "package", digest: `sha256:${"a".repeat(64)}` },
          { kind: "input", digest: `sha256:${"b".repeat(64)}` },
          { kind: "dataset", id: "trial-42.v2" },
          { kind: "instance", uid: "2.25.329800735698586629295641978511506172918" },
          { kind: "patient", pseudonym: "8F3A-22C1" },
        ],
        details: {
          files: 12,
          bytes: 1.5e9,
          strict: true,
          profile: "research",
          reason: "IMGSEC-PKG-003",
        },
      }),
    ).resolves.toMatchObject({ seq: expect.any(Number) });
    await w.close();
  });

  test("no key material ever appears in the log", async () => {
    const log = await makeLog(40, 10);
    const doc = JSON.parse(readFileSync(log.keys, "utf8"));
    const bytes = readFileSync(log.path);
    const text = bytes.toString("latin1");
    for (const purpose of ["pseudonymization", "encryption", "audit", "audit-signing"]) {
      const raw = Buffer.from(doc.keys[purpose].material, "base64");
      expect(raw).toHaveLength(32);
      expect(bytes.includes(raw)).toBe(false);
      for (const enc of ["base64", "hex", "base64url"] as const) {
        expect(text).not.toContain(raw.toString(enc));
        // any 12-byte window, in case of partial leaks
        expect(text).not.toContain(raw.subarray(10, 22).toString(enc));
      }
    }
  });
});

describe("paths and actors", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test("auditLogPath: the flag, then IMGSEC_AUDIT_LOG, then beside the key file (.imgsec/audit.jsonl)", () => {
    delete process.env.IMGSEC_AUDIT_LOG;
    expect(auditLogPath()).toBe(join(".imgsec", "audit.jsonl"));
    // Without flag or variable, the log sits beside the key file whose audit key seals it.
    expect(auditLogPath(undefined, join("/srv", "keys", "keys.json"))).toBe(
      join("/srv", "keys", "audit.jsonl"),
    );
    process.env.IMGSEC_AUDIT_LOG = "/var/log/imgsec.jsonl";
    expect(auditLogPath()).toBe("/var/log/imgsec.jsonl");
    expect(auditLogPath(undefined, "/srv/keys/keys.json")).toBe("/var/log/imgsec.jsonl");
    expect(auditLogPath("x.jsonl")).toBe("x.jsonl");
  });

  test("resolveActor: IMGSEC_ACTOR, validated; else local:<user>", async () => {
    await expect(
      resolveActor({ IMGSEC_ACTOR: "arn:aws:iam::123456789012:role/imgsec-deid" }),
    ).resolves.toBe("arn:aws:iam::123456789012:role/imgsec-deid");
    await expect(resolveActor({ IMGSEC_ACTOR: "Dr. Jane Doe" })).rejects.toThrow(AuditLogError);
    await expect(resolveActor({})).resolves.toMatch(/^local:[A-Za-z0-9_.@+=,-]+$/);
  });

  test("the writer records IMGSEC_ACTOR when no actor is given", async () => {
    process.env.IMGSEC_ACTOR = "local:ci-runner";
    const dir = tmp();
    const w = await openAuditLog({ path: join(dir, "a.jsonl"), keysPath: newKeys(dir), s3: false });
    await w.close();
    expect(parse(readFileSync(w.path, "utf8").split("\n")[0]).actor).toBe("local:ci-runner");
  });
});
