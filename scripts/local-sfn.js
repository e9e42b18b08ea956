"use strict";
// Runs a state machine definition locally with aws-local-stepfunctions (Node 22 or later: run it
// with .tools/node24/bin/node), its Task states served in this process:
//
//   .tools/node24/bin/node scripts/local-sfn.js <spec.json> <result.json>
//
// - arn:aws:states:::lambda:invoke calls the pipeline's `handler` (loaded from the module the spec
//   names: the esbuild bundle of cdktf.out, or dist/), as Step Functions' optimized Lambda
//   integration does: the payload and the result go through JSON, the result comes back as
//   {ExecutedVersion, Payload, StatusCode}, a function error fails the Task with the error's name
//   as Error and Lambda's {errorType, errorMessage, trace} JSON as Cause. Each concurrent
//   invocation gets its own sandbox (the module evaluated anew: its own cold start and audit log),
//   at most `sandboxes` of them, as Lambda's concurrency would give.
// - arn:aws:states:::sqs:sendMessage sends to the queue (moto's, through AWS_ENDPOINT_URL).
// - A Map state in DISTRIBUTED mode, which the interpreter runs only inline, is run here: its
//   ItemReader (s3:listObjectsV2), ItemSelector, ItemBatcher, MaxConcurrency,
//   ToleratedFailurePercentage/Count and ResultWriter (s3:putObject), the ItemProcessor run by the
//   interpreter once per batch. The state is swapped for a Task state of the same name with the
//   same ResultPath, Catch and transition, whose work is that.
//
// The spec: {definition, stateMachineArn, functionArn, handler, executions: [{name, input}],
// sandboxes?, retryDelayMs?, faults?: [{state, error, times}]}. `faults` simulate a function that
// fails before it runs (error "Lambda.TooManyRequestsException": throttled) or throws (any other
// name, e.g. "TransientError"), for the first `times` invocations of that state.
//
// The result file: {executions: [{name, arn, status, output?, error?, cause?, invocations, events}]},
// written under a temporary name and renamed. What the handler prints goes to this process's
// stdout (Powertools logs, EMF metrics), for the caller to read.
const { readFileSync, writeFileSync, renameSync } = require("node:fs");
const { dirname } = require("node:path");
const Module = require("node:module");
const { randomUUID } = require("node:crypto");
const { StateMachine } = require("aws-local-stepfunctions");
const { S3Client, ListObjectsV2Command, PutObjectCommand } = require("@aws-sdk/client-s3");
const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");

const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const SQS_SEND = /^arn:aws[a-z-]*:states:::sqs:sendMessage$/;
const S3_LIST = /^arn:aws[a-z-]*:states:::s3:listObjectsV2$/;
const S3_PUT = /^arn:aws[a-z-]*:states:::s3:putObject$/;
const LOCAL_MAP = "arn:aws:states:::imgsec-local:distributedMap";
/** Step Functions' limit on a state's input or output (256 KiB). */
const PAYLOAD_LIMIT = 262144;

class StatesError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

const region = process.env.AWS_REGION || "us-east-1";
const local = process.env.AWS_ENDPOINT_URL ? { endpoint: process.env.AWS_ENDPOINT_URL } : {};
const s3 = new S3Client({ region, ...local, forcePathStyle: Boolean(local.endpoint) });
const sqs = new SQSClient({ region, ...local });

/** The handler module evaluated anew: a Lambda sandbox (a bundle is one file, all of it fresh). */
function loadSandbox(path) {
  const m = new Module(path, null);
  m.filename = path;
  m.paths = Module._nodeModulePaths(dirname(path));
  m._compile(readFileSync(path, "utf8"), path);
  if (typeof m.exports.handler !== "function") throw new Error("the module exports no handler");
  return { handler: m.exports.handler, busy: false, id: randomUUID().slice(0, 8) };
}

