/**
 * A problem with an audit log or its inputs that the operator must act on: a torn or altered log
 * the writer refuses to extend, a key that does not match the log, an unreadable file, a failed
 * copy to S3. One line, never PHI; the CLI maps it to exit 2.
 */
export class AuditLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditLogError";
  }
}

/**
 * An event refused by validation before anything is written: free text, paths, names or any field
 * outside the schema. The message names the field, never its value (the value may be PHI).
 */
export class AuditEventError extends AuditLogError {
  constructor(message: string) {
    super(message);
    this.name = "AuditEventError";
  }
}

/**
 * Why an AWS call failed, in a few words: a network error code, else the SDK's error name and
 * HTTP status. Never the message, which may echo a request.
 */
export function awsReason(e: unknown): string {
  // The SDK sometimes wraps a network error, leaving its code only in the message.
  const code =
    (e as NodeJS.ErrnoException)?.code ??
    /\b(E[A-Z][A-Z0-9_]{2,})\b/.exec(String((e as Error)?.message))?.[1];
  const http = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = (e as Error)?.name ?? "error";
  return code ? code : http ? `${name} (HTTP ${http})` : name;
}
