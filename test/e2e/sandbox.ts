/**
 * Function sandboxes in-process: each is the handler module loaded anew (its own cold start,
 * secret read, KMS signer and instance audit log, as a new Lambda execution environment), invoked
 * with a Lambda context; everything an invocation prints, returns or throws is kept for the scans.
 */
import type { Context } from "aws-lambda";
import type { ObjectResult } from "../../handlers/process-object";
import { captureOutput } from "./evidence";
import { ACCOUNT, REGION } from "./world";

export type Handler = (event: unknown, context?: Context) => Promise<unknown>;

/** The handler module loaded anew: a new sandbox. */
export function newSandbox(): Handler {
  let h: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    h = (require("../../handlers/process-object") as { handler: Handler }).handler;
  });
  return h as Handler;
}

let requests = 0;

/** The context Lambda passes (fixed names; a new request id per invocation). */
export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "2048",
    awsRequestId: `e2e-request-${++requests}`,
    logGroupName: "/imgsec/imgsec-dev/pipeline-function",
    logStreamName: "2026/01/01/[$LATEST]e2e",
    getRemainingTimeInMillis: () => 300_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export type Invocation =
  | { result: ObjectResult | { results: ObjectResult[] }; error?: undefined }
  | { result?: undefined; error: Error };

/** Invokes sandboxes and keeps what came out of them. */
export class Recorder {
  /** Lines the function printed (Powertools logs and EMF metrics). */
  readonly printed: string[] = [];
  readonly returned: unknown[] = [];
  /** `name: message` of every error an invocation threw. */
  readonly thrown: string[] = [];
  /** Node's process warnings during invocations (the AWS SDK's Node 20 notice). */
  readonly warned: string[] = [];

  constructor(private readonly functionName: string) {}

  async invoke(handler: Handler, event: unknown): Promise<Invocation> {
    const out = captureOutput();
    try {
      const r = (await handler(event, lambdaContext(this.functionName))) as Invocation["result"];
      this.returned.push(r);
      return { result: r as ObjectResult };
    } catch (e) {
      const err = e as Error;
      this.thrown.push(`${err.name}: ${err.message}`);
      return { error: err };
    } finally {
      out.stop();
      this.printed.push(...out.lines());
      this.warned.push(...out.warnings());
    }
  }

  /** Everything kept, as named texts for the scans. */
  texts(): { name: string; text: string }[] {
    return [
      ...this.printed.map((l, n) => ({ name: `output line ${n}`, text: l })),
      ...this.returned.map((r, n) => ({ name: `result ${n}`, text: JSON.stringify(r) })),
      ...this.thrown.map((t, n) => ({ name: `error ${n}`, text: t })),
      ...this.warned.map((t, n) => ({ name: `process warning ${n}`, text: t })),
    ];
  }
}
