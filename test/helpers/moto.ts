import { ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT } from "./cli";
import { describeIfAvailable } from "./tools";

/** moto's server, installed pinned by scripts/setup-moto.sh into .tools/moto. */
export const MOTO_SERVER = join(ROOT, ".tools", "moto", "bin", "moto_server");

export interface Moto {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** Environment for the AWS SDK (and child processes) to talk to this server only. */
  env: Record<string, string>;
  /** AWS SDK v3 client settings for this server (S3 clients add forcePathStyle). */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${log().slice(-500)}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/data.json`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s`);
}

/** Starts a fresh moto server on 127.0.0.1 (its own state; stop() ends it). */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(MOTO_SERVER, ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  await waitUntilUp(endpoint, child, () => stderr);
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: "testing",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
  };
  return {
    endpoint,
    env,
    clientConfig: {
      endpoint,
      region: env.AWS_REGION,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      },
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * `describe` with a moto server started before its tests and stopped after. Where moto is not
 * installed the block skips loudly, naming the tool; under CI=true it fails instead.
 */
export function describeWithMoto(title: string, body: (moto: () => Moto) => void): void {
  describeIfAvailable(
    { name: "moto", available: existsSync(MOTO_SERVER), setup: "scripts/setup-moto.sh" },
    title,
    () => {
      let moto: Moto | undefined;
      beforeAll(async () => {
        moto = await startMoto();
      }, 60_000);
      afterAll(async () => {
        await moto?.stop();
      });
      body(() => {
        if (!moto) throw new Error("moto server not started");
        return moto;
      });
    },
  );
}
