/** The errno code of a Node file-system (system) error, e.g. "EACCES"; undefined otherwise. */
export function errnoCode(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  return err && typeof err.code === "string" && typeof err.syscall === "string"
    ? err.code
    : undefined;
}
