/**
 * The synthesized state machines, run locally: both definitions read from the cdk.tf.json that
 * `imgsec synth` wrote (never a hand-written copy), their Terraform references resolved to what
 * moto holds, run by aws-local-stepfunctions under Node 24 in a child process (scripts/local-sfn.js)
 * whose Task states call the pipeline's handler (the esbuild bundle from the synth), against moto.
 *
 * Per object: the S3 event goes through the synthesized EventBridge rule and input transformer;
 * a packaged object and a malformed one succeed with PHI-free outputs; transient errors and a
 * throttled function are retried (attempts counted), KMS dropping connections included (a real
 * TransientError from the handler, outside jest); what persists goes to the Catch path and the
 * dead-letter queue (SQS on moto), whose message names the execution and the error only.
 * Backfill: the input check, and the Distributed Map run by scripts/local-sfn.js (listing, batches,
 * the item processor by the interpreter, tolerated failures, the ResultWriter).
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { ObjectResult } from "../../handlers/process-object";
import { describeWithMoto } from "../helpers/moto";
import { describeIfAvailable } from "../helpers/tools";
import { generateCorpus, malformed } from "../dicom/corpus/generator";
import type { PlantedValue } from "../dicom/corpus/planted";
import {
  coreOutcome,
  expectEphemeralStorageClean,
  expectNoKeys,
  expectNoPhi,
  expectOnlyAllowedObjects,
  inventory,
  newDir,
  readableAtRest,
  removeNewDirs,
} from "./evidence";
import { type FaultProxy, kmsCall, startFaultProxy } from "./fault-proxy";
import {
  type LocalExecution,
  type LocalRun,
  type LocalRunSpec,
  executionInputFor,
  node24Available,
  objectCreatedEvent,
  runLocal,
} from "./local-sfn";
import { stateMachineDefinition, synthesize } from "./synth";
import { auditVerify, provision, sandboxEnv, type World } from "./world";

const corpus = generateCorpus(20240701);
const bad = malformed(11);
const planted: PlantedValue[] = [...corpus.planted, ...bad.flatMap((m) => m.planted)];
const packable = corpus.files.filter((f) => ["CT", "MR"].includes(f.info.modality));

describeIfAvailable(
  { name: "Node.js 24", available: node24Available(), setup: "scripts/setup-node24.sh" },
  "the synthesized state machines, run locally (aws-local-stepfunctions on Node 24)",
  () =>
    describeWithMoto("against moto", (moto) => {
      let world: World;
      let proxy: FaultProxy;
      let objectMachine: { definition: unknown; arn: string };
      let backfillMachine: { definition: unknown; arn: string };
      let auditDir: string;
      let tmp: string;
      const inputs: Buffer[] = [];
      const keys: string[] = [];
      /** Every run, for the scans at the end. */
      const runs: LocalRun[] = [];
      const dlq: Message[] = [];
      let n = 0;

      const machine = (name: string) => ({
        definition: JSON.parse(world.resolve(stateMachineDefinition(world.stack.tf, name))),
        arn: `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`,
      });

      async function upload(key: string, bytes: Buffer) {
        const r = await world.s3.send(
          new PutObjectCommand({
            Bucket: world.rawBucket,
            Key: key,
            Body: bytes,
            ServerSideEncryption: "aws:kms",
            SSEKMSKeyId: world.phiKeyArn,
          }),
        );
        inputs.push(bytes);
        keys.push(key);
        return {
          key,
          versionId: r.VersionId as string,
          etag: r.ETag as string,
          size: bytes.length,
        };
      }

      /** The execution input S3 → EventBridge → the target's transformer makes of an upload. */
      async function uploadedInput(key: string, bytes: Buffer) {
        const o = await upload(key, bytes);
        const input = executionInputFor(
          world,
          objectCreatedEvent({ bucket: world.rawBucket, ...o }),
        );
        expect(input).toEqual({ bucket: world.rawBucket, key, versionId: o.versionId });
        return input;
      }

      async function run(
        m: { definition: unknown; arn: string },
        executions: LocalRunSpec["executions"],
        opts: {
          faults?: LocalRunSpec["faults"];
          sandboxes?: number;
          env?: Record<string, string | undefined>;
          endpoint?: string;
        } = {},
      ): Promise<LocalExecution[]> {
        const r = await runLocal(
          {
            definition: m.definition,
            stateMachineArn: m.arn,
            functionArn: world.functionArn,
            handler: world.stack.handlerModule,
            executions,
            sandboxes: opts.sandboxes ?? 1,
            faults: opts.faults,
          },
          {
            PATH: process.env.PATH,
            ...sandboxEnv(world, { auditDir, tmpDir: tmp, endpoint: opts.endpoint }),
            ...opts.env,
          },
        );
        runs.push(r);
        return r.executions;
      }

      async function receiveDeadLetters(): Promise<Message[]> {
        const r = await world.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: world.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
          }),
        );
        const got = r.Messages ?? [];
        dlq.push(...got);
        for (const m of got)
          await world.sqs.send(
            new DeleteMessageCommand({ QueueUrl: world.queueUrl, ReceiptHandle: m.ReceiptHandle }),
          );
        return got;
      }

      const retried = (e: LocalExecution, state: string) =>
        e.events.filter((x) => x.type === "StateRetried" && x.state === state).length;

      beforeAll(async () => {
        world = await provision(moto(), synthesize());
        proxy = await startFaultProxy(moto().endpoint);
        auditDir = newDir("imgsec-e2e-audit-");
        tmp = newDir("imgsec-e2e-sandbox-tmp-");
        objectMachine = machine("imgsec-dev-process-object");
        backfillMachine = machine("imgsec-dev-backfill");
      }, 300_000);
      afterAll(async () => {
        await proxy?.stop();
        world?.destroy();
        removeNewDirs();
      });

      test("the definitions come from the synth with every reference resolved: the Task states invoke the stack's function and send to its dead-letter queue", () => {
        const text = JSON.stringify([objectMachine.definition, backfillMachine.definition]);
        expect(text).not.toMatch(/\$\{/);
        expect(text).toContain(`"FunctionName":"${world.functionArn}"`);
        expect(text).toContain(`"QueueUrl":"${world.queueUrl}"`);
        // The handler the runs load: the bundle the synth zipped, unless it could not bundle yet.
        expect(world.stack.handlerModule).toBe(world.stack.bundle.indexJs);
      });

      test("per object: an uploaded object's event (through the synthesized rule and input transformer) → SUCCEEDED, output {outcome: packaged, uid, package, digest}; a malformed object → SUCCEEDED, refused and quarantined", async () => {
        const good = packable[0];
        const m = bad.find((x) => x.kind === "truncated" && x.planted.length > 0);
        if (!m) throw new Error("no truncated case with PHI in it");
        const a = await uploadedInput(`incoming/sfn/${good.name}`, good.bytes);
        const b = await uploadedInput(`incoming/sfn/${m.name}`, m.bytes);
        // An object outside the incoming prefix never starts an execution.
        expect(
          executionInputFor(
            world,
            objectCreatedEvent({
              bucket: world.rawBucket,
              key: "quarantine/x/incoming/y.dcm",
              versionId: "v",
              size: 1,
              etag: "e",
            }),
          ),
        ).toBeUndefined();
        const [ok, refused] = await run(objectMachine, [
          { name: `object-${++n}`, input: a },
          { name: `object-${++n}`, input: b },
        ]);
        expect(ok.status).toBe("SUCCEEDED");
        expect(ok.invocations).toEqual({ ProcessObject: 1 });
        const out = ok.output as ObjectResult;
        expect(Object.keys(out).sort()).toEqual(["digest", "outcome", "package", "uid"]);
        expect(out).toMatchObject({ outcome: "packaged", package: `packages/${out.uid}.imgsec` });
        expect(refused.status).toBe("SUCCEEDED");
        expect(refused.output).toEqual({
          outcome: "rejected",
          reason: expect.stringMatching(/^[a-z][a-z0-9-]+$/),
        });
        const inv = await inventory(world.s3, [world.processedBucket]);
        expect(inv.versions.map((v) => v.key)).toEqual([out.package]);
      });

      test("a function throwing TransientError twice is retried by the TransientError retrier: 3 invocations, 2 retries, SUCCEEDED; a throttled function (Lambda.TooManyRequestsException) by the throttling retrier", async () => {
        const f = packable[1];
        const g = packable[2];
        const [transient] = await run(
          objectMachine,
          [
            {
              name: `object-${++n}`,
              input: await uploadedInput(`incoming/sfn/${f.name}`, f.bytes),
            },
          ],
          { faults: [{ state: "ProcessObject", error: "TransientError", times: 2 }] },
        );
        expect(transient.status).toBe("SUCCEEDED");
        expect(transient.invocations).toEqual({ ProcessObject: 3 });
        expect(retried(transient, "ProcessObject")).toBe(2);
        expect(transient.output).toMatchObject({ outcome: "packaged" });
        const [throttled] = await run(
          objectMachine,
          [
            {
              name: `object-${++n}`,
              input: await uploadedInput(`incoming/sfn/${g.name}`, g.bytes),
            },
          ],
          {
            faults: [
              { state: "ProcessObject", error: "Lambda.TooManyRequestsException", times: 5 },
            ],
          },
        );
        expect(throttled.status).toBe("SUCCEEDED");
        // Five throttled attempts fit the throttling retrier's 8; the TransientError retrier's 3 would not.
        expect(throttled.invocations).toEqual({ ProcessObject: 6 });
        expect(retried(throttled, "ProcessObject")).toBe(5);
      });

      test("KMS dropping connections for one invocation's worth of attempts: the handler's own TransientError (bundle, Node 24), retried by the state machine, then SUCCEEDED", async () => {
        const f = packable[3];
        const input = await uploadedInput(`incoming/sfn/${f.name}`, f.bytes);
        // The SDK makes 3 attempts at GenerateDataKey: all dropped, so the invocation fails.
        const fault = proxy.add({
          name: "kms drops",
          match: kmsCall("GenerateDataKey"),
          times: 3,
          respond: "reset",
        });
        try {
          const [e] = await run(objectMachine, [{ name: `object-${++n}`, input }], {
            endpoint: proxy.endpoint,
          });
          expect(fault.failed()).toBe(3);
          expect(e.status).toBe("SUCCEEDED");
          expect(e.invocations).toEqual({ ProcessObject: 2 });
          const failed = e.events.find((x) => x.type === "StateFailed");
          expect(failed?.error).toBe("TransientError");
          expect(e.output).toMatchObject({ outcome: "packaged" });
        } finally {
          proxy.clear();
        }
      });

      test("an error that persists goes to the Catch path: 4 invocations (1 + 3 retries), the dead-letter message names the execution and the error only, the execution FAILS", async () => {
        const f = packable[4];
        const [e] = await run(
          objectMachine,
          [
            {
              name: `object-${++n}`,
              input: await uploadedInput(`incoming/sfn/${f.name}`, f.bytes),
            },
          ],
          { faults: [{ state: "ProcessObject", error: "TransientError", times: 100 }] },
        );
        expect(e.invocations).toEqual({ ProcessObject: 4 });
        expect(retried(e, "ProcessObject")).toBe(3);
        expect(e.events.filter((x) => x.type === "StateCaught").map((x) => x.state)).toEqual([
          "ProcessObject",
        ]);
        expect(e).toMatchObject({ status: "FAILED", error: "imgsec.ObjectFailed" });
        const messages = await receiveDeadLetters();
        expect(messages.map((x) => JSON.parse(x.Body as string))).toEqual([
          {
            kind: "imgsec.pipeline.failure",
            path: "object",
            execution: e.arn,
            stateMachine: objectMachine.arn,
            error: "TransientError",
          },
        ]);
      });

      test("a deployment error (the function's dataset unset) is not retried: one invocation, ConfigurationError in the dead-letter queue", async () => {
        const f = packable[5];
        const [e] = await run(
          objectMachine,
          [
            {
              name: `object-${++n}`,
              input: await uploadedInput(`incoming/sfn/${f.name}`, f.bytes),
            },
          ],
          { env: { IMGSEC_DATASET: undefined } },
        );
        expect(e).toMatchObject({ status: "FAILED", error: "imgsec.ObjectFailed" });
        expect(e.invocations).toEqual({ ProcessObject: 1 });
        const cause = JSON.parse(
          e.events.find((x) => x.type === "StateFailed" && x.state === "ProcessObject")
            ?.cause as string,
        );
        expect(cause).toMatchObject({
          errorType: "ConfigurationError",
          errorMessage:
            "ConfigurationError: the object could not be processed; see the function's logs",
        });
        const messages = await receiveDeadLetters();
        expect(messages.map((x) => JSON.parse(x.Body as string).error)).toEqual([
          "ConfigurationError",
        ]);
      });

      test("backfill: inputs outside the incoming prefix are refused before anything runs", async () => {
        const refused = await run(backfillMachine, [
          { name: `backfill-${++n}`, input: { prefix: "quarantine/" } },
          { name: `backfill-${++n}`, input: {} },
          { name: `backfill-${++n}`, input: { prefix: 7 } },
        ]);
        for (const e of refused) {
          expect(e).toMatchObject({ status: "FAILED", error: "imgsec.BackfillInputRefused" });
          expect(e.invocations).toEqual({});
        }
      });

      test("backfill over a prefix: the listing batched as the ItemBatcher says, each batch one invocation of the same function (two sandboxes at a time), every object with the outcome the core gives it, results written to the audit bucket", async () => {
        const prefix = "incoming/backfill/";
        const files = [...packable.slice(6, 16), ...bad];
        for (const f of files) await upload(`${prefix}${f.name}`, f.bytes);
        const [e] = await run(backfillMachine, [{ name: `backfill-${++n}`, input: { prefix } }], {
          sandboxes: 2,
        });
        expect(e.status).toBe("SUCCEEDED");
        expect(runs[runs.length - 1].sandboxes).toBe(2);
        const batches = Math.ceil(files.length / 10);
        expect(e.invocations).toEqual({ ProcessBatch: batches });
        const out = e.output as {
          prefix: string;
          results: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } };
        };
        expect(out.prefix).toBe(prefix);
        expect(out.results.ResultWriterDetails.Bucket).toBe(world.auditBucket);
        expect(out.results.ResultWriterDetails.Key).toMatch(
          /^backfill-results\/[0-9a-f-]{36}\/manifest\.json$/,
        );
        const written = (
          await inventory(world.s3, [world.auditBucket], { read: true })
        ).versions.filter((v) => v.key.startsWith("backfill-results/"));
        const manifest = JSON.parse(
          written
            .find((v) => v.key === out.results.ResultWriterDetails.Key)
            ?.bytes?.toString() as string,
        );
        expect(manifest.ResultFiles.FAILED).toEqual([]);
        const rows = JSON.parse(
          written
            .find((v) => v.key === manifest.ResultFiles.SUCCEEDED[0].Key)
            ?.bytes?.toString() as string,
        ) as { Status: string; Output: string; Input: string }[];
        expect(rows).toHaveLength(batches);
        // Every object once, with the outcome the core gives it alone; listed in key order.
        const results = rows
          .flatMap((r) => {
            const items = (JSON.parse(r.Input) as { Items: { key: string }[] }).Items;
            const out = (JSON.parse(r.Output) as { results: ObjectResult[] }).results;
            return items.map((item, i) => [item.key, out[i]?.outcome] as const);
          })
          .sort(([a], [b]) => a.localeCompare(b));
        const expected = [];
        for (const f of files)
          expected.push([`${prefix}${f.name}`, await coreOutcome(f.bytes, world.keyFile)] as const);
        expect(results).toEqual(expected.sort(([a], [b]) => a.localeCompare(b)));
        expect(results.filter(([, o]) => o === "packaged").length).toBeGreaterThanOrEqual(10);
        // Each batch's input: the contract's {Items: [{bucket, key}], BatchInput}, nothing else.
        for (const r of rows) {
          const input = JSON.parse(r.Input);
          expect(Object.keys(input).sort()).toEqual(["BatchInput", "Items"]);
          expect(input.BatchInput).toEqual({ source: "prefix-listing", keyEncoding: "none" });
          for (const item of input.Items)
            expect(Object.keys(item).sort()).toEqual(["bucket", "key"]);
        }
      });

      test("backfill with a batch that keeps failing: the tolerated failure percentage (0 in dev) is exceeded, the run fails through Catch, the dead-letter message says so", async () => {
        const prefix = "incoming/backfill-fails/";
        for (const f of packable.slice(16, 19)) await upload(`${prefix}${f.name}`, f.bytes);
        const [e] = await run(backfillMachine, [{ name: `backfill-${++n}`, input: { prefix } }], {
          faults: [{ state: "ProcessBatch", error: "TransientError", times: 4 }],
        });
        expect(e).toMatchObject({ status: "FAILED", error: "imgsec.BackfillFailed" });
        expect(e.invocations).toEqual({ ProcessBatch: 4 });
        const messages = await receiveDeadLetters();
        expect(messages.map((x) => JSON.parse(x.Body as string))).toEqual([
          {
            kind: "imgsec.pipeline.failure",
            path: "backfill",
            execution: e.arn,
            stateMachine: backfillMachine.arn,
            error: "States.ExceedToleratedFailureThreshold",
          },
        ]);
      });

      test("execution data, dead-letter messages, backfill results, logs and metrics hold no PHI; outputs and messages name no object; at rest nothing de-identified in clear; the audit log verifies", async () => {
        const executions = runs.flatMap((r) => r.executions);
        // Inputs carry bucket, key and version by contract (keys are the corpus's file names
        // here); everything else is scanned for keys as well.
        const data = executions.map((e) => ({
          name: `execution ${e.name}`,
          text: JSON.stringify({
            output: e.output,
            error: e.error,
            cause: e.cause,
            events: e.events,
            child: e.childEvents,
          }),
        }));
        const printed = runs.flatMap((r) =>
          r.printed.map((l, i) => ({ name: `printed ${i}`, text: l })),
        );
        const messages = dlq.map((m, i) => ({ name: `dead letter ${i}`, text: m.Body as string }));
        const inv = await inventory(world.s3, world.buckets, { read: true });
        const atRest = await readableAtRest(inv, world);
        expectNoPhi(
          [
            ...[...data, ...printed, ...messages].map((t) => ({
              name: t.name,
              bytes: Buffer.from(t.text),
            })),
            ...atRest,
          ],
          planted,
        );
        const outputs = executions.map((e) => ({
          name: `output of ${e.name}`,
          text: JSON.stringify({ output: e.output, error: e.error }),
        }));
        expectNoKeys([...outputs, ...messages, ...printed], keys);
        for (const l of printed.map((p) => JSON.parse(p.text) as Record<string, unknown>))
          expect(l.withheld).toBeUndefined();
        await expectOnlyAllowedObjects(inv, {
          rawBucket: world.rawBucket,
          processedBucket: world.processedBucket,
          auditBucket: world.auditBucket,
          inputs,
          work: world.work,
          resultPrefix: "backfill-results/",
        });
        expectEphemeralStorageClean([auditDir, tmp], planted);
        const r = auditVerify(world);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ intact: true, summary: { failed: 0 } });
      });
    }),
);
