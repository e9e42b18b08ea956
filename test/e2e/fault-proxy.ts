/**
 * A fault-injecting HTTP proxy in front of moto, on 127.0.0.1: the function's AWS_ENDPOINT_URL
 * points at it, so every S3, KMS, Secrets Manager and STS request of the function (the Encryption
 * SDK's own KMS client included) passes through it untouched, except those a rule matches, which
 * get the error AWS would send (KMS ThrottlingException, S3 SlowDown) or a dropped connection.
 * Faults happen on the wire, so the SDK's own retries, lib-storage's abort and the job's error
 * classification all run as they would against AWS.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RequestFacts {
  method: string;
  /** Path and query, e.g. `/bucket/key?partNumber=2&uploadId=...` (path-style S3). */
  url: string;
  headers: IncomingHttpHeaders;
}

export type FaultResponse =
  | { status: number; body: string; contentType: string }
  /** The connection is dropped without an answer (ECONNRESET / socket hang up). */
  | "reset";

export interface FaultRule {
  name: string;
  match(r: RequestFacts): boolean;
  /** Matching requests let through before the fault starts (default 0). */
  after?: number;
  /** Matching requests that fail once it starts (default: all, until the rule is removed). */
  times?: number;
  respond: FaultResponse;
}

export interface FaultProxy {
  endpoint: string;
  /** Adds a rule; returns how many requests it matched and how many it failed so far. */
  add(rule: FaultRule): { matched(): number; failed(): number };
  clear(): void;
  stop(): Promise<void>;
}

/** KMS's JSON protocol names the operation in X-Amz-Target: `TrentService.GenerateDataKey`. */
export const kmsCall =
  (...operations: string[]) =>
  (r: RequestFacts): boolean => {
    const target = String(r.headers["x-amz-target"] ?? "");
    if (!target.startsWith("TrentService.")) return false;
    return operations.length === 0 || operations.includes(target.slice("TrentService.".length));
  };

/** An S3 request that writes an object under `prefix` of `bucket` (path-style). */
export const s3Write =
  (bucket: string, prefix: string, kind: "put" | "part" | "any" = "any") =>
  (r: RequestFacts): boolean => {
    if (!r.url.startsWith(`/${bucket}/${prefix}`)) return false;
    const part = /[?&]partNumber=/.test(r.url);
    if (kind === "part") return r.method === "PUT" && part;
    if (kind === "put") return r.method === "PUT" && !part && !r.headers["x-amz-copy-source"];
    return r.method === "PUT" || r.method === "POST";
  };

const kmsError = (status: number, type: string, message: string): FaultResponse => ({
  status,
  contentType: "application/x-amz-json-1.1",
  body: JSON.stringify({ __type: type, message }),
});

/** KMS throttling: a 400 ThrottlingException (the SDK retries it, then the job does). */
export const KMS_THROTTLED = kmsError(400, "ThrottlingException", "Rate exceeded");

/** KMS unavailable: its 500 (the SDK retries it, then the job calls it transient). */
export const KMS_INTERNAL = kmsError(500, "KMSInternalException", "internal error");

/** KMS refusing a disabled key (not retryable). */
export const KMS_DISABLED = kmsError(400, "DisabledException", "the key is disabled");

export const S3_SLOW_DOWN: FaultResponse = {
  status: 503,
  contentType: "application/xml",
  body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
};

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const rules: { rule: FaultRule; matched: number; failed: number }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const facts = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers };
    for (const r of rules) {
      if (!r.rule.match(facts)) continue;
      r.matched++;
      const after = r.rule.after ?? 0;
      const times = r.rule.times ?? Infinity;
      if (r.matched <= after || r.failed >= times) break;
      r.failed++;
      const how = r.rule.respond;
      // Read the body first: the client sees the fault as S3 or KMS would answer it.
      req.resume();
      req.on("end", () => {
        if (how === "reset") {
          req.socket.destroy();
          return;
        }
        res.writeHead(how.status, {
          "content-type": how.contentType,
          "content-length": Buffer.byteLength(how.body),
          "x-amzn-requestid": "e2e-fault",
        });
        res.end(how.body);
      });
      return;
    }
    const up = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => req.socket.destroy());
    req.pipe(up);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    add(rule) {
      const entry = { rule, matched: 0, failed: 0 };
      rules.push(entry);
      return { matched: () => entry.matched, failed: () => entry.failed };
    },
    clear() {
      rules.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
