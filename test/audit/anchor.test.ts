/**
 * Truncation back to an earlier run's close checkpoint: invisible in the file alone (every run
 * ends the log at a signed close), detected against a head kept elsewhere (`audit head`,
 * `--expect-head`) or against the S3 Object Lock copy (`--s3`, IMGSEC_AUDIT_S3).
 */
import { CreateBucketCommand, DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import {
  AuditHead,
  AuditVerifyReport,
  formatHead,
  openAuditLog,
  parseHead,
  verifyAuditLog,
} from "../../handlers/audit";
import { sha256Hex } from "../../handlers/audit/canonical";
import { S3SinkOptions } from "../../handlers/audit/s3";
import { loadKey, loadSigningKey, signingPublicKeyPem } from "../../handlers/keys/keyfile";
import { expectOneLineError, runCli } from "../helpers/cli";
import { describeWithMoto } from "../helpers/moto";
import { edit, event, join1, newKeys, p256Signer, parse, rechain, tmp } from "./logs";
import { run } from "./run-cli";

const NO_ENV = { IMGSEC_KEYS: undefined, IMGSEC_AUDIT_LOG: undefined, IMGSEC_AUDIT_S3: undefined };

interface TwoRuns {
  dir: string;
  path: string;
  keys: string;
  pem: string;
  logId: string;
  /** Every line after both runs. */
  lines: string[];
  /** The lines of the first run alone: the log cut back to its close (seq 0-6). */
  run1: string[];
}

/**
 * One log written by two runs, as two CLI commands would: run 1 is open, 5 events, close (seq
 * 0-6); run 2 is 14 events, an interval checkpoint at 17, close at 22.
 */
async function twoRuns(s3: S3SinkOptions | false = false, dir = tmp()): Promise<TwoRuns> {
  const keys = newKeys(dir);
  const path = join(dir, "audit.jsonl");
  const session = async (from: number, n: number) => {
    const w = await openAuditLog({
      path,
      keysPath: keys,
      actor: "local:tester",
      checkpointEvery: 10,
      s3,
    });
    for (let i = from; i < from + n; i++) await w.append(event(i));
    await w.close();
    return w.logId;
  };
  const logId = await session(0, 5);
  const run1 = readFileSync(path, "utf8").split("\n").slice(0, -1);
  await session(5, 14);
  const lines = readFileSync(path, "utf8").split("\n").slice(0, -1);
  const pem = join(dir, "audit.pub.pem");
  writeFileSync(pem, signingPublicKeyPem(keys));
  return { dir, path, keys, pem, logId, lines, run1 };
}

/** Writes lines to a new file beside the log; returns its path. */
function file(t: TwoRuns, name: string, lines: string[]): string {
  const p = join(t.dir, name);
  writeFileSync(p, join1(lines));
  return p;
}

const rule6 = (r: { results: AuditVerifyReport["results"] }) =>
  r.results.filter((x) => x.rule === "IMGSEC-AUDIT-006");

function expectUnusable(r: { code: number; stdout: string; stderr: string }, message: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

let t: TwoRuns;
let cut: string;
let headLine: string;
beforeAll(async () => {
  t = await twoRuns();
  cut = file(t, "cut.jsonl", t.run1);
  const r = await run(["audit", "head", t.path, "--keys", t.keys], NO_ENV);
  expect(r.code).toBe(0);
  headLine = r.stdout.trimEnd();
});

describe("a log cut back to an earlier run's close, without an anchor", () => {
  test("the two runs: each ends the log at a signed close checkpoint", () => {
    const closes = t.lines.map(parse).filter((r) => r.reason === "close");
    expect(closes.map((r) => r.seq)).toEqual([6, 22]);
    expect(t.run1).toEqual(t.lines.slice(0, 7));
  });

  test("verifies INTACT, with the key file or only the public key: the file alone cannot show the cut, and the output says so", async () => {
    for (const keyArgs of [
      ["--keys", t.keys],
      ["--pubkey", t.pem],
    ]) {
      const r = await run(["audit", "verify", cut, ...keyArgs], NO_ENV);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/: INTACT, with warnings\n/);
      expect(r.stdout).toMatch(
        /PASS IMGSEC-AUDIT-004 The audit log ends at a signed close checkpoint/,
      );
      expect(r.stdout).toMatch(
        /WARN IMGSEC-AUDIT-006 The audit log reaches its last anchored head/,
      );
      expect(r.stdout).toMatch(
        /no anchor: a log cut back to an earlier run's close checkpoint is a valid, shorter log, which cannot be detected without one/,
      );
    }
    const j = await run(["audit", "verify", cut, "--keys", t.keys, "--format", "json"], NO_ENV);
    const doc = JSON.parse(j.stdout);
    expect(doc.intact).toBe(true);
    expect(rule6(doc)).toMatchObject([{ status: "WARN", severity: "high" }]);
    expect(rule6(doc)[0].message).toMatch(/cannot be detected without one/);
    expect(rule6(doc)[0].controls).toEqual(["164.312(b)", "164.312(c)(1)"]);
  });
});

describe("imgsec audit head", () => {
  test("prints one line: format, log id, seq and hash of the last checkpoint, and its signed fields", () => {
    const last = t.lines[t.lines.length - 1];
    const cp = parse(last);
    const hash = sha256Hex(last);
    expect(headLine).toBe(
      `imgsec-audit-head/v1 ${t.logId} 22 sha256:${hash} prev=sha256:${cp.prev} ts=${cp.ts} reason=close alg=ed25519 key=${cp.key} sig=${cp.sig}`,
    );
    expect(headLine).not.toMatch(/\n/);
    expect(formatHead(parseHead(headLine))).toBe(headLine);
  });

  test("the JSON form holds the same head, and parses to it", async () => {
    const r = await run(["audit", "head", t.path, "--keys", t.keys, "--format", "json"], NO_ENV);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as AuditHead;
    expect(doc).toEqual(parseHead(headLine));
    expect(doc).toMatchObject({ format: "imgsec-audit-head/v1", log: t.logId, seq: 22 });
    expect(formatHead(parseHead(r.stdout))).toBe(headLine);
  });

  test("the log defaults to IMGSEC_AUDIT_LOG, then audit.jsonl beside the key file; --out writes the head", async () => {
    const besideKeys = await run(["audit", "head", "--keys", t.keys], NO_ENV);
    expect(besideKeys.stdout.trimEnd()).toBe(headLine);
    const viaEnv = await run(["audit", "head", "--keys", t.keys], {
      ...NO_ENV,
      IMGSEC_AUDIT_LOG: cut,
    });
    expect(viaEnv.stdout).toMatch(/^imgsec-audit-head\/v1 [0-9a-f]{32} 6 sha256:/);
    const out = join(t.dir, "head.txt");
    const w = await run(["audit", "head", t.path, "--keys", t.keys, "--out", out], NO_ENV);
    expect(w.code).toBe(0);
    expect(w.stdout).toBe(`wrote ${out} (log ${t.logId}, seq 22)\n`);
    expect(readFileSync(out, "utf8")).toBe(headLine + "\n");
  });

  test("an auditor with only the public key gets the same head", async () => {
    const r = await run(["audit", "head", t.path, "--pubkey", t.pem], NO_ENV);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd()).toBe(headLine);
  });

  test("a tampered log has no head: exit 1, one line on stderr, nothing on stdout", async () => {
    const lines = t.lines.slice();
    lines[3] = edit(lines[3], { outcome: "refused" });
    const r = await run(["audit", "head", file(t, "bad.jsonl", lines), "--keys", t.keys], NO_ENV);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/is not intact \(line 4 \(seq 3\) was modified\): no head printed/);
  });

  test("an open log (--allow-open): the last checkpoint's head, and a note on the records it does not cover", async () => {
    const open = file(t, "open.jsonl", t.lines.slice(0, 20)); // seq 0-19: checkpoint 17, then 2
    expect((await run(["audit", "head", open, "--keys", t.keys], NO_ENV)).code).toBe(1);
    const r = await run(["audit", "head", open, "--keys", t.keys, "--allow-open"], NO_ENV);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imgsec-audit-head\/v1 [0-9a-f]{32} 17 sha256:.* reason=interval /);
    expect(r.stderr).toMatch(/the 2 record\(s\) after checkpoint seq 17 are not signed yet/);
  });

  test("--expect-head chains heads: the new head is printed only for a log that reaches the previous one", async () => {
    const run1Head = (await run(["audit", "head", cut, "--keys", t.keys], NO_ENV)).stdout.trim();
    const next = await run(
      ["audit", "head", t.path, "--keys", t.keys, "--expect-head", run1Head],
      NO_ENV,
    );
    expect(next.code).toBe(0);
    expect(next.stdout.trimEnd()).toBe(headLine);
    const refused = await run(
      ["audit", "head", cut, "--keys", t.keys, "--expect-head", headLine],
      NO_ENV,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(
      /is not intact \(the log ends at seq 6 \(line 7\), before the anchored head/,
    );
  });

  test("a P-256 (KMS format) signed log: the head names its alg, and verifies with its PEM", async () => {
    const dir = tmp();
    const keys = newKeys(dir);
    const path = join(dir, "audit.jsonl");
    const signer = p256Signer();
    const w = await openAuditLog({ path, keysPath: keys, actor: "local:x", s3: false, signer });
    await w.append(event(1));
    await w.close();
    const pem = join(dir, "p256.pem");
    writeFileSync(pem, signer.publicKey.export({ format: "pem", type: "spki" }));
    const h = await run(["audit", "head", path, "--pubkey", pem], NO_ENV);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/ alg=ecdsa-p256-sha256 /);
    const v = await run(
      ["audit", "verify", path, "--pubkey", pem, "--expect-head", h.stdout.trim()],
      NO_ENV,
    );
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/PASS IMGSEC-AUDIT-006/);
  });
});

