/**
 * Instance logs against moto: function instances each keep their own log, seal every invocation
 * with one KMS Sign (ECC_NIST_P256) and write its segment to an Object Lock bucket; then
 * `imgsec audit verify s3://bucket/prefix/` verifies every log under the prefix from its
 * segments alone, tells logs that never closed from tampered ones, and fails deleted, hidden,
 * reordered, altered, forged and unretained segments.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CheckpointSigner,
  InstanceLog,
  kmsSigner,
  openInstanceLog,
  s3Sink,
  verifyS3Prefix,
} from "../../handlers/audit";
import { canonical } from "../../handlers/audit/canonical";
import { loadKey } from "../../handlers/keys/keyfile";
import { describeWithMoto } from "../helpers/moto";
import { edit, event, newKeys, parse, tmp } from "./logs";
import { run } from "./run-cli";
import { runCli } from "../helpers/cli";

const ACTOR = "arn:aws:sts::123456789012:assumed-role/imgsec-job/imgsec-job-fn";
/** What `imgsec audit verify` must never print: the content of the records. */
const CONTENT = /study-1|PSN-|2\.25\.|"objects"|"details"/;

type Calls = Record<string, number>;

/** Counts the commands a client sends (the requests AWS would bill). */
function counted<C extends S3Client | KMSClient>(client: C, calls: Calls): C {
  (client as S3Client).middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      calls[name] = (calls[name] ?? 0) + 1;
      return next(args);
    },
    { step: "initialize", name: "imgsecCountCalls" },
  );
  return client;
}

