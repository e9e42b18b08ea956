import { ImgsecConfigError } from "../modules/errors";
import { UnusableInputError } from "../policies/engine/normalize";
import { KeyFileError } from "../handlers/keys/keyfile";
import { AuditLogError } from "../handlers/audit/errors";

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

export function isExpected(e: unknown): e is Error {
  return (
    e instanceof UsageError ||
    e instanceof ImgsecConfigError ||
    e instanceof UnusableInputError ||
    e instanceof KeyFileError ||
    e instanceof AuditLogError
  );
}

/** One line, whatever the error; internal errors keep their stack only under IMGSEC_DEBUG. */
export function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n")[0];
}
