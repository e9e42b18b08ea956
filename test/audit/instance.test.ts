/**
 * The per-instance log (a Lambda sandbox's own log, sealed per invocation), with a local P-256
 * signer standing in for KMS and an in-memory sink standing in for the Object Lock bucket: what a
 * seal signs and writes, what a failed write leaves behind, and how the next seal recovers.
 */
import { existsSync, readFileSync } from "node:fs";
import {
  AuditLogError,
  AuditSegment,
  AuditSink,
  openInstanceLog,
  verifyAuditLog,
} from "../../handlers/audit";
import { keyId } from "../../handlers/keys/keyfile";
import { event, p256Signer, parse, tmp } from "./logs";
import { randomBytes } from "node:crypto";

/** An in-memory sink: keeps what it is given, in order, and fails while `failing` is set. */
function memorySink() {
  const stored: AuditSegment[] = [];
  const sink: AuditSink & { stored: AuditSegment[]; failing: boolean; puts: number } = {
    name: "memory://audit/",
    stored,
    failing: false,
    puts: 0,
    locate: (s) => `memory://audit/${s.log}/${s.first}-${s.last}`,
    async put(seg) {
      sink.puts++;
      if (sink.failing)
        throw Object.assign(new Error("Service Unavailable"), {
          name: "ServiceUnavailable",
          $metadata: { httpStatusCode: 503 },
        });
      stored.push({ ...seg, bytes: Buffer.from(seg.bytes) });
    },
  };
  return sink;
}

/** A P-256 signer that counts its signatures, and fails while `failing` is set. */
function countingSigner() {
  const inner = p256Signer();
  const s = {
    ...inner,
    signs: 0,
    failing: false,
    async sign(data: Buffer) {
      if (s.failing) throw new AuditLogError("cannot sign (Sign: KMSInternalException)");
      s.signs++;
      return inner.sign(data);
    },
  };
  return s;
}

function newInstance(opts: { every?: number; rotateBytes?: number } = {}) {
  const key = randomBytes(32);
  const signer = countingSigner();
  const sink = memorySink();
  const dir = tmp("imgsec-instance-");
  const open = () =>
    openInstanceLog({
      dir,
      keys: { key, id: keyId("audit", key) },
      signer,
      sink,
      actor: "arn:aws:sts::123456789012:assumed-role/imgsec-job/fn",
      checkpointEvery: opts.every,
      rotateBytes: opts.rotateBytes,
    });
  return { key, signer, sink, dir, open };
}

/** A handler-shaped invocation: one event per object, then the seal; success only after it. */
async function invoke(
  log: Awaited<ReturnType<ReturnType<typeof newInstance>["open"]>>,
  n: number,
  from = 0,
) {
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(event(from + i))));
  return log.seal();
}

const stored = (sink: ReturnType<typeof memorySink>) =>
  Buffer.concat(sink.stored.map((s) => s.bytes));