describe("audit verify --expect-head", () => {
  test("the log that reaches the head: INTACT, IMGSEC-AUDIT-006 PASS", async () => {
    const r = await run(
      ["audit", "verify", t.path, "--keys", t.keys, "--expect-head", headLine],
      NO_ENV,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: INTACT\n/);
    expect(r.stdout).toMatch(
      new RegExp(
        `PASS IMGSEC-AUDIT-006 .*\\n\\s+the log holds the anchored head \\(seq 22\\) of log ${t.logId}`,
      ),
    );
  });

  test("the cut log, against the head `audit head` printed after the second run (the line): truncated, exit 1", async () => {
    const r = await run(
      ["audit", "verify", cut, "--keys", t.keys, "--expect-head", headLine],
      NO_ENV,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /TAMPERED: the log ends at seq 6 \(line 7\), before the anchored head \(seq 22\): it was cut back \(truncated\), 16 record\(s\) missing/,
    );
    expect(r.stdout).toMatch(/first bad record: line 8, seq 7, truncated/);
    expect(r.stdout).toMatch(/FAIL IMGSEC-AUDIT-006/);
    // The file's own checks still pass: the cut is only visible against the anchor.
    expect(r.stdout).toMatch(/PASS IMGSEC-AUDIT-004/);
  });

  test("the head as a file: the text (FILE and @FILE) and the JSON (audit head --format json --out); with only the public key too", async () => {
    const txt = join(t.dir, "run2.head");
    const json = join(t.dir, "run2.head.json");
    await run(["audit", "head", t.path, "--keys", t.keys, "--out", txt], NO_ENV);
    await run(
      ["audit", "head", t.path, "--keys", t.keys, "--format", "json", "--out", json],
      NO_ENV,
    );
    expect(readFileSync(json, "utf8")).toMatch(/^\{\n {2}"format": "imgsec-audit-head\/v1",/);
    for (const arg of [txt, `@${txt}`, json, `@${json}`]) {
      for (const keyArgs of [
        ["--keys", t.keys],
        ["--pubkey", t.pem],
      ]) {
        const r = await run(
          ["audit", "verify", cut, ...keyArgs, "--expect-head", arg, "--format", "json"],
          NO_ENV,
        );
        expect(r.code).toBe(1);
        const doc = JSON.parse(r.stdout);
        expect(doc.firstBad).toEqual({ line: 8, seq: 7, kind: "truncated" });
        expect(rule6(doc)).toMatchObject([{ status: "FAIL" }]);
        expect(rule6(doc)[0].message).toMatch(/before the anchored head \(seq 22\)/);
      }
      const ok = await run(
        ["audit", "verify", t.path, "--keys", t.keys, "--expect-head", arg],
        NO_ENV,
      );
      expect(ok.code).toBe(0);
    }
  });

  test("a head of another log (same keys, another log id): FAIL, replaced", async () => {
    const other = join(t.dir, "other.jsonl");
    const w = await openAuditLog({ path: other, keysPath: t.keys, actor: "local:x", s3: false });
    await w.append(event(1));
    await w.close();
    const h = await run(["audit", "head", other, "--keys", t.keys], NO_ENV);
    const r = await run(
      ["audit", "verify", t.path, "--keys", t.keys, "--expect-head", h.stdout.trim()],
      NO_ENV,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `TAMPERED: this is log ${t.logId}, the anchored head \\(seq 2\\) names log ${w.logId}: the anchored log was replaced by another`,
      ),
    );
    expect(r.stdout).toMatch(/first bad record: line 1, seq 0, replaced/);
  });

  test("a forked record at the head's seq (cut back, then written on by a later run): FAIL, forked", async () => {
    const forked = file(t, "forked.jsonl", t.run1);
    const w = await openAuditLog({
      path: forked,
      keysPath: t.keys,
      actor: "local:other",
      checkpointEvery: 10,
      s3: false,
    });
    for (let i = 0; i < 14; i++) await w.append(event(100 + i));
    await w.close();
    // The fork is a valid log of its own, as long as the original, ending at a close at seq 22.
    const alone = await run(["audit", "verify", forked, "--keys", t.keys], NO_ENV);
    expect(alone.code).toBe(0);
    const r = await run(
      ["audit", "verify", forked, "--keys", t.keys, "--expect-head", headLine, "--format", "json"],
      NO_ENV,
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.firstBad).toEqual({ line: 23, seq: 22, kind: "forked" });
    expect(doc.firstBadMessage).toMatch(
      /line 23 \(seq 22\) is not the record the anchored head \(seq 22\) holds at seq 22: modified, or the log was cut back and written on from there \(forked\)/,
    );
  });

  test.each([
    [
      "not a head at all",
      "hello",
      /--expect-head hello: neither a head \(imgsec-audit-head\/v1 \.\.\.\) nor a file/,
    ],
    [
      "a bad log id",
      () => headLine.replace(t.logId, "XYZ"),
      /--expect-head is not an audit head: log is not a log id/,
    ],
    [
      "a seq that is not a number",
      () => headLine.replace(" 22 ", " 2x2 "),
      /seq is not a checkpoint's seq/,
    ],
    ["a missing signature", () => headLine.replace(/ sig=\S+$/, ""), /sig is missing/],
    ["an unknown field", () => `${headLine} foo=bar`, /unexpected "foo=bar"/],
    [
      "another format version",
      () => headLine.replace("/v1", "/v9"),
      /imgsec-audit-head\/v9 is not a format this imgsec reads \(imgsec-audit-head\/v1\)/,
    ],
    [
      "a JSON file with a bad field",
      () => {
        const p = join(t.dir, "bad-head.json");
        writeFileSync(p, JSON.stringify({ ...parseHead(headLine), seq: -1 }));
        return p;
      },
      /--expect-head .*bad-head\.json is not an audit head: seq is not a checkpoint's seq/,
    ],
    [
      "a file of two lines",
      () => {
        const p = join(t.dir, "two.head");
        writeFileSync(p, `${headLine}\n${headLine}\n`);
        return `@${p}`;
      },
      /is not an audit head: more than one line/,
    ],
    [
      "an altered head (its signature does not verify)",
      () => headLine.replace(/ts=\S+/, "ts=2020-01-01T00:00:00.000Z"),
      /the expected head's signature does not verify under key [0-9a-f]{32}: it was altered/,
    ],
  ])("a malformed head: %s → exit 2, one line, no stack trace", async (_name, head, message) => {
    const arg = typeof head === "function" ? head() : head;
    const r = await run(
      ["audit", "verify", t.path, "--keys", t.keys, "--expect-head", arg],
      NO_ENV,
    );
    expectUnusable(r, message as RegExp);
  });

  test("a head signed by another key: exit 2, naming both keys", async () => {
    const other = await twoRuns();
    const h = await run(["audit", "head", other.path, "--keys", other.keys], NO_ENV);
    const r = await run(
      ["audit", "verify", t.path, "--keys", t.keys, "--expect-head", h.stdout.trim()],
      NO_ENV,
    );
    expectUnusable(
      r,
      /the expected head is signed by key [0-9a-f]{32}, not by the supplied public key [0-9a-f]{32}/,
    );
  });

  test("in the library, without a public key the head's own signature is not checked, and the PASS says so", () => {
    const r = verifyAuditLog(
      { path: t.path },
      { auditKey: loadKey(t.keys, "audit").key, expectHead: parseHead(headLine) },
    );
    expect(r.intact).toBe(true);
    expect(rule6(r)[0].message).toMatch(/the head's own signature not checked: no public key/);
  });
});

/** A local port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describeWithMoto("audit verify against the S3 Object Lock copy (moto)", (moto) => {
  let client: S3Client;
  let s: TwoRuns;
  let cutLocal: string;
  const bucket = "imgsec-audit-anchor";
  const url = `s3://${bucket}/audit/`;
  const env = () => ({ ...NO_ENV, ...moto().env });

  beforeAll(async () => {
    client = new S3Client({ ...moto().clientConfig, forcePathStyle: true });
    await client.send(
      new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }),
    );
    s = await twoRuns({ bucket, prefix: "audit/", retainDays: 1, client });
    // The local log cut back to run 1's close; its copy in S3 holds both runs.
    cutLocal = join(s.dir, "audit.jsonl");
    writeFileSync(cutLocal, join1(s.run1));
  });
  afterAll(() => client.destroy());

  test("the intact local log matches its copy: IMGSEC-AUDIT-006 PASS", async () => {
    const full = file(s, "full.jsonl", s.lines);
    const r = await run(["audit", "verify", full, "--keys", s.keys, "--s3", url], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: INTACT\n/);
    expect(r.stdout).toMatch(
      new RegExp(
        `the log holds every record of the S3 Object Lock copy s3://${bucket}/audit/${s.logId}/, byte for byte \\(seq 0-22\\)`,
      ),
    );
  });

  test("the local log cut back to run 1's close: truncated, naming where it stops and what the copy holds beyond (--s3, and IMGSEC_AUDIT_S3)", async () => {
    const viaFlag = await run(["audit", "verify", cutLocal, "--keys", s.keys, "--s3", url], env());
    const viaEnv = await run(["audit", "verify", cutLocal, "--pubkey", s.pem], {
      ...env(),
      IMGSEC_AUDIT_S3: url,
    });
    for (const r of [viaFlag, viaEnv]) {
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(
          `TAMPERED: the log ends at seq 6 \\(line 7\\), the S3 Object Lock copy s3://${bucket}/audit/${s.logId}/ holds 16 record\\(s\\) more \\(seq 7-22\\): the log was cut back \\(truncated\\)`,
        ),
      );
      expect(r.stdout).toMatch(/first bad record: line 8, seq 7, truncated/);
    }
    // --no-s3: the local file alone, which cannot show the cut (and says so).
    const alone = await run(["audit", "verify", cutLocal, "--keys", s.keys, "--no-s3"], {
      ...env(),
      IMGSEC_AUDIT_S3: url,
    });
    expect(alone.code).toBe(0);
    expect(alone.stdout).toMatch(/WARN IMGSEC-AUDIT-006/);
  });

  test("a local record rewritten by a holder of both keys (the file verifies on its own) differs from its copy: forked/modified", async () => {
    const lines = rechain(
      [...s.lines.slice(0, 3), edit(s.lines[3], { outcome: "refused" }), ...s.lines.slice(4)],
      3,
      loadKey(s.keys, "audit").key,
      loadSigningKey(s.keys).privateKey,
    );
    const rewritten = file(s, "rewritten.jsonl", lines);
    expect((await run(["audit", "verify", rewritten, "--keys", s.keys], NO_ENV)).code).toBe(0);
    const r = await run(
      ["audit", "verify", rewritten, "--keys", s.keys, "--s3", url, "--format", "json"],
      env(),
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.firstBad).toEqual({ line: 4, seq: 3, kind: "forked" });
    expect(doc.firstBadMessage).toMatch(
      /line 4 \(seq 3\) is not the record the S3 Object Lock copy .* holds at seq 3: modified/,
    );
  });

  test("both anchors at once: one IMGSEC-AUDIT-006 result each", async () => {
    const h = await run(["audit", "head", file(s, "f.jsonl", s.lines), "--keys", s.keys], env());
    const r = await run(
      [
        "audit",
        "verify",
        cutLocal,
        "--keys",
        s.keys,
        "--s3",
        url,
        "--expect-head",
        h.stdout.trim(),
      ],
      env(),
    );
    expect(r.code).toBe(1);
    expect(r.stdout.match(/FAIL IMGSEC-AUDIT-006/g)).toHaveLength(2);
  });

  test("a copy that does not verify itself (a segment hidden by a delete marker) cannot anchor the log: FAIL, saying so", async () => {
    const h = await twoRuns({ bucket, prefix: "hidden/", client });
    await client.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: `hidden/${h.logId}/000000000007-000000000017.jsonl`,
      }),
    );
    const r = await run(
      ["audit", "verify", h.path, "--keys", h.keys, "--s3", `s3://${bucket}/hidden/`],
      env(),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `FAIL IMGSEC-AUDIT-006 .*\\n\\s+the S3 Object Lock copy s3://${bucket}/hidden/${h.logId}/ cannot anchor the log: it does not verify itself: record seq 7 is missing at line 8: deleted`,
      ),
    );
    // The local file itself is fine: the verdict names the failure, not a bad record.
    expect(r.stdout).toMatch(/: TAMPERED: the S3 Object Lock copy .* cannot anchor the log/);
    expect(r.stdout).not.toMatch(/first bad record/);
  });

  test("no copy of this log under the location: exit 2, naming the logs that are there", async () => {
    const other = await twoRuns();
    const r = await run(["audit", "verify", other.path, "--keys", other.keys, "--s3", url], env());
    expectUnusable(
      r,
      new RegExp(
        `no S3 copy of audit log ${other.logId} at s3://${bucket}/audit/${other.logId}/ \\(s3://${bucket}/audit/ holds log ${s.logId}\\).*--no-s3 verifies the local log alone`,
      ),
    );
  });

  test("the copy unreachable: exit 2, one line saying so (never a silent pass)", async () => {
    const port = await closedPort();
    const r = await run(["audit", "verify", cutLocal, "--keys", s.keys], {
      ...env(),
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_MAX_ATTEMPTS: "1",
      IMGSEC_AUDIT_S3: url,
    });
    expectUnusable(
      r,
      new RegExp(
        `cannot list s3://${bucket}/audit/${s.logId}/: ECONNREFUSED \\(the S3 Object Lock copy IMGSEC_AUDIT_S3 names; --no-s3 verifies the local log alone\\)`,
      ),
    );
  });

  test("--s3 with an s3:// log is refused (the copy cannot anchor itself); --expect-head works on the copy", async () => {
    expectUnusable(
      await run(["audit", "verify", url, "--keys", s.keys, "--s3", url], env()),
      /--s3 holds a local log to its S3 copy/,
    );
    const h = await run(["audit", "head", url, "--keys", s.keys], env());
    expect(h.code).toBe(0);
    const r = await run(
      ["audit", "verify", url, "--keys", s.keys, "--expect-head", h.stdout.trim()],
      env(),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS IMGSEC-AUDIT-006/);
  });
});

describe("the built CLI (bin/imgsec.js)", () => {
  test("audit head prints one line, and verify --expect-head holds a cut log to it; a malformed head is one line, exit 2", () => {
    const env = { ...NO_ENV, IMGSEC_KEYS: t.keys };
    const h = runCli(["audit", "head", t.path], { env });
    expect(h.code).toBe(0);
    expect(h.stdout).toBe(headLine + "\n");
    const v = runCli(["audit", "verify", cut, "--expect-head", headLine], { env });
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(
      /TAMPERED: the log ends at seq 6 \(line 7\), before the anchored head/,
    );
    expectOneLineError(
      runCli(["audit", "verify", cut, "--expect-head", "imgsec-audit-head/v1 nope"], { env }),
      /^imgsec: --expect-head is not an audit head: log is not a log id/,
    );
  });
});
