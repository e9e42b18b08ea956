import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildApp } from "../stacks/app";
import { EnvironmentInput, loadConfigFile, resolveEnvironments } from "../stacks/config";
import { StackSummary, summarizeStack } from "../stacks/summary";
import { replaceDirAtomically } from "./fs-atomic";
import { UsageError } from "./errors";

export interface SynthOptions {
  out: string;
  config?: string;
}

/** Reads the config (flag, then IMGSEC_CONFIG, then ./imgsec.config.json if present, then defaults). */
export function environmentsFrom(configFlag?: string) {
  const path = configFlag ?? process.env.IMGSEC_CONFIG;
  let input: Record<string, EnvironmentInput> | undefined;
  if (path) {
    if (!existsSync(path)) throw new UsageError(`config file not found: ${path}`);
    input = loadConfigFile(path);
  } else if (existsSync("imgsec.config.json")) {
    input = loadConfigFile("imgsec.config.json");
  }
  return resolveEnvironments(input);
}

/** Synthesizes every stack offline into `out` (atomically) and summarizes what each declares. */
export function synth(opts: SynthOptions): StackSummary[] {
  const environments = environmentsFrom(opts.config);
  const out = resolve(opts.out);
  mkdirSync(resolve(out, ".."), { recursive: true });
  replaceDirAtomically(out, (tmp) => buildApp(tmp, environments).synth());
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {
    stacks: Record<string, { synthesizedStackPath: string }>;
  };
  return Object.entries(manifest.stacks).map(([name, s]) => {
    const tf = JSON.parse(readFileSync(join(out, s.synthesizedStackPath), "utf8"));
    return summarizeStack(name, join(opts.out, s.synthesizedStackPath), tf);
  });
}
