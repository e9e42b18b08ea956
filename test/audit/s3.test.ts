import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AuditLogError,
  openAuditLog,
  readS3Log,
  s3Sink,
  verifyAuditLog,
} from "../../handlers/audit";
import { loadKey, loadSigningKey } from "../../handlers/keys/keyfile";
import { describeWithMoto } from "../helpers/moto";
import { event, newKeys, tmp } from "./logs";

describeWithMoto("the S3 Object Lock sink (moto)", (moto) => {
  let client: S3Client;
  let n = 0;
  const bucket = () => `imgsec-audit-${n}`;

  beforeAll(() => {
    client = new S3Client({ ...moto().clientConfig, forcePathStyle: true });
  });
  afterAll(() => client.destroy());
  beforeEach(async () => {
    n++;
    await client.send(
      new CreateBucketCommand({ Bucket: bucket(), ObjectLockEnabledForBucket: true }),
    );
  });

  async function writeLog(events: number, prefix = "audit/") {
    const dir = tmp();
    const keys = newKeys(dir);
    const path = join(dir, "audit.jsonl");
    const w = await openAuditLog({
      path,
      keysPath: keys,
      actor: "local:tester",
      checkpointEvery: 10,
      s3: { bucket: bucket(), prefix, retainDays: 1, client },
    });
    for (let i = 0; i < events; i++) await w.append(event(i));
    await w.close();
    const opts = {
      auditKey: loadKey(keys, "audit").key,
      publicKey: loadSigningKey(keys).publicKey,
    };
    return { path, keys, logId: w.logId, opts };
  }

  test("each checkpoint segment is one locked object; read back, the copy verifies and equals the local log", async () => {
    const { path, logId, opts } = await writeLog(25);
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: bucket(), Prefix: "audit/" }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    // open + 9 events → checkpoint 10; 10 events → 21; 6 events + close → 28.
    expect(keys).toEqual([
      `audit/${logId}/000000000000-000000000010.jsonl`,
      `audit/${logId}/000000000011-000000000021.jsonl`,
      `audit/${logId}/000000000022-000000000028.jsonl`,
    ]);
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket(), Key: keys[0], ChecksumMode: "ENABLED" }),
    );
    // The SHA-256 S3 checked on upload is that of the segment's bytes.
    const firstSegment = readFileSync(path).subarray(0, head.ContentLength);
    expect(head.ChecksumSHA256).toBe(createHash("sha256").update(firstSegment).digest("base64"));
    expect(head.ObjectLockMode).toBe("COMPLIANCE");
    expect(head.ObjectLockRetainUntilDate?.getTime()).toBeGreaterThan(Date.now());

    const copy = await readS3Log(client, bucket(), "audit/");
    expect(copy.equals(readFileSync(path))).toBe(true);
    const r = verifyAuditLog(copy, { ...opts, resource: `s3://${bucket()}/audit/` });
    expect(r.intact).toBe(true);
    expect(r.counts.events).toBe(25);
    // The log id folder can be named too.
    expect((await readS3Log(client, bucket(), `audit/${logId}/`)).equals(copy)).toBe(true);
  });

  test("a second PutObject to an existing segment key is refused (If-None-Match: *)", async () => {
    const { logId } = await writeLog(5);
    const Key = `audit/${logId}/000000000000-000000000006.jsonl`;
    const err = await client
      .send(new PutObjectCommand({ Bucket: bucket(), Key, Body: "forged\n", IfNoneMatch: "*" }))
      .catch((e) => e);
    expect(err?.$metadata?.httpStatusCode).toBe(412);
    // The sink itself: the same bytes again is a retried upload (fine); other bytes are refused.
    const sink = s3Sink({ bucket: bucket(), prefix: "audit/", client });
    const original = await readS3Log(client, bucket(), "audit/");
    await expect(
      sink.put({ log: logId, first: 0, last: 6, bytes: original }),
    ).resolves.toBeUndefined();
    await expect(
      sink.put({ log: logId, first: 0, last: 6, bytes: Buffer.from("forged\n") }),
    ).rejects.toThrow(/already exists with other content/);
  });

  test("with a KMS key, segments are written SSE-KMS under it (the PHI buckets refuse others)", async () => {
    const { KMSClient, CreateKeyCommand } = await import("@aws-sdk/client-kms");
    const kms = new KMSClient(moto().clientConfig);
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    kms.destroy();
    const sink = s3Sink({ bucket: bucket(), prefix: "audit/", client, kmsKeyId: keyId });
    const log = "0".repeat(32);
    await sink.put({ log, first: 0, last: 0, bytes: Buffer.from("{}\n") });
    const head = await client.send(
      new HeadObjectCommand({
        Bucket: bucket(),
        Key: `audit/${log}/000000000000-000000000000.jsonl`,
      }),
    );
    expect(head.ServerSideEncryption).toBe("aws:kms");
    expect(head.SSEKMSKeyId).toContain(keyId.split("/").pop());
  });

  test("a segment hidden in S3 (delete marker) shows as deleted records", async () => {
    const { logId, opts } = await writeLog(25);
    await client.send(
      new DeleteObjectCommand({
        Bucket: bucket(),
        Key: `audit/${logId}/000000000011-000000000021.jsonl`,
      }),
    );
    const r = verifyAuditLog(await readS3Log(client, bucket(), "audit/"), opts);
    expect(r.firstBad).toEqual({ line: 12, seq: 11, kind: "deleted" });
  });

  test("IMGSEC_AUDIT_S3 configures the sink; several logs under one prefix must be told apart", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, moto().env, { IMGSEC_AUDIT_S3: `s3://${bucket()}/env/` });
    try {
      const dir = tmp();
      const w = await openAuditLog({
        path: join(dir, "a.jsonl"),
        keysPath: newKeys(dir),
        actor: "local:x",
      });
      await w.append(event(1));
      await w.close();
      const w2 = await openAuditLog({
        path: join(dir, "b.jsonl"),
        keysPath: newKeys(tmp()),
        actor: "local:x",
      });
      await w2.close();
    } finally {
      process.env = saved;
    }
    const err = await readS3Log(client, bucket(), "env/").catch((e) => e);
    expect(err).toBeInstanceOf(AuditLogError);
    expect(err.message).toMatch(/holds 2 audit logs: name one/);
    await expect(readS3Log(client, bucket(), "nothing/")).rejects.toThrow(/no audit log segments/);
  });

  test("imgsec audit verify s3://bucket/prefix/ verifies the Object Lock copy", async () => {
    const { runAuditVerify } = await import("../../cli/audit-run");
    const { keys } = await writeLog(12, "cli/");
    const saved = { ...process.env };
    Object.assign(process.env, moto().env);
    try {
      const r = await runAuditVerify(`s3://${bucket()}/cli/`, { keys });
      expect(r.intact).toBe(true);
      expect(r.resource).toBe(`s3://${bucket()}/cli/`);
      expect(r.counts.events).toBe(12);
      await expect(runAuditVerify(`s3://${bucket()}/empty/`, { keys })).rejects.toThrow(
        /no audit log segments under/,
      );
    } finally {
      process.env = saved;
    }
  });

  test("a failed copy does not lose the local record, and close says which records the copy lacks", async () => {
    const dir = tmp();
    const w = await openAuditLog({
      path: join(dir, "a.jsonl"),
      keysPath: newKeys(dir),
      actor: "local:x",
      s3: { bucket: "no-such-bucket-imgsec", prefix: "audit/", client },
    });
    await w.append(event(1));
    await expect(w.close()).rejects.toThrow(
      /is complete, but records seq 0-2 could not be copied to s3:\/\/no-such-bucket-imgsec\/audit\//,
    );
    expect(readFileSync(join(dir, "a.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
  });
});

describeWithMoto("the actor in AWS (moto STS)", (moto) => {
  test("resolveActor asks STS GetCallerIdentity for the caller ARN", async () => {
    const { resolveActor } = await import("../../handlers/audit");
    const saved = { ...process.env };
    // The SDK reads its credentials from the process environment.
    Object.assign(process.env, moto().env, { AWS_EXECUTION_ENV: "AWS_Lambda_nodejs20.x" });
    delete process.env.IMGSEC_ACTOR;
    try {
      await expect(resolveActor()).resolves.toMatch(/^arn:aws:(sts|iam)::\d{12}:/);
    } finally {
      process.env = saved;
    }
  });
});
