import { ImgsecConfigError } from "../modules/errors";
import { UnusableInputError } from "../policies/engine/normalize";
import { KeyFileError } from "../handlers/keys/keyfile";
import { AuditLogError } from "../handlers/audit/errors";
import { AttestationsError, ReportDirError, ReportUsageError } from "../compliance/report/errors";

/** Exit codes shared by every subcommand. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_UNUSABLE = 2;

/** An input or usage problem: one line on stderr, exit 2, never a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

import { errnoCode } from "../handlers/fs/errors";

export { errnoCode };

/**
 * A file-system error said as a fixed phrase and its errno code (`cannot read input #3: EACCES`).
 * Node's own message quotes the path, and folder names are often patient names: the path is added
 * only when the user asked for paths (--show-paths).
 */
export class FsError extends UsageError {
  constructor(phrase: string, code: string, path?: string) {
    super(`${phrase}: ${code}${path !== undefined ? ` (${path})` : ""}`);
    this.name = "FsError";
  }
}

/** Where a file-system error happened: the path, shown only with --show-paths. */
export interface FsWhere {
  path?: string;
  showPaths?: boolean;
}

/** `e` as an FsError when it is a file-system error (rethrown as is otherwise). */
export function fsError(e: unknown, phrase: string, where: FsWhere = {}): Error {
  const code = errnoCode(e);
  if (code === undefined) return e as Error;
  return new FsError(phrase, code, where.showPaths ? where.path : undefined);
}

export function isExpected(e: unknown): e is Error {
  return (
    e instanceof UsageError ||
    e instanceof ImgsecConfigError ||
    e instanceof UnusableInputError ||
    e instanceof KeyFileError ||
    e instanceof AuditLogError ||
    e instanceof AttestationsError ||
    e instanceof ReportDirError ||
    e instanceof ReportUsageError
  );
}

/**
 * One line, whatever the error; internal errors keep their stack only under IMGSEC_DEBUG. A
 * file-system error that reached this far unworded is said without its message, which quotes the
 * path.
 */
export function oneLine(e: unknown): string {
  const code = errnoCode(e);
  if (code !== undefined)
    return `file-system error (${(e as NodeJS.ErrnoException).syscall}: ${code})`;
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n")[0];
}
