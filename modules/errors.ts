/**
 * Raised when a construct or stack is configured in a way that would weaken a control or that AWS
 * would reject at deploy time. Synth stops with this one-line message instead of writing a stack.
 */
export class ImgsecConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImgsecConfigError";
  }
}

export function requireInteger(
  what: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new ImgsecConfigError(`${what} must be a whole number ${range}; got ${String(value)}`);
  }
}

/** The first problem of a schema validation (zod's error shape), as "path.to.field: message". */
export function formatZodError(error: {
  issues: { path: PropertyKey[]; message: string }[];
}): string {
  const issue = error.issues[0];
  const where = issue.path.length ? issue.path.map(String).join(".") : "(root)";
  return `${where}: ${issue.message}`;
}
