/** The report's unusable-input errors: one line on stderr, exit 2 (kept apart so the CLI loads them cheaply). */

/** An attestations file that cannot be read or does not follow its schema. */
export class AttestationsError extends Error {
  override name = "AttestationsError";
}

/** An --out folder that cannot take a report, or a folder `report verify` cannot read as one. */
export class ReportDirError extends Error {
  override name = "ReportDirError";
}

/** A malformed --period, --sample or --seed. */
export class ReportUsageError extends Error {
  override name = "ReportUsageError";
}
