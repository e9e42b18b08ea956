import { randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditVerifyReport, FirstBad, openAuditLog, verifyAuditLog } from "../../handlers/audit";
import { canonical, sha256Hex } from "../../handlers/audit/canonical";
import { loadKey, loadSigningKey } from "../../handlers/keys/keyfile";
import {
  TestLog,
  edit,
  event,
  join1,
  makeLog,
  newKeys,
  otherSigningKey,
  parse,
  rechain,
  reseal,
  signCheckpoint,
  tmp,
} from "./logs";

// 30 events, a checkpoint every 10 records: line n holds seq n-1; checkpoints at seq 10, 21, 32
// (interval) and 34 (close).
let log: TestLog;
beforeAll(async () => {
  log = await makeLog(30, 10);
});

type Mode = "full" | "pubkey";
const MODES: Mode[] = ["full", "pubkey"];

function check(
  lines: string[] | string,
  mode: Mode = "full",
  allowOpen = false,
): AuditVerifyReport {
  const text = typeof lines === "string" ? lines : join1(lines);
  return verifyAuditLog(
    { text },
    mode === "full"
      ? { auditKey: log.auditKey, publicKey: log.publicKey, allowOpen }
      : { publicKey: log.publicKey, allowOpen },
  );
}

function expectBad(r: AuditVerifyReport, bad: FirstBad): void {
  expect(r.intact).toBe(false);
  expect(r.firstBad).toEqual(bad);
  expect(r.results.some((x) => x.status === "FAIL")).toBe(true);
}

const status = (r: AuditVerifyReport) =>
  Object.fromEntries(r.results.map((x) => [x.rule, x.status]));

describe("an intact log", () => {
  test("has the expected shape: 35 records, chained, checkpoints at 10, 21, 32 and a close at 34", () => {
    const recs = log.lines.map(parse);
    expect(recs.map((r) => r.seq)).toEqual([...Array(35).keys()]);
    expect(recs.filter((r) => r.type === "checkpoint").map((r) => [r.seq, r.reason])).toEqual([
      [10, "interval"],
      [21, "interval"],
      [32, "interval"],
      [34, "close"],
    ]);
    for (let i = 1; i < recs.length; i++) expect(recs[i].prev).toBe(sha256Hex(log.lines[i - 1]));
    for (const line of log.lines) expect(canonical(parse(line))).toBe(line);
  });

  test.each(MODES)(
    "verifies (%s): every check passes, the close checkpoint is the last verified",
    (mode) => {
      const r = check(log.lines, mode);
      expect(r.intact).toBe(true);
      expect(r.firstBad).toBeUndefined();
      expect(r.counts).toEqual({ lines: 35, records: 35, events: 30, checkpoints: 4 });
      expect(r.lastCheckpoint).toEqual({
        seq: 34,
        head: sha256Hex(log.lines[33]),
        line: 35,
        verified: true,
      });
      expect(status(r)).toEqual({
        "IMGSEC-AUDIT-001": mode === "full" ? "PASS" : "WARN",
        "IMGSEC-AUDIT-002": "PASS",
        "IMGSEC-AUDIT-003": "PASS",
        "IMGSEC-AUDIT-004": "PASS",
        "IMGSEC-AUDIT-005": "PASS",
        // No anchor given: a cut back to an earlier close would not show.
        "IMGSEC-AUDIT-006": "WARN",
      });
      for (const x of r.results) {
        expect(x.controls).toContain("164.312(b)");
        expect(x.controls).toContain("164.312(c)(1)");
        expect(x.resource).toBe("audit log");
      }
    },
  );

  test("reads a path (resource is the path) and a Buffer alike", () => {
    const r1 = verifyAuditLog(
      { path: log.path },
      { auditKey: log.auditKey, publicKey: log.publicKey },
    );
    const r2 = verifyAuditLog(Buffer.from(join1(log.lines)), {
      auditKey: log.auditKey,
      publicKey: log.publicKey,
    });
    expect(r1.intact && r2.intact).toBe(true);
    expect(r1.results[0].resource).toBe(log.path);
  });

  test("without a public key, signatures are WARN (not checked), not PASS", () => {
    const r = verifyAuditLog({ text: join1(log.lines) }, { auditKey: log.auditKey });
    expect(status(r)["IMGSEC-AUDIT-003"]).toBe("WARN");
    expect(r.intact).toBe(true);
  });
});

