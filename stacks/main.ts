// Entry point for `cdktf synth|deploy` (cdktf.json "app"). The CLI's `imgsec synth` does the same.
import { existsSync } from "node:fs";
import { buildApp } from "./app";
import { loadConfigFile, resolveEnvironments } from "./config";

const configPath = process.env.IMGSEC_CONFIG ?? "imgsec.config.json";
const environments = resolveEnvironments(
  existsSync(configPath) ? loadConfigFile(configPath) : undefined,
);
buildApp(process.env.CDKTF_OUTDIR ?? "cdktf.out", environments).synth();
