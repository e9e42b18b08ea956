/**
 * The synthesized stack the end-to-end tests run: `imgsec synth` (the built CLI, as a platform team
 * runs it before `cdktf deploy`) into a temporary folder, and the dev stack's cdk.tf.json read back.
 * Nothing here is a hand-written copy: the state machine definitions, the function's environment,
 * the EventBridge target and the Lambda bundle all come from that output.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { runCli } from "../helpers/cli";
import type { Block } from "../helpers/tf";

export const STACK = "imgsec-dev";

export interface SynthesizedStack {
  /** The dev stack's cdk.tf.json. */
  tf: Block;
  /** The stack's folder (asset paths in `tf` are relative to it). */
  stackDir: string;
  /** The Lambda bundle as deployed: its zip and the `index.js` extracted from it. */
  bundle: { zipPath: string; zipBytes: number; indexJs: string; codeBytes: number };
  /** The handler module the local runs load: the bundle's index.js. */
  handlerModule: string;
  /** The temporary folders this made (the synth's output, the extracted bundle). */
  dirs: string[];
}

/** The only resource of `type` whose attributes satisfy `pred` (its name and block). */
export function resourceOf(
  tf: Block,
  type: string,
  pred: (r: Block) => boolean = () => true,
): { name: string; block: Block } {
  const hits = Object.entries((tf.resource?.[type] ?? {}) as Record<string, Block>).filter(
    ([, r]) => pred(r),
  );
  if (hits.length !== 1) throw new Error(`expected one ${type}, found ${hits.length}`);
  return { name: hits[0][0], block: hits[0][1] };
}

/** The ASL of a state machine as cdk.tf.json holds it (a JSON string with interpolations). */
export function stateMachineDefinition(tf: Block, machineName: string): string {
  const { block } = resourceOf(tf, "aws_sfn_state_machine", (r) => r.name === machineName);
  if (typeof block.definition !== "string") throw new Error(`${machineName} has no definition`);
  return block.definition;
}

/** Runs `imgsec synth` and reads the dev stack and its function bundle. */
export function synthesize(): SynthesizedStack {
  const out = mkdtempSync(join(tmpdir(), "imgsec-e2e-synth-"));
  const r = runCli(["synth", "--out", out, "--format", "json"]);
  // The real bundle or nothing: a bundling regression fails these tests.
  if (r.code !== 0) throw new Error(`imgsec synth failed (exit ${r.code}): ${r.stderr.trim()}`);
  const stackDir = join(out, "stacks", STACK);
  const tf = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as Block;
  const fn = resourceOf(tf, "aws_lambda_function").block;
  const zipPath = join(stackDir, fn.filename as string);
  const zip = readFileSync(zipPath);
  const files = unzipSync(zip);
  const [entry] = String(fn.handler).split(".");
  const code = files[`${entry}.js`];
  if (!code) throw new Error(`the function's zip holds no ${entry}.js`);
  const dir = mkdtempSync(join(tmpdir(), "imgsec-e2e-bundle-"));
  const indexJs = join(dir, `${entry}.js`);
  writeFileSync(indexJs, code);
  return {
    tf,
    stackDir,
    bundle: { zipPath, zipBytes: zip.length, indexJs, codeBytes: code.length },
    handlerModule: indexJs,
    dirs: [out, dir],
  };
}
