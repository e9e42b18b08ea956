// A worker thread of `imgsec deid --jobs N`: de-identifies the files it is sent, one at a time.
import { parentPort, workerData } from "node:worker_threads";
import { deidentifyPath, WorkerConfig } from "./deid-core";

const config = workerData as WorkerConfig;
config.pseudonymizationKey = Buffer.from(config.pseudonymizationKey);

parentPort?.on("message", async (msg: { index: number; path: string } | "exit") => {
  if (msg === "exit") {
    config.pseudonymizationKey.fill(0);
    process.exit(0);
  }
  const outcome = await deidentifyPath(msg.path, config);
  parentPort?.postMessage({ index: msg.index, ...outcome });
});