describe("tampering is detected and the first bad record is named", () => {
  test.each(MODES)("one record's field modified (%s)", (mode) => {
    const lines = log.lines.slice();
    lines[5] = edit(lines[5], { outcome: "refused" });
    expectBad(check(lines, mode), { line: 6, seq: 5, kind: "modified" });
  });

  test.each(MODES)("a field modified in a checkpoint record (%s)", (mode) => {
    const lines = log.lines.slice();
    lines[21] = edit(lines[21], { actor: "local:someone-else" });
    expectBad(check(lines, mode), { line: 22, seq: 21, kind: "modified" });
  });

  test("no keys: a record rewritten and the whole chain recomputed is still caught (HMAC; signature)", () => {
    const lines = rechain(
      (() => {
        const l = log.lines.slice();
        l[5] = edit(l[5], { outcome: "ok", op: "decrypt" });
        return l;
      })(),
      6,
    );
    expectBad(check(lines, "full"), { line: 6, seq: 5, kind: "modified" });
    // The auditor with only the public key: the next checkpoint no longer verifies.
    expectBad(check(lines, "pubkey"), { line: 11, seq: 10, kind: "bad-signature" });
  });

  test.each(MODES)(
    "HMAC key but no signing key: history rewritten before the last checkpoint (%s)",
    (mode) => {
      const l = log.lines.slice();
      l[15] = reseal({ ...parse(l[15]), outcome: "ok", op: "keys" }, log.auditKey);
      const lines = rechain(l, 16, log.auditKey);
      const r = check(lines, mode);
      expectBad(r, { line: 22, seq: 21, kind: "bad-signature" });
      if (mode === "full") expect(status(r)["IMGSEC-AUDIT-001"]).toBe("PASS"); // HMACs were redone
    },
  );

  test("HMAC key but no signing key: a checkpoint removed and the rest renumbered", () => {
    const l = log.lines.slice();
    l.splice(10, 1);
    const lines = rechain(
      l.map((x, i) =>
        i >= 10
          ? reseal(
              { ...parse(x), seq: i, ...(parse(x).type === "checkpoint" ? { covers: i - 1 } : {}) },
              log.auditKey,
            )
          : x,
      ),
      10,
      log.auditKey,
    );
    // The 11th unsigned record in a row (line 11, the old seq 11 now numbered 10).
    expectBad(check(lines, "full"), { line: 11, seq: 10, kind: "deleted" });
  });

  test.each(MODES)("a forged record inserted (%s)", (mode) => {
    const lines = log.lines.slice();
    const forged = canonical({
      ...parse(lines[5]),
      seq: 5,
      prev: sha256Hex(lines[4]),
      outcome: "ok",
      details: { n: 999 },
      hmac: randomBytes(32).toString("hex"),
    });
    lines.splice(5, 0, forged);
    expectBad(check(lines, mode), { line: 6, seq: 5, kind: "inserted" });
  });

  test.each(MODES)("a genuine record from another log spliced in (%s)", async (mode) => {
    const other = await makeLog(12, 10);
    // Same keys are not needed: the other log's id differs, so it is foreign here.
    const lines = log.lines.slice();
    lines.splice(8, 0, other.lines[8]);
    const r = check(lines, mode);
    expect(r.firstBad?.line).toBe(9);
    expect(r.firstBad?.kind).toBe("inserted");
  });

  test.each(MODES)("a record deleted (%s)", (mode) => {
    const lines = log.lines.slice();
    lines.splice(5, 1);
    expectBad(check(lines, mode), { line: 6, seq: 5, kind: "deleted" });
  });

  test.each(MODES)("a checkpoint deleted (%s)", (mode) => {
    const lines = log.lines.slice();
    lines.splice(10, 1);
    expectBad(check(lines, mode), { line: 11, seq: 10, kind: "deleted" });
  });

  test.each(MODES)("the head of the log deleted (%s)", (mode) => {
    expectBad(check(log.lines.slice(3), mode), { line: 1, seq: 0, kind: "deleted" });
  });

  test.each(MODES)("two adjacent records swapped (%s)", (mode) => {
    const lines = log.lines.slice();
    [lines[5], lines[6]] = [lines[6], lines[5]];
    expectBad(check(lines, mode), { line: 6, seq: 6, kind: "reordered" });
  });

  test.each(MODES)("two distant records swapped (%s)", (mode) => {
    const lines = log.lines.slice();
    [lines[3], lines[17]] = [lines[17], lines[3]];
    expectBad(check(lines, mode), { line: 4, seq: 17, kind: "reordered" });
  });

  test.each(MODES)("the close checkpoint cut off (%s)", (mode) => {
    const r = check(log.lines.slice(0, -1), mode);
    expectBad(r, { line: 35, seq: 34, kind: "truncated" });
    expect(status(r)["IMGSEC-AUDIT-004"]).toBe("FAIL");
    expect(status(r)["IMGSEC-AUDIT-005"]).toBe("PASS"); // no torn line
  });

  test.each(MODES)(
    "the tail cut at a record boundary, and right after an interval checkpoint (%s)",
    (mode) => {
      expectBad(check(log.lines.slice(0, 15), mode), { line: 16, seq: 15, kind: "truncated" });
      expectBad(check(log.lines.slice(0, 11), mode), { line: 12, seq: 11, kind: "truncated" });
    },
  );

  test.each(MODES)("an earlier record copied again later: replayed (%s)", (mode) => {
    const lines = log.lines.slice();
    lines.splice(21, 0, lines[5]);
    expectBad(check(lines, mode), { line: 22, seq: 5, kind: "replayed" });
    expectBad(check([...log.lines, log.lines[5]], mode), { line: 36, seq: 5, kind: "replayed" });
  });

  test.each(MODES)("a checkpoint signature altered (%s)", (mode) => {
    const lines = log.lines.slice();
    const rec = parse(lines[10]);
    const sig = Buffer.from(rec.sig as string, "base64");
    sig[5] ^= 1;
    lines[10] = canonical({ ...rec, sig: sig.toString("base64") });
    expectBad(check(lines, mode), { line: 11, seq: 10, kind: "bad-signature" });
  });

  test.each(MODES)("a checkpoint signed by another key (%s)", (mode) => {
    const lines = log.lines.slice();
    const rec = parse(lines[21]);
    lines[21] = reseal({ ...rec, sig: signCheckpoint(rec, otherSigningKey()) }, log.auditKey);
    const r = check(lines, mode);
    expectBad(r, { line: 22, seq: 21, kind: "bad-signature" });
    expect(status(r)["IMGSEC-AUDIT-003"]).toBe("FAIL");
  });

  test("the wrong public key is reported as signatures that do not verify, naming both keys", () => {
    const other = otherSigningKey();
    const { createPublicKey } = jest.requireActual("node:crypto") as typeof import("node:crypto");
    const r = verifyAuditLog({ text: join1(log.lines) }, { publicKey: createPublicKey(other) });
    expect(r.firstBad?.kind).toBe("bad-signature");
    expect(r.results.find((x) => x.rule === "IMGSEC-AUDIT-003")?.message).toMatch(
      /the log names signing key [0-9a-f]{32}, the supplied public key is [0-9a-f]{32}/,
    );
  });

  test("the wrong audit key fails -001 and names both key ids", () => {
    const keys = newKeys(tmp());
    const wrong = loadKey(keys, "audit").key;
    const r = verifyAuditLog(
      { text: join1(log.lines) },
      { auditKey: wrong, publicKey: log.publicKey },
    );
    expect(r.intact).toBe(false);
    expect(r.results[0].status).toBe("FAIL");
    expect(r.results[0].message).toMatch(
      /the log names audit key [0-9a-f]{16}, the supplied key is [0-9a-f]{16}/,
    );
  });

  test.each(MODES)("a torn last line (%s)", (mode) => {
    const text = join1(log.lines);
    const r = check(text.slice(0, text.length - 40), mode);
    expectBad(r, { line: 35, kind: "torn" });
    expect(status(r)["IMGSEC-AUDIT-005"]).toBe("FAIL");
    // A complete record without its newline is torn too: the write did not finish.
    expectBad(check(text.slice(0, -1), mode), { line: 35, kind: "torn" });
  });

  test.each(MODES)("a malformed line (%s)", (mode) => {
    const lines = log.lines.slice();
    lines[7] = "not json at all";
    expectBad(check(lines, mode), { line: 8, kind: "malformed" });
    const reformatted = log.lines.slice();
    reformatted[7] = JSON.stringify(parse(reformatted[7]), null, 1).replace(/\n/g, " ");
    expect(check(reformatted, mode).firstBad?.kind).toBe(
      mode === "full" ? "malformed" : "malformed",
    );
  });

  test.each(MODES)(
    "a value outside the schema: modified with the key, malformed without (%s)",
    (mode) => {
      const lines = log.lines.slice();
      lines[4] = edit(lines[4], { details: { note: "John Smith" } });
      expectBad(check(lines, mode), {
        line: 5,
        seq: 4,
        kind: mode === "full" ? "modified" : "malformed",
      });
    },
  );

  test("an empty log is truncated", () => {
    expectBad(check(""), { line: 1, seq: 0, kind: "truncated" });
  });
});