function sandboxPool(path, max) {
  const all = [];
  const waiting = [];
  return {
    async acquire() {
      const free = all.find((s) => !s.busy);
      if (free) return ((free.busy = true), free);
      if (all.length < max) {
        const s = loadSandbox(path);
        s.busy = true;
        all.push(s);
        return s;
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    release(s) {
      const next = waiting.shift();
      if (next) next(s);
      else s.busy = false;
    },
    get size() {
      return all.length;
    },
  };
}

const json = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

function checkSize(what, v) {
  if (Buffer.byteLength(JSON.stringify(v ?? null)) > PAYLOAD_LIMIT)
    throw new StatesError("States.DataLimitExceeded", `${what} exceeds 256 KiB`);
}

/** Evaluates a payload template (`"x.$": "$.path"`, `$$.` context) with the interpreter itself. */
async function evaluate(template, input, context) {
  const machine = new StateMachine(
    {
      StartAt: "Evaluate",
      States: { Evaluate: { Type: "Pass", Parameters: template, End: true } },
    },
    { validationOptions: { noValidate: true } },
  );
  return machine.run(input, { context }).result;
}

/** Every state of a definition, nested ones included, with the object that holds it. */
function* statesOf(def) {
  for (const [name, state] of Object.entries(def.States)) {
    yield { name, state, owner: def.States };
    if (state.Type === "Map") yield* statesOf(state.ItemProcessor || state.Iterator);
    if (state.Type === "Parallel") for (const b of state.Branches) yield* statesOf(b);
  }
}

function main() {
  const [specPath, resultPath] = process.argv.slice(2);
  if (!specPath || !resultPath) {
    process.stderr.write("usage: local-sfn.js <spec.json> <result.json>\n");
    process.exit(2);
  }
  const spec = JSON.parse(readFileSync(specPath, "utf8"));
  const pool = sandboxPool(spec.handler, spec.sandboxes || 1);
  const retryDelayMs = spec.retryDelayMs ?? 0;
  const invocations = {};
  const faults = (spec.faults || []).map((f) => ({ ...f, left: f.times }));
  const stateMachineName = spec.stateMachineArn.split(":").pop();
  const accountRegion = spec.stateMachineArn.split(":").slice(3, 5).join(":");

  // The interpreter validates the definition as deployed first (its schema and ARNs).
  new StateMachine(spec.definition);

  const definition = json(spec.definition);
  const distributed = {};
  const overrides = {};
  const retries = {};
  // Every Task state, nested ones included, before the Distributed Maps are swapped out.
  const tasks = [...statesOf(definition)].filter(({ state }) => state.Type === "Task");
  for (const { name, state, owner } of [...statesOf(definition)]) {
    if (state.Type === "Map" && state.ItemProcessor?.ProcessorConfig?.Mode === "DISTRIBUTED") {
      distributed[name] = state;
      const { Comment, ResultPath, Catch, Retry, Next, End, InputPath, OutputPath } = state;
      owner[name] = Object.fromEntries(
        Object.entries({
          Type: "Task",
          Comment,
          Resource: LOCAL_MAP,
          InputPath,
          ResultPath,
          OutputPath,
          Retry,
          Catch,
          Next,
          End,
        }).filter(([, v]) => v !== undefined),
      );
    }
  }
  for (const name of Object.keys(distributed))
    tasks.push({ name, state: { Type: "Task", Resource: LOCAL_MAP } });
  for (const { name, state } of tasks) {
    retries[name] = retryDelayMs;
    if (state.Resource === LOCAL_MAP) overrides[name] = (input) => runDistributedMap(name, input);
    else if (LAMBDA_INVOKE.test(state.Resource)) overrides[name] = (input) => invoke(name, input);
    else if (SQS_SEND.test(state.Resource)) overrides[name] = (input) => sendMessage(input);
    else throw new Error(`state ${name}: no local integration for ${state.Resource}`);
  }
  const runOptions = (context) => ({
    overrides: { taskResourceLocalHandlers: overrides, retryIntervalOverrides: retries },
    context,
  });
  const contextFor = (arn, name, machineArn, machineName) => ({
    Execution: {
      Id: arn,
      Name: name,
      RoleArn: `arn:aws:iam::${spec.stateMachineArn.split(":")[4]}:role/${machineName}-machine`,
      RedriveCount: 0,
    },
    StateMachine: { Id: machineArn, Name: machineName },
  });

  /** Step Functions' optimized Lambda integration, calling the handler in a sandbox. */
  async function invoke(state, input) {
    if (input.FunctionName !== spec.functionArn)
      throw new StatesError("Lambda.ResourceNotFoundException", "Function not found");
    invocations[state] = (invocations[state] || 0) + 1;
    const fault = faults.find((f) => f.state === state && f.left > 0);
    if (fault && fault.error === "Lambda.TooManyRequestsException") {
      fault.left--;
      throw new StatesError(fault.error, "Rate Exceeded.");
    }
    const payload = json(input.Payload);
    checkSize("the Lambda payload", payload);
    const sandbox = await pool.acquire();
    const requestId = randomUUID();
    try {
      if (fault) {
        fault.left--;
        const e = new Error("simulated");
        e.name = fault.error;
        throw e;
      }
      const result = json(
        await sandbox.handler(payload, {
          awsRequestId: requestId,
          functionName: spec.functionArn.split(":").pop(),
          functionVersion: "$LATEST",
          invokedFunctionArn: spec.functionArn,
          memoryLimitInMB: "2048",
          logGroupName: "/imgsec/local/pipeline-function",
          logStreamName: `local/[$LATEST]${sandbox.id}`,
          callbackWaitsForEmptyEventLoop: false,
          getRemainingTimeInMillis: () => 300000,
        }),
      );
      checkSize("the Lambda result", result);
      return {
        ExecutedVersion: "$LATEST",
        Payload: result,
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: requestId },
        StatusCode: 200,
      };
    } catch (e) {
      const errorType = e && typeof e.name === "string" ? e.name : "Error";
      const cause = {
        errorType,
        errorMessage: e && typeof e.message === "string" ? e.message : String(e),
        trace: e && typeof e.stack === "string" ? e.stack.split("\n") : [],
      };
      throw new StatesError(errorType, JSON.stringify(cause));
    } finally {
      pool.release(sandbox);
    }
  }

  async function sendMessage(input) {
    const body =
      typeof input.MessageBody === "string" ? input.MessageBody : JSON.stringify(input.MessageBody);
    try {
      const r = await sqs.send(
        new SendMessageCommand({ QueueUrl: input.QueueUrl, MessageBody: body }),
      );
      return { MessageId: r.MessageId, MD5OfMessageBody: r.MD5OfMessageBody };
    } catch (e) {
      throw new StatesError("SQS.SdkClientException", String(e && e.name));
    }
  }

  /** A Distributed Map run: list, select, batch, process (the interpreter), tolerate, write. */
  async function runDistributedMap(name, input) {
    const state = distributed[name];
    const mapRunId = randomUUID();
    const parent = currentExecution;
    const mapRunArn = `arn:aws:states:${accountRegion}:mapRun:${stateMachineName}/${name}:${mapRunId}`;
    const reader = state.ItemReader;
    if (!reader || !S3_LIST.test(reader.Resource) || reader.ReaderConfig?.InputType)
      throw new StatesError(
        "States.Runtime",
        "only an ItemReader over s3:listObjectsV2 is run locally (not a manifest or a JSON file)",
      );
    const params = await evaluate(reader.Parameters, input, parent.context);
    let items = [];
    let token;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: params.Bucket,
          Prefix: params.Prefix,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents || [])
        items.push({
          Etag: o.ETag,
          Key: o.Key,
          LastModified: o.LastModified && o.LastModified.getTime() / 1000,
          Size: o.Size,
          StorageClass: o.StorageClass || "STANDARD",
        });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (reader.ReaderConfig?.MaxItems) items = items.slice(0, reader.ReaderConfig.MaxItems);

    const selected = [];
    for (const [index, value] of items.entries())
      selected.push(
        state.ItemSelector
          ? await evaluate(state.ItemSelector, input, {
              ...parent.context,
              Map: { Item: { Index: index, Value: value } },
            })
          : value,
      );
    const batcher = state.ItemBatcher;
    const batchInput = batcher?.BatchInput
      ? await evaluate(batcher.BatchInput, input, parent.context)
      : undefined;
    const batches = [];
    if (batcher) {
      const max = batcher.MaxItemsPerBatch || selected.length || 1;
      for (let i = 0; i < selected.length; i += max)
        batches.push({
          ...(batchInput ? { BatchInput: batchInput } : {}),
          Items: selected.slice(i, i + max),
        });
    } else batches.push(...selected);

    const processor = { StartAt: state.ItemProcessor.StartAt, States: state.ItemProcessor.States };
    const child = new StateMachine(processor, { validationOptions: { noValidate: true } });
    const size = (b) => (batcher ? b.Items.length : 1);
    const children = [];
    const limit = Math.max(1, Math.min(state.MaxConcurrency || Infinity, spec.sandboxes || 1));
    let at = 0;
    async function worker() {
      while (at < batches.length) {
        const i = at++;
        const childName = `${mapRunId.slice(0, 8)}-${i}`;
        const arn = `arn:aws:states:${accountRegion}:execution:${stateMachineName}/${name}:${childName}`;
        const run = child.run(
          batches[i],
          runOptions(contextFor(arn, childName, parent.context.StateMachine.Id, stateMachineName)),
        );
        const events = collect(run.eventLogs);
        const record = {
          ExecutionArn: arn,
          Name: childName,
          Input: JSON.stringify(batches[i]),
          items: size(batches[i]),
        };
        try {
          record.Output = JSON.stringify(await run.result);
          record.Status = "SUCCEEDED";
        } catch (e) {
          const cause = e.cause || e;
          record.Status = "FAILED";
          record.Error = cause.name;
          record.Cause = cause.message;
        }
        parent.childEvents.push(...(await events));
        children[i] = record;
      }
    }
    await Promise.all(Array.from({ length: limit }, worker));

    const failedItems = children
      .filter((c) => c.Status === "FAILED")
      .reduce((n, c) => n + c.items, 0);
    const total = children.reduce((n, c) => n + c.items, 0);
    let output;
    if (state.ResultWriter) {
      if (!S3_PUT.test(state.ResultWriter.Resource))
        throw new StatesError(
          "States.Runtime",
          "only a ResultWriter to s3:putObject is run locally",
        );
      const w = await evaluate(state.ResultWriter.Parameters, input, parent.context);
      const base = `${w.Prefix || ""}${mapRunId}/`;
      const files = { SUCCEEDED: [], FAILED: [], PENDING: [] };
      for (const status of ["SUCCEEDED", "FAILED"]) {
        const rows = children
          .filter((c) => c.Status === status)
          .map(({ items: _items, ...c }) => ({
            ...c,
            StateMachineArn: parent.context.StateMachine.Id,
          }));
        if (!rows.length) continue;
        const key = `${base}${status}_0.json`;
        const body = JSON.stringify(rows);
        await s3.send(new PutObjectCommand({ Bucket: w.Bucket, Key: key, Body: body }));
        files[status].push({ Key: key, Size: Buffer.byteLength(body) });
      }
      const manifest = `${base}manifest.json`;
      await s3.send(
        new PutObjectCommand({
          Bucket: w.Bucket,
          Key: manifest,
          Body: JSON.stringify({
            DestinationBucket: w.Bucket,
            MapRunArn: mapRunArn,
            ResultFiles: files,
          }),
        }),
      );
      output = { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: w.Bucket, Key: manifest } };
    } else output = children.map((c) => (c.Output ? JSON.parse(c.Output) : null));

    const pct = state.ToleratedFailurePercentage ?? 0;
    const count = state.ToleratedFailureCount ?? 0;
    const tolerated =
      failedItems === 0 ||
      (state.ToleratedFailureCount !== undefined && failedItems <= count) ||
      (total > 0 && (failedItems / total) * 100 <= pct && pct > 0);
    if (!tolerated)
      throw new StatesError(
        "States.ExceedToleratedFailureThreshold",
        `The specified tolerated failure threshold was exceeded (${failedItems} of ${total} items failed)`,
      );
    checkSize("the Map state's output", output);
    return output;
  }

  let currentExecution;
  async function collect(eventLogs) {
    const out = [];
    for await (const e of eventLogs)
      out.push({
        type: e.type,
        ...(e.state ? { state: e.state.name, input: e.state.input, output: e.state.output } : {}),
        ...(e.Error !== undefined ? { error: e.Error, cause: e.Cause } : {}),
        ...(e.output !== undefined ? { output: e.output } : {}),
      });
    return out;
  }

  (async () => {
    const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
    const results = [];
    for (const x of spec.executions) {
      const arn = `arn:aws:states:${accountRegion}:execution:${stateMachineName}:${x.name}`;
      const context = contextFor(arn, x.name, spec.stateMachineArn, stateMachineName);
      currentExecution = { context, childEvents: [] };
      for (const k of Object.keys(invocations)) delete invocations[k];
      const run = machine.run(x.input, runOptions(context));
      const events = collect(run.eventLogs);
      const r = { name: x.name, arn };
      try {
        r.output = await run.result;
        r.status = "SUCCEEDED";
      } catch (e) {
        const cause = e.cause || e;
        r.status = "FAILED";
        r.error = cause.name;
        r.cause = cause.message;
      }
      r.invocations = { ...invocations };
      r.events = await events;
      r.childEvents = currentExecution.childEvents;
      results.push(r);
    }
    const tmp = `${resultPath}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ executions: results, sandboxes: pool.size }));
    renameSync(tmp, resultPath);
    // Sandboxes keep clients and timers; Lambda freezes them, here the run is over.
    process.exit(0);
  })().catch((e) => {
    process.stderr.write(`local-sfn: ${e && e.message ? e.message.split("\n")[0] : e}\n`);
    process.exit(1);
  });
}

main();
