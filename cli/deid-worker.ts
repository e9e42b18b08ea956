// A worker thread of `imgsec deid --jobs N`: de-identifies the files it is sent, one at a time.
// Before it puts an output in place it asks the main thread for the output's name (a claim), so
// that two workers never both write one SOP Instance UID: see OutputClaims in deid-core.ts.
import { parentPort, workerData } from "node:worker_threads";
import { ClaimAnswer, WorkerConfig, WorkerMessage, deidentifyPath } from "./deid-core";

const config = workerData as WorkerConfig;
// The key arrives as a view of memory the main thread shares with every worker (no copy is made
// here); it is zeroed on every way out of this thread, and the main thread zeroes it again.
const shared = config.pseudonymizationKey as Uint8Array;
config.pseudonymizationKey = Buffer.from(shared.buffer, shared.byteOffset, shared.byteLength);
const wipe = () => config.pseudonymizationKey.fill(0);
const send = (m: WorkerMessage) => parentPort?.postMessage(m);

// The answer this worker waits for (one file, so at most one claim, at a time).
let answer: ((a: ClaimAnswer) => void) | undefined;

process.on("exit", wipe);
parentPort?.on("messageerror", () => {
  wipe();
  process.exit(1);
});
parentPort?.on(
  "message",
  async (msg: { index: number; path: string } | { claim: ClaimAnswer } | "exit") => {
    if (msg === "exit") {
      wipe();
      process.exit(0);
    }
    if (msg && typeof msg === "object" && "claim" in msg) {
      const resolve = answer;
      answer = undefined;
      resolve?.(msg.claim);
      return;
    }
    try {
      const { index, path } = msg;
      const outcome = await deidentifyPath(path, config, undefined, {
        claim: (name, digest) =>
          new Promise<ClaimAnswer>((resolve) => {
            answer = resolve;
            send({ type: "claim", index, name, digest });
          }),
      });
      send({ type: "outcome", index, outcome });
    } catch (e) {
      // An unexpected failure ends this worker (the main thread sees an error): no key left behind.
      wipe();
      throw e;
    }
  },
);
