/**
 * The way from an S3 upload to a state machine execution, as the synthesized stack wires it, and
 * the local run of that execution: the EventBridge rule's pattern (literal values and `prefix`,
 * the forms the stack uses) and the target's input transformer, applied to the "Object Created"
 * event S3 sends; then scripts/local-sfn.js under Node 24 (aws-local-stepfunctions needs 22 or
 * later), in a child process whose Task states call the handler, against moto.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../helpers/cli";
import type { Block } from "../helpers/tf";
import { resourceOf } from "./synth";
import { ACCOUNT, REGION, type World } from "./world";

export const NODE24 = join(ROOT, ".tools", "node24", "bin", "node");
export const LOCAL_SFN = join(ROOT, "scripts", "local-sfn.js");
export const node24Available = () => existsSync(NODE24);

/** The event S3 sends to EventBridge for a PutObject (the fields the pipeline reads, and more). */
export function objectCreatedEvent(o: {
  bucket: string;
  key: string;
  versionId: string;
  size: number;
  etag: string;
}): Record<string, unknown> {
  return {
    version: "0",
    id: "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    source: "aws.s3",
    account: ACCOUNT,
    time: "2026-01-01T00:00:00Z",
    region: REGION,
    resources: [`arn:aws:s3:::${o.bucket}`],
    detail: {
      version: "0",
      bucket: { name: o.bucket },
      object: {
        key: o.key,
        size: o.size,
        etag: o.etag.replace(/"/g, ""),
        "version-id": o.versionId,
        sequencer: "00617F08299329D189",
      },
      "request-id": "N4N7GDK58NMKJ12R",
      requester: ACCOUNT,
      "source-ip-address": "203.0.113.15",
      reason: "PutObject",
    },
  };
}

/** EventBridge pattern matching for the forms a pattern here may use: literals and `prefix`. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern))
    return pattern.some((p) =>
      p !== null && typeof p === "object"
        ? typeof (p as { prefix?: unknown }).prefix === "string" &&
          typeof event === "string" &&
          event.startsWith((p as { prefix: string }).prefix)
        : p === event,
    );
  if (pattern && typeof pattern === "object") {
    if (!event || typeof event !== "object") return false;
    return Object.entries(pattern).every(([k, p]) =>
      matchesPattern(p, (event as Record<string, unknown>)[k]),
    );
  }
  throw new Error("unsupported event pattern form");
}

/** `$.a.b-c.d` of an object (the input paths' form). */
function jsonPath(path: string, doc: unknown): unknown {
  if (!path.startsWith("$.")) throw new Error(`unsupported input path ${path}`);
  return path
    .slice(2)
    .split(".")
    .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], doc);
}

/**
 * What the synthesized rule and target make of an event: undefined when the rule does not match,
 * else the execution's input (the input transformer applied: `<name>` placeholders replaced by the
 * JSON of the value each input path selects).
 */
export function executionInputFor(world: World, event: Record<string, unknown>): unknown {
  const tf: Block = world.stack.tf;
  const rule = resourceOf(tf, "aws_cloudwatch_event_rule").block;
  if (!matchesPattern(JSON.parse(world.resolve(rule.event_pattern)), event)) return undefined;
  const { input_paths: paths, input_template: template } = resourceOf(
    tf,
    "aws_cloudwatch_event_target",
  ).block.input_transformer as { input_paths: Record<string, string>; input_template: string };
  const text = template.replace(/<([A-Za-z0-9_-]+)>/g, (_m, name: string) => {
    if (!(name in paths)) throw new Error(`template names <${name}>, which no input path defines`);
    return JSON.stringify(jsonPath(paths[name], event) ?? null);
  });
  return JSON.parse(text);
}

export interface LocalEvent {
  type: string;
  state?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
}

export interface LocalExecution {
  name: string;
  arn: string;
  status: "SUCCEEDED" | "FAILED";
  output?: unknown;
  error?: string;
  cause?: string;
  /** Lambda invocations per Task state, throttled ones included. */
  invocations: Record<string, number>;
  events: LocalEvent[];
  /** Events of a Distributed Map's child executions. */
  childEvents: LocalEvent[];
}

export interface LocalRun {
  executions: LocalExecution[];
  sandboxes: number;
  /** What the handler printed (Powertools logs, EMF metrics), line by line. */
  printed: string[];
  stderr: string;
}

export interface LocalRunSpec {
  definition: unknown;
  stateMachineArn: string;
  functionArn: string;
  handler: string;
  executions: { name: string; input: unknown }[];
  sandboxes?: number;
  faults?: { state: string; error: string; times: number }[];
}

/** Runs executions in a Node 24 child process (asynchronously: a proxy in this process serves it). */
export async function runLocal(
  spec: LocalRunSpec,
  env: Record<string, string | undefined>,
): Promise<LocalRun> {
  const dir = mkdtempSync(join(tmpdir(), "imgsec-e2e-sfn-"));
  const specPath = join(dir, "spec.json");
  const resultPath = join(dir, "result.json");
  writeFileSync(specPath, JSON.stringify({ retryDelayMs: 0, ...spec }));
  const child = spawn(NODE24, [LOCAL_SFN, specPath, resultPath], {
    cwd: ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  let result: Omit<LocalRun, "printed" | "stderr">;
  try {
    if (code !== 0) throw new Error(`local-sfn exited ${code}: ${stderr.trim().slice(-2000)}`);
    result = JSON.parse(readFileSync(resultPath, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { ...result, printed: stdout.split("\n").filter((l) => l.trim() !== ""), stderr };
}