describe("the instance log (a function instance's own log, sealed per invocation)", () => {
  test("a seal signs once for the whole batch and writes one segment that ends at a seal checkpoint", async () => {
    const t = newInstance();
    const log = await t.open();
    expect(log.path.startsWith(t.dir)).toBe(true);
    const r = await invoke(log, 100);
    expect(t.signer.signs).toBe(1);
    expect(t.sink.puts).toBe(1);
    expect(r).toEqual({
      log: log.logId,
      key: `memory://audit/${log.logId}/0-101`,
      first: 0,
      last: 101,
      segments: 1,
    });
    const lines = t.sink.stored[0].bytes.toString("utf8").trimEnd().split("\n").map(parse);
    expect(lines[0]).toMatchObject({ type: "open", seq: 0, every: 10_000 });
    expect(lines.filter((x) => x.type === "event")).toHaveLength(100);
    expect(lines[101]).toMatchObject({ type: "checkpoint", reason: "seal", covers: 100 });
    // The segment is the local file, byte for byte.
    expect(t.sink.stored[0].bytes.equals(readFileSync(log.path))).toBe(true);
    await log.close();
  });

  test("each invocation seals its own records; the segments join into a log that verifies, not closed until close()", async () => {
    const t = newInstance();
    const log = await t.open();
    const seals = [];
    for (let k = 0; k < 4; k++) seals.push(await invoke(log, 10, k * 10));
    expect(seals.map((s) => [s?.first, s?.last])).toEqual([
      [0, 11],
      [12, 22],
      [23, 33],
      [34, 44],
    ]);
    expect(t.signer.signs).toBe(4);
    const open = verifyAuditLog(stored(t.sink), {
      auditKey: t.key,
      publicKey: t.signer.publicKey,
      allowOpen: true,
    });
    expect(open.intact).toBe(true);
    expect(open.counts).toMatchObject({ events: 40, checkpoints: 4 });
    expect(open.head?.reason).toBe("seal");
    // Without --allow-open a local log that ends at a seal is not complete.
    expect(
      verifyAuditLog(stored(t.sink), { auditKey: t.key, publicKey: t.signer.publicKey }).intact,
    ).toBe(false);
    expect(await log.close()).toMatchObject({ first: 45, last: 45, segments: 1 });
    const closed = verifyAuditLog(stored(t.sink), {
      auditKey: t.key,
      publicKey: t.signer.publicKey,
    });
    expect(closed.intact).toBe(true);
    expect(closed.head?.reason).toBe("close");
    expect(t.signer.signs).toBe(5);
  });

  test("a seal with nothing new to cover signs nothing and writes nothing", async () => {
    const t = newInstance();
    const log = await t.open();
    await expect(log.seal()).resolves.toBeNull(); // only the open record so far
    await invoke(log, 3);
    await expect(log.seal()).resolves.toBeNull();
    expect(t.signer.signs).toBe(1);
    expect(t.sink.puts).toBe(1);
    await log.close();
  });

  test("a failed segment write fails the seal (the invocation), keeps the local log consistent, and the next seal writes both segments in order", async () => {
    const t = newInstance();
    const log = await t.open();
    await invoke(log, 5);
    t.sink.failing = true;
    const err = await invoke(log, 5, 5).catch((e) => e);
    expect(err).toBeInstanceOf(AuditLogError);
    expect(err.message).toBe(
      `audit records seq 7-12 of log ${log.logId} are signed locally but not written to memory://audit/ (ServiceUnavailable (HTTP 503)): the invocation must not report success; the next seal writes them`,
    );
    // Signed and fsync'ed locally; the sink still ends at the first seal.
    const local = readFileSync(log.path, "utf8").trimEnd().split("\n").map(parse);
    expect(local.at(-1)).toMatchObject({ type: "checkpoint", reason: "seal", seq: 12 });
    expect(t.sink.stored.map((s) => [s.first, s.last])).toEqual([[0, 6]]);
    // Still failing: the next invocation fails too, and writes nothing past the gap.
    await expect(invoke(log, 1, 10)).rejects.toThrow(/seq 7-14 .* not written/);
    expect(t.sink.stored).toHaveLength(1);
    t.sink.failing = false;
    const r = await invoke(log, 2, 11);
    expect(r).toMatchObject({ first: 7, last: 17, segments: 3 });
    expect(t.sink.stored.map((s) => [s.first, s.last])).toEqual([
      [0, 6],
      [7, 12],
      [13, 14],
      [15, 17],
    ]);
    expect(stored(t.sink).equals(readFileSync(log.path))).toBe(true);
    const v = verifyAuditLog(stored(t.sink), {
      auditKey: t.key,
      publicKey: t.signer.publicKey,
      allowOpen: true,
    });
    expect(v.intact).toBe(true);
    expect(v.counts.events).toBe(13);
    await log.close();
  });

  test("a failed signature (KMS unavailable) fails the seal and writes nothing; the next seal covers those records", async () => {
    const t = newInstance();
    const log = await t.open();
    await invoke(log, 2);
    const before = readFileSync(log.path);
    t.signer.failing = true;
    await expect(invoke(log, 3, 2)).rejects.toThrow(/cannot sign/);
    // The events are in the local log, unsigned; no checkpoint, nothing written to the sink.
    const after = readFileSync(log.path, "utf8").trimEnd().split("\n").map(parse);
    expect(after.slice(before.toString().trimEnd().split("\n").length).map((x) => x.type)).toEqual([
      "event",
      "event",
      "event",
    ]);
    expect(t.sink.stored).toHaveLength(1);
    t.signer.failing = false;
    expect(await invoke(log, 1, 5)).toMatchObject({ first: 4, last: 8 });
    expect(
      verifyAuditLog(stored(t.sink), {
        auditKey: t.key,
        publicKey: t.signer.publicKey,
        allowOpen: true,
      }).counts.events,
    ).toBe(6);
    await log.close();
  });

  test("an invocation with more records than checkpointEvery gets interval checkpoints too, all written by its seal", async () => {
    const t = newInstance({ every: 10 });
    const log = await t.open();
    const r = await invoke(log, 25);
    // open + 9 events → interval 10; 10 events → 21; 6 events → seal 28.
    expect(r).toMatchObject({ first: 0, last: 28, segments: 3 });
    expect(t.signer.signs).toBe(3);
    await log.close();
  });

  test("keys: the id must be the key's; an all-zero key is refused; the caller's key is left as it was; no key material in the log", async () => {
    const t = newInstance();
    const base = {
      dir: t.dir,
      signer: t.signer,
      sink: t.sink,
      actor: "local:x",
    };
    await expect(
      openInstanceLog({ ...base, keys: { key: t.key, id: "0".repeat(16) } }),
    ).rejects.toThrow(/the audit key id 0000000000000000 is not this key's/);
    const zero = Buffer.alloc(32);
    await expect(
      openInstanceLog({ ...base, keys: { key: zero, id: keyId("audit", zero) } }),
    ).rejects.toThrow(/all zero/);
    await expect(
      openInstanceLog({ ...base, keys: { key: t.key, id: keyId("audit", t.key) }, actor: "a b" }),
    ).rejects.toThrow(/not a valid audit actor/);
    const caller = Buffer.from(t.key);
    const log = await openInstanceLog({
      ...base,
      keys: { key: caller, id: keyId("audit", caller) },
    });
    await invoke(log, 2);
    await log.close();
    expect(caller.equals(t.key)).toBe(true);
    await expect(log.append(event(1))).rejects.toThrow(/closed/);
    await expect(log.seal()).rejects.toThrow(/closed/);
    // No key material in the log or its segments, in any encoding.
    const bytes = Buffer.concat([readFileSync(log.path), stored(t.sink)]).toString("latin1");
    for (const enc of ["hex", "base64", "latin1"] as const)
      expect(bytes.includes(t.key.toString(enc))).toBe(false);
  });

  test("a local log past rotateBytes is closed after its seal and a new one begins; the old file is removed once written", async () => {
    const t = newInstance({ rotateBytes: 3000 });
    const log = await t.open();
    const first = { id: log.logId, path: log.path };
    await invoke(log, 3); // about 2 KB: kept
    expect(log.logId).toBe(first.id);
    await invoke(log, 3, 3); // past 3000 bytes: closed, a new log
    expect(log.logId).not.toBe(first.id);
    expect(existsSync(first.path)).toBe(false);
    await invoke(log, 2, 6);
    // Seals 2 + close 1 + seal 1: one signature each.
    expect(t.signer.signs).toBe(4);
    const logs = [...new Set(t.sink.stored.map((x) => x.log))];
    expect(logs).toEqual([first.id, log.logId]);
    const verdicts = logs.map((id) =>
      verifyAuditLog(Buffer.concat(t.sink.stored.filter((x) => x.log === id).map((x) => x.bytes)), {
        auditKey: t.key,
        publicKey: t.signer.publicKey,
        allowOpen: true,
      }),
    );
    expect(verdicts.map((v) => [v.intact, v.head?.reason, v.counts.events])).toEqual([
      [true, "close", 6],
      [true, "seal", 2],
    ]);
    await log.close();
  });

  test("two instances in one process keep separate logs (own ids, own files)", async () => {
    const t = newInstance();
    const [a, b] = await Promise.all([t.open(), t.open()]);
    expect(a.logId).not.toBe(b.logId);
    expect(a.path).not.toBe(b.path);
    await Promise.all([invoke(a, 3), invoke(b, 4)]);
    const byLog = (id: string) =>
      Buffer.concat(t.sink.stored.filter((s) => s.log === id).map((s) => s.bytes));
    for (const [log, n] of [
      [a, 3],
      [b, 4],
    ] as const) {
      const v = verifyAuditLog(byLog(log.logId), {
        auditKey: t.key,
        publicKey: t.signer.publicKey,
        allowOpen: true,
      });
      expect(v.intact).toBe(true);
      expect(v.counts.events).toBe(n);
    }
    await Promise.all([a.close(), b.close()]);
  });
});
