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
