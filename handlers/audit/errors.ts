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