describe("open logs (--allow-open)", () => {
  test("records after the last checkpoint are a WARN, not a failure", () => {
    const r = check(log.lines.slice(0, 15), "full", true);
    expect(r.intact).toBe(true);
    expect(status(r)["IMGSEC-AUDIT-004"]).toBe("WARN");
    expect(r.results.find((x) => x.rule === "IMGSEC-AUDIT-004")?.message).toMatch(
      /4 record\(s\) after the last checkpoint \(seq 10\)/,
    );
    expect(r.lastCheckpoint?.seq).toBe(10);
  });

  test("a log that ends at an interval checkpoint passes; a torn last line is a WARN", () => {
    expect(status(check(log.lines.slice(0, 11), "full", true))["IMGSEC-AUDIT-004"]).toBe("PASS");
    const text = join1(log.lines.slice(0, 15));
    const r = check(text.slice(0, -20), "full", true);
    expect(r.intact).toBe(true);
    expect(status(r)["IMGSEC-AUDIT-005"]).toBe("WARN");
  });

  test("tampering is still a failure", () => {
    const lines = log.lines.slice(0, 15);
    lines.splice(5, 1);
    expect(check(lines, "full", true).firstBad).toEqual({ line: 6, seq: 5, kind: "deleted" });
  });
});

describe("unusable input", () => {
  test("a missing file throws AuditLogError (exit 2), not a verdict", () => {
    expect(() => verifyAuditLog({ path: join(tmp(), "nope.jsonl") })).toThrow(/no audit log at/);
  });

  test("a public key that is neither Ed25519 nor ECDSA P-256 is refused", () => {
    const { generateKeyPairSync } = jest.requireActual(
      "node:crypto",
    ) as typeof import("node:crypto");
    const path = join(tmp(), "a.jsonl");
    writeFileSync(path, join1(log.lines));
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey;
    expect(() => verifyAuditLog({ path }, { publicKey: p384 })).toThrow(
      /is a ec key, not Ed25519 or ECDSA P-256/,
    );
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    expect(() => verifyAuditLog({ path }, { publicKey: rsa })).toThrow(
      /is a rsa key, not Ed25519 or ECDSA P-256/,
    );
  });
});

