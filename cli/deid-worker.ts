// A worker thread of `imgsec deid --jobs N`: de-identifies the files it is sent, one at a time.
import { parentPort, workerData } from "node:worker_threads";
import { deidentifyPath, WorkerConfig } from "./deid-core";

const config = workerData as WorkerConfig;
// The key arrives as a view of memory the main thread shares with every worker (no copy is made
// here); it is zeroed on every way out of this thread, and the main thread zeroes it again.
const shared = config.pseudonymizationKey as Uint8Array;
config.pseudonymizationKey = Buffer.from(shared.buffer, shared.byteOffset, shared.byteLength);
const wipe = () => config.pseudonymizationKey.fill(0);

process.on("exit", wipe);
parentPort?.on("messageerror", () => {
  wipe();
  process.exit(1);
});
parentPort?.on("message", async (msg: { index: number; path: string } | "exit") => {
  if (msg === "exit") {
    wipe();
    process.exit(0);
  }
  try {
    const outcome = await deidentifyPath(msg.path, config);
    parentPort?.postMessage({ index: msg.index, ...outcome });
  } catch (e) {
    // An unexpected failure ends this worker (the main thread sees an error): no key left behind.
    wipe();
    throw e;
  }
});