describeWithMoto(
  "instance logs in the Object Lock audit bucket, verified from S3 alone (moto)",
  (moto) => {
    const bucket = "imgsec-audit-instances";
    const governed = "imgsec-audit-governed";
    const unlocked = "imgsec-audit-unlocked";
    const calls: Calls = {};
    let s3: S3Client;
    let kms: KMSClient;
    let arn: string;
    let signer: CheckpointSigner;
    let keysPath: string;
    let auditKey: { key: Buffer; id: string };
    let pem: string;
    const env = () => ({
      ...moto().env,
      IMGSEC_KEYS: undefined,
      IMGSEC_AUDIT_SIGNING_KMS_KEY: undefined,
      IMGSEC_AUDIT_S3: undefined,
    });

    beforeAll(async () => {
      s3 = counted(new S3Client({ ...moto().clientConfig, forcePathStyle: true }), calls);
      kms = counted(new KMSClient(moto().clientConfig), calls);
      arn = (
        await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))
      ).KeyMetadata?.Arn as string;
      signer = await kmsSigner({ kmsKeyId: arn, client: kms });
      // The audit bucket as the stack declares it: Object Lock, COMPLIANCE by default (the writer
      // sets no retention itself, so it needs no s3:PutObjectRetention).
      for (const [Bucket, Mode] of [
        [bucket, "COMPLIANCE"],
        [governed, "GOVERNANCE"],
        [unlocked, undefined],
      ] as const) {
        await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
        if (Mode)
          await s3.send(
            new PutObjectLockConfigurationCommand({
              Bucket,
              ObjectLockConfiguration: {
                ObjectLockEnabled: "Enabled",
                Rule: { DefaultRetention: { Mode, Days: 1 } },
              },
            }),
          );
      }
      const dir = tmp();
      keysPath = newKeys(dir);
      auditKey = loadKey(keysPath, "audit");
      pem = join(dir, "kms.pub.pem");
      writeFileSync(pem, signer.publicKey.export({ format: "pem", type: "spki" }));
    });
    afterAll(() => {
      s3.destroy();
      kms.destroy();
    });

    const open = (prefix: string, where = bucket, client = s3) =>
      openInstanceLog({
        dir: tmp("imgsec-sandbox-tmp-"),
        keys: { key: Buffer.from(auditKey.key), id: auditKey.id },
        signer,
        sink: s3Sink({ bucket: where, prefix, client }),
        actor: ACTOR,
      });

    /** One invocation of a batch of `n` objects: one event each, then the seal. */
    async function invoke(log: InstanceLog, n: number, from = 0) {
      await Promise.all(Array.from({ length: n }, (_, i) => log.append(event(from + i))));
      return log.seal();
    }

    /** A log of four sealed invocations (three objects each) under `prefix`; not closed. */
    async function sealedLog(prefix: string, where = bucket) {
      const log = await open(prefix, where);
      const seals = [];
      for (let k = 0; k < 4; k++) seals.push(await invoke(log, 3, k * 3));
      return {
        logId: log.logId,
        keys: seals.map((s) => s?.key.replace(`s3://${where}/`, "") as string),
      };
    }

    const verify = (prefix: string, where = bucket, withKey = true) =>
      verifyS3Prefix(s3, where, prefix, {
        auditKey: withKey ? auditKey.key : undefined,
        publicKey: signer.publicKey,
      });

    const resultOf = (
      r: { results: { rule: string; status: string; message: string }[] },
      rule: string,
    ) => r.results.filter((x) => x.rule === rule);

    test("two instances write concurrently to one prefix, sealing each invocation: every log verifies; the closed one PASSES, the one never closed is a WARN, not a FAIL", async () => {
      const before = { ...calls };
      const [a, b] = await Promise.all([open("fleet/"), open("fleet/")]);
      const runA = (async () => {
        for (let k = 0; k < 4; k++) await invoke(a, 10, k * 10);
        await a.close();
      })();
      const runB = (async () => {
        for (let k = 0; k < 3; k++) await invoke(b, 5, 100 + k * 5);
        // B's sandbox is recycled here: no close.
      })();
      await Promise.all([runA, runB]);
      // One KMS Sign and one S3 PUT per sealed invocation (7), and per close (1).
      expect((calls.SignCommand ?? 0) - (before.SignCommand ?? 0)).toBe(8);
      expect((calls.PutObjectCommand ?? 0) - (before.PutObjectCommand ?? 0)).toBe(8);

      const r = await verify("fleet/");
      expect(r.intact).toBe(true);
      expect(r.segments).toBe(8);
      expect(r.counts.events).toBe(55);
      const byId = Object.fromEntries(r.logs.map((l) => [l.log, l]));
      expect(byId[a.logId]).toMatchObject({
        status: "closed",
        segments: 5,
        last: { reason: "close" },
      });
      expect(byId[b.logId]).toMatchObject({
        status: "not-closed",
        segments: 3,
        last: { reason: "seal", seq: 18 },
      });
      const complete = resultOf(r, "IMGSEC-AUDIT-004");
      expect(complete.map((x) => x.status).sort()).toEqual(["PASS", "WARN"]);
      expect(complete.find((x) => x.status === "WARN")?.message).toBe(
        `not closed: the log ends at its last seal checkpoint, seq 18 at ${byId[b.logId].last?.ts} (its instance was recycled, or is still running); every record up to it is signed`,
      );
      for (const rule of [
        "IMGSEC-AUDIT-001",
        "IMGSEC-AUDIT-002",
        "IMGSEC-AUDIT-003",
        "IMGSEC-AUDIT-005",
        "IMGSEC-AUDIT-006",
        "IMGSEC-AUDIT-007",
        "IMGSEC-AUDIT-008",
      ])
        expect(resultOf(r, rule).map((x) => x.status)).toEqual(["PASS", "PASS"]);

      // The CLI: the key file (HMACs too) and the KMS key; text, then JSON with only the PEM.
      const text = await run(
        [
          "audit",
          "verify",
          "s3://imgsec-audit-instances/fleet/",
          "--kms-key",
          arn,
          "--keys",
          keysPath,
        ],
        env(),
      );
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        /^audit logs under s3:\/\/imgsec-audit-instances\/fleet\/: INTACT, with warnings: 2 log\(s\), 1 closed, 1 not closed, 0 tampered; 8 segment\(s\)\n/,
      );
      expect(text.stdout).toContain(
        `log ${b.logId}: NOT CLOSED (3 segment(s), 19 records, last seal checkpoint seq 18 at `,
      );
      expect(text.stdout).toContain(
        `log ${a.logId}: INTACT, closed (5 segment(s), 46 records, last close checkpoint seq 45 at `,
      );
      expect(text.stdout).not.toMatch(CONTENT);
      const json = await run(
        [
          "audit",
          "verify",
          "s3://imgsec-audit-instances/fleet/",
          "--pubkey",
          pem,
          "--format",
          "json",
        ],
        env(),
      );
      expect(json.code).toBe(0);
      expect(json.stdout).not.toMatch(CONTENT);
      const doc = JSON.parse(json.stdout);
      expect(doc).toMatchObject({
        intact: true,
        checked: { hmac: false, signatures: true },
        summary: { failed: 0 },
      });
      expect(doc.logs.map((l: { status: string }) => l.status).sort()).toEqual([
        "closed",
        "not-closed",
      ]);
      // A head is one log's: name it.
      const heads = await run(
        ["audit", "head", "s3://imgsec-audit-instances/fleet/", "--pubkey", pem],
        env(),
      );
      expect(heads.code).toBe(2);
      expect(heads.stderr).toMatch(/holds 2 audit logs: a head is one log's, name one/);
      const head = await run(
        ["audit", "head", `s3://imgsec-audit-instances/fleet/${a.logId}/`, "--pubkey", pem],
        env(),
      );
      expect(head.code).toBe(0);
      expect(head.stdout).toMatch(new RegExp(`^imgsec-audit-head/v1 ${a.logId} 45 sha256:`));
    });

    test("KMS Sign calls and S3 PUTs per object: one per sealed invocation, so batch size divides them (100 objects at 1, 10, 100)", async () => {
      const measured: Record<number, { sign: number; put: number }> = {};
      for (const batch of [1, 10, 100]) {
        const log = await open(`cost-${batch}/`);
        const before = { ...calls };
        for (let i = 0; i < 100; i += batch) await invoke(log, batch, i);
        measured[batch] = {
          sign: calls.SignCommand - (before.SignCommand ?? 0),
          put: calls.PutObjectCommand - (before.PutObjectCommand ?? 0),
        };
        expect((await verify(`cost-${batch}/`)).counts.events).toBe(100);
      }
      expect(measured).toEqual({
        1: { sign: 100, put: 100 },
        10: { sign: 10, put: 10 },
        100: { sign: 1, put: 1 },
      });
    });

    test("a seal whose S3 write fails fails the invocation; the bucket then holds a log that is not closed (never a gap), and the next seal writes the unsealed records", async () => {
      // A client for a port nobody listens on: the SDK's real network error.
      const down = new S3Client({
        ...moto().clientConfig,
        endpoint: "http://127.0.0.1:9",
        forcePathStyle: true,
        maxAttempts: 1,
      });
      const up = s3Sink({ bucket, prefix: "outage/", client: s3 });
      const broken = s3Sink({ bucket, prefix: "outage/", client: down });
      let failing = false;
      const log = await openInstanceLog({
        dir: tmp("imgsec-sandbox-tmp-"),
        keys: { key: Buffer.from(auditKey.key), id: auditKey.id },
        signer,
        sink: { name: up.name, locate: up.locate, put: (s) => (failing ? broken : up).put(s) },
        actor: ACTOR,
      });
      try {
        await invoke(log, 2, 0);
        failing = true;
        await expect(invoke(log, 3, 2)).rejects.toThrow(
          new RegExp(
            `^audit records seq 4-7 of log ${log.logId} are signed locally but not written to s3://${bucket}/outage/ \\(ECONNREFUSED\\)`,
          ),
        );
        const during = await verify("outage/");
        expect(during.intact).toBe(true);
        expect(during.logs[0]).toMatchObject({ status: "not-closed", counts: { events: 2 } });
        failing = false;
        expect(await invoke(log, 1, 5)).toMatchObject({ first: 4, last: 9, segments: 2 });
        const after = await verify("outage/");
        expect(after.intact).toBe(true);
        expect(after.counts.events).toBe(6);
        expect(after.segments).toBe(3);
      } finally {
        down.destroy();
      }
    });

    test("a middle segment hidden by a delete marker: FAIL (IMGSEC-AUDIT-008), exit 1, naming it", async () => {
      const { logId, keys } = await sealedLog("hidden/");
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keys[1] }));
      const r = await verify("hidden/");
      expect(r.intact).toBe(false);
      expect(r.logs[0].status).toBe("tampered");
      expect(resultOf(r, "IMGSEC-AUDIT-008")[0]).toMatchObject({
        status: "FAIL",
        message: `segment ${keys[1].split("/").pop()} is hidden by a delete marker (deleted; its version under the marker was read)`,
      });
      const cli = await run(["audit", "verify", `s3://${bucket}/hidden/`, "--pubkey", pem], env());
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain(`log ${logId}: TAMPERED: segment `);
      expect(cli.stdout).toMatch(/FAIL IMGSEC-AUDIT-008/);
    });

    test("a middle segment deleted for good (GOVERNANCE retention bypassed): FAIL, a gap and deleted records; GOVERNANCE itself is a WARN", async () => {
      const { keys } = await sealedLog("gone/", governed);
      const intact = await verify("gone/", governed);
      expect(intact.intact).toBe(true);
      expect(resultOf(intact, "IMGSEC-AUDIT-007")[0]).toMatchObject({ status: "WARN" });
      expect(resultOf(intact, "IMGSEC-AUDIT-007")[0].message).toMatch(
        /4 segment\(s\) under GOVERNANCE retention/,
      );
      const versions = await s3.send(
        new ListObjectVersionsCommand({ Bucket: governed, Prefix: keys[2] }),
      );
      await s3.send(
        new DeleteObjectCommand({
          Bucket: governed,
          Key: keys[2],
          VersionId: versions.Versions?.[0].VersionId,
          BypassGovernanceRetention: true,
        }),
      );
      const r = await verify("gone/", governed);
      expect(r.intact).toBe(false);
      expect(resultOf(r, "IMGSEC-AUDIT-008")[0].message).toMatch(
        /^no segment holds seq 9-12 \(before 000000000013-000000000016.jsonl\): a segment was deleted/,
      );
      expect(r.firstBad).toMatchObject({ seq: 9, kind: "deleted" });
      expect(r.logs[0].firstBadSegment).toBe(keys[3]);
    });

    test("a segment overwritten with two records swapped (reordered), or one record altered: FAIL", async () => {
      const { keys } = await sealedLog("rewritten/");
      const original = Buffer.from(
        await (
          await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[1] }))
        ).Body!.transformToByteArray(),
      );
      const lines = original.toString("utf8").trimEnd().split("\n");
      [lines[0], lines[1]] = [lines[1], lines[0]];
      // A plain PUT (no If-None-Match): a new version over the locked one.
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: keys[1], Body: lines.join("\n") + "\n" }),
      );
      const r = await verify("rewritten/");
      expect(r.intact).toBe(false);
      expect(r.firstBad).toMatchObject({ kind: "reordered" });
      expect(resultOf(r, "IMGSEC-AUDIT-008")[0].message).toMatch(
        /^segment 000000000005-000000000008.jsonl has 2 versions: overwritten \(and 1 more\)$/,
      );

      const { keys: k2 } = await sealedLog("altered/");
      const seg = Buffer.from(
        await (
          await s3.send(new GetObjectCommand({ Bucket: bucket, Key: k2[2] }))
        ).Body!.transformToByteArray(),
      );
      const ls = seg.toString("utf8").trimEnd().split("\n");
      ls[1] = edit(ls[1], { outcome: "refused" });
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: k2[2], Body: ls.join("\n") + "\n" }),
      );
      const withKey = await verify("altered/");
      expect(withKey.firstBad).toMatchObject({ seq: 10, kind: "modified" });
      expect(resultOf(withKey, "IMGSEC-AUDIT-008")[0].message).toMatch(
        /has 2 versions: overwritten/,
      );
      // An auditor with only the public key: the next record no longer names its hash.
      const pubOnly = await verify("altered/", bucket, false);
      expect(pubOnly.intact).toBe(false);
      expect(pubOnly.firstBad).toMatchObject({ seq: 10, kind: "modified" });
      expect(resultOf(pubOnly, "IMGSEC-AUDIT-002")[0].status).toBe("FAIL");
    });

    test("a forged segment written after the last one (no key to sign it): FAIL", async () => {
      const { logId, keys } = await sealedLog("forged/");
      const last = Buffer.from(
        await (
          await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[3] }))
        ).Body!.transformToByteArray(),
      );
      const cp = parse(last.toString("utf8").trimEnd().split("\n").pop() as string);
      const { createHash } = await import("node:crypto");
      const prev = createHash("sha256").update(canonical(cp)).digest("hex");
      const ev = {
        ...parse(
          canonical({
            v: 1,
            log: logId,
            seq: 17,
            ts: cp.ts,
            actor: ACTOR,
            type: "event",
            op: "deid",
            outcome: "ok",
            objects: [],
            details: {},
            prev,
            hmac: "0".repeat(64),
          }),
        ),
      };
      const evLine = canonical(ev);
      const head = createHash("sha256").update(evLine).digest("hex");
      const fake = canonical({ ...cp, seq: 18, covers: 17, head, prev: head, reason: "close" });
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `forged/${logId}/000000000017-000000000018.jsonl`,
          Body: `${evLine}\n${fake}\n`,
        }),
      );
      const r = await verify("forged/");
      expect(r.intact).toBe(false);
      expect(r.logs[0].status).toBe("tampered");
      expect(r.firstBad).toMatchObject({ seq: 17 });
      const pubOnly = await verify("forged/", bucket, false);
      expect(pubOnly.firstBad).toMatchObject({ seq: 18, kind: "bad-signature" });
    });

    test("segments past their retention date: a WARN (no longer protected), not tampering", async () => {
      await sealedLog("expired/");
      const r = await verifyS3Prefix(s3, bucket, "expired/", {
        auditKey: auditKey.key,
        publicKey: signer.publicKey,
        now: new Date(Date.now() + 3 * 86_400_000),
      });
      expect(r.intact).toBe(true);
      expect(resultOf(r, "IMGSEC-AUDIT-007")[0]).toMatchObject({
        status: "WARN",
        message: expect.stringMatching(/^4 segment\(s\) past their retention/),
      });
      expect(resultOf(r, "IMGSEC-AUDIT-006")[0].status).toBe("WARN");
    });

    test("segments without Object Lock retention: FAIL (IMGSEC-AUDIT-007)", async () => {
      await sealedLog("bare/", unlocked);
      const r = await verify("bare/", unlocked);
      expect(r.intact).toBe(false);
      expect(r.logs[0].status).toBe("tampered");
      expect(resultOf(r, "IMGSEC-AUDIT-007")[0]).toMatchObject({
        status: "FAIL",
        message: expect.stringMatching(
          /^4 of 4 segment\(s\) have no Object Lock retention or legal hold/,
        ),
      });
      expect(resultOf(r, "IMGSEC-AUDIT-006")[0].status).toBe("WARN");
    });

    test("the built CLI (bin/imgsec.js): exit 0 for logs that never closed, 1 once a segment is hidden", async () => {
      const { logId, keys } = await sealedLog("built/");
      const url = `s3://${bucket}/built/`;
      const args = [
        "audit",
        "verify",
        url,
        "--kms-key",
        arn,
        "--keys",
        keysPath,
        "--format",
        "json",
      ];
      const ok = runCli(args, { env: env() });
      expect(ok.code).toBe(0);
      expect(ok.stdout).not.toMatch(CONTENT);
      expect(JSON.parse(ok.stdout).logs).toEqual([
        expect.objectContaining({ log: logId, status: "not-closed", segments: 4 }),
      ]);
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keys[2] }));
      const bad = runCli(args, { env: env() });
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout)).toMatchObject({
        intact: false,
        logs: [{ status: "tampered" }],
        summary: { failed: 1 },
      });
    });

    test("imgsec report reads the S3 logs as evidence: verified from their segments, named by their heads; report verify says it cannot re-check S3", async () => {
      const { logId } = await sealedLog("report/");
      const out = join(tmp("imgsec-report-s3-"), "report");
      const r = runCli(
        [
          "report",
          "--audit-log",
          `s3://${bucket}/report/`,
          "--kms-key",
          arn,
          "--keys",
          keysPath,
          "--out",
          out,
          "--no-audit",
          "--format",
          "json",
        ],
        { env: env() },
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const doc = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
      const item = doc.evidence.find((e: { kind: string }) => e.kind === "audit-log");
      // Not closed (its instance never closed it): verified, with a warning; not tampering.
      // The open record, 4 invocations of 3 events, and their 4 seal checkpoints.
      expect(item).toMatchObject({
        status: "WARN",
        facts: { records: 17, events: 12, checkpoints: 4, intact: true },
      });
      expect(doc.inputs[0]).toMatchObject({ name: `s3://${bucket}/report/`, kind: "audit-log" });
      expect(doc.inputs[0].appendOnly).toBeUndefined();
      // The 164.312(b) audit-controls evidence comes from these segments.
      const audit = doc.specifications.find(
        (x: { citation: string }) => x.citation === "164.312(b)",
      );
      expect(audit.runtime.find((x: { kind: string }) => x.kind === "audit-log").status).toBe(
        "WARN",
      );
      // Events of a log written without policy details are one run, said to be unrecorded.
      expect(doc.deidRuns).toEqual([
        expect.objectContaining({ policy: "unrecorded", profile: "unrecorded", methods: [] }),
      ]);
      expect(doc.evidence.find((e: { kind: string }) => e.kind === "deid-runs").status).toBe(
        "WARN",
      );
      expect(JSON.stringify(doc)).toContain(logId.slice(0, 8));
      const v = runCli(["report", "verify", out, "--keys", keysPath], { env: env() });
      expect(v.code).toBe(0);
      expect(v.stdout).toMatch(
        /WARN IMGSEC-REPORT-003 audit-log \(s3:\/\/.*\): not re-checked here/,
      );
    });

    test("nothing under the prefix, or S3 unreachable: exit 2, one line", async () => {
      const none = await run(
        ["audit", "verify", `s3://${bucket}/nothing/`, "--pubkey", pem],
        env(),
      );
      expect(none.code).toBe(2);
      expect(none.stderr).toBe(`imgsec: no audit log segments under s3://${bucket}/nothing/\n`);
      const down = await run(["audit", "verify", `s3://${bucket}/fleet/`, "--pubkey", pem], {
        ...env(),
        AWS_ENDPOINT_URL: "http://127.0.0.1:9",
        AWS_MAX_ATTEMPTS: "1",
      });
      expect(down.code).toBe(2);
      expect(down.stderr).toBe(
        `imgsec: cannot list the versions under s3://${bucket}/fleet/: ECONNREFUSED\n`,
      );
    });
  },
);