test("a log larger than the verifier's 4 MiB read chunk verifies from a path, across chunk boundaries", async () => {
  const dir = tmp();
  const keys = newKeys(dir);
  const path = join(dir, "big.jsonl");
  const w = await openAuditLog({ path, keysPath: keys, actor: "local:tester", s3: false });
  for (let i = 0; i < 12_000; i += 500)
    await Promise.all(Array.from({ length: 500 }, (_, j) => w.append(event(i + j))));
  await w.close();
  expect(statSync(path).size).toBeGreaterThan(4 * 1024 * 1024);
  const opts = { auditKey: loadKey(keys, "audit").key, publicKey: loadSigningKey(keys).publicKey };
  const r = verifyAuditLog({ path }, opts);
  expect(r.intact).toBe(true);
  expect(r.counts.events).toBe(12_000);
  // And a deletion far past the first chunk is still found and named.
  const lines = readFileSync(path, "utf8").split("\n").slice(0, -1);
  lines.splice(11_000, 1);
  writeFileSync(path, join1(lines));
  expect(verifyAuditLog({ path }, opts).firstBad).toEqual({
    line: 11_001,
    seq: 11_000,
    kind: "deleted",
  });
});

test("an unreadable first line is reported once, not as every later record belonging to another log", () => {
  const lines = log.lines.slice();
  lines[0] = "\ufeff" + lines[0]; // a byte-order mark added by an editor
  const r = verifyAuditLog(
    { text: join1(lines) },
    { auditKey: log.auditKey, publicKey: log.publicKey },
  );
  expect(r.firstBad).toEqual({ line: 1, kind: "malformed" });
  expect(r.results.find((x) => x.rule === "IMGSEC-AUDIT-002")?.status).toBe("PASS");
});
