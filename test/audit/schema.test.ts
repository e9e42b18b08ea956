import { AuditRecordSchema, isAuditRecord } from "../../handlers/audit/schema";
import { canonical } from "../../handlers/audit/canonical";
import { makeLog, p256Signer, parse, Rec, tmp } from "./logs";

const ODD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  Number.NaN,
  "",
  "x",
  "A".repeat(65),
  "a".repeat(64),
  "a".repeat(32),
  "a".repeat(16),
  "local:someone",
  "2026-01-01T00:00:00.000Z",
  "ed25519",
  "ecdsa-p256-sha256",
  "MEUCIQ==",
  "close",
  "event",
  true,
  [],
  {},
  [{ kind: "dataset", id: "d" }],
  { note: "free text here" },
];

function mutations(rec: Rec): Rec[] {
  const out: Rec[] = [];
  for (const k of Object.keys(rec)) {
    const { [k]: _gone, ...rest } = rec;
    out.push(rest);
    for (const v of ODD_VALUES) out.push({ ...rec, [k]: v });
  }
  out.push({ ...rec, extra: 1 });
  if (Array.isArray(rec.objects)) {
    rec.objects.forEach((o: Rec, i: number) => {
      for (const k of Object.keys(o))
        for (const v of ODD_VALUES) {
          const objects = (rec.objects as Rec[]).slice();
          objects[i] = { ...o, [k]: v };
          out.push({ ...rec, objects });
        }
      const objects = (rec.objects as Rec[]).slice();
      objects[i] = { ...o, path: "/x" };
      out.push({ ...rec, objects });
    });
  }
  if (rec.details && typeof rec.details === "object") {
    for (const v of ODD_VALUES) out.push({ ...rec, details: { ...(rec.details as Rec), k: v } });
    out.push({ ...rec, details: { "bad key": 1 } });
    out.push({
      ...rec,
      details: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
    });
  }
  return out;
}

test("the verifier's fast record check agrees with the zod schema on valid records and their mutations", async () => {
  const log = await makeLog(3, 2);
  // A log signed as KMS signs (ECDSA P-256, DER signatures of varying length) too.
  const ecdsa = await makeLog(3, 2, tmp(), p256Signer());
  const samples = [...log.lines, ...ecdsa.lines].map(parse);
  expect(new Set(samples.map((r) => r.type))).toEqual(new Set(["open", "event", "checkpoint"]));
  expect(new Set(samples.map((r) => r.alg))).toEqual(
    new Set([undefined, "ed25519", "ecdsa-p256-sha256"]),
  );
  let checked = 0;
  for (const rec of samples) {
    expect(isAuditRecord(rec)).toBe(true);
    for (const m of mutations(rec)) {
      // JSON round trip: the verifier sees parsed lines (no undefined, NaN becomes null).
      const parsed = JSON.parse(JSON.stringify(m));
      expect([canonical(parsed).slice(0, 80), isAuditRecord(parsed)]).toEqual([
        canonical(parsed).slice(0, 80),
        AuditRecordSchema.safeParse(parsed).success,
      ]);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(1000);
});

test("canonical JSON sorts keys at every level, and agrees with the fast path", () => {
  expect(canonical({ b: 1, a: [{ d: 1, c: "x" }], "10": 1, "9": 2 })).toBe(
    '{"10":1,"9":2,"a":[{"c":"x","d":1}],"b":1}',
  );
  const sorted = { a: 1, b: { c: "\u00e9\n", d: [true, null] } };
  expect(canonical(sorted)).toBe(JSON.stringify(sorted));
  expect(() => canonical({ a: undefined })).toThrow();
});
