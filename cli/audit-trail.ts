import type { AuditEvent } from "../handlers/audit/schema";
import { AuditWriter, auditLogPath, openAuditLog } from "../handlers/audit/writer";
import { KeyFileError, keyFilePath } from "../handlers/keys/keyfile";

/** The audit flags every subcommand shares. commander turns `--no-audit` into `audit: false`. */
export interface AuditFlags {
  auditLog?: string;
  keys?: string;
  audit?: boolean;
}

export interface Trail {
  append(event: AuditEvent): Promise<void>;
  close(): Promise<void>;
  /** Where records went, or why none were written: printed on stderr. */
  readonly note: string;
}

const NONE = (note: string): Trail => ({
  append: async () => undefined,
  close: async () => undefined,
  note,
});

/** The audit log: --audit-log, then IMGSEC_AUDIT_LOG, then audit.jsonl beside the key file. */
export function trailPath(flags: AuditFlags): string {
  return auditLogPath(flags.auditLog, keyFilePath(flags.keys));
}

/**
 * Opens the audit log for one command. Commands that touch image content (deid, encrypt,
 * decrypt) need it: a missing audit key stops them (exit 2) unless `--no-audit` says otherwise,
 * which is then reported. Commands that only read metadata (check, verify-package) record when a
 * key file is there and say so when it is not, so CI gates need no keys.
 */
export async function openTrail(flags: AuditFlags, required: boolean): Promise<Trail> {
  if (flags.audit === false) return NONE("audit: NOT recorded (--no-audit)");
  let writer: AuditWriter;
  try {
    writer = await openAuditLog({
      path: trailPath(flags),
      keysPath: keyFilePath(flags.keys),
    });
  } catch (e) {
    if (!required && e instanceof KeyFileError)
      return NONE("audit: not recorded (no key file with an audit key; see imgsec keys init)");
    throw e;
  }
  return {
    append: async (event) => {
      await writer.append(event);
    },
    close: () => writer.close(),
    note: `audit: recorded in ${writer.path}`,
  };
}
