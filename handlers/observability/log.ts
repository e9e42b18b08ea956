/**
 * Structured logs for the pipeline's functions that cannot carry PHI: Powertools for AWS Lambda's
 * Logger with a formatter that admits only fields it knows, each checked against the form its
 * value must have (a new 2.25 UID, a digest, an outcome code, a count). Anything else is dropped
 * and counted (`withheld`), never printed: not an object key (people name folders after
 * patients), not an error message (it may quote one), not the event. A message that is not one of
 * the short fixed phrases the code uses is replaced.
 */
import { LogFormatter, LogItem, Logger } from "@aws-lambda-powertools/logger";
import type { LogAttributes, UnformattedAttributes } from "@aws-lambda-powertools/logger/types";

/** The fields a log line may carry, and the form of each value. */
export const ADMITTED: Readonly<Record<string, (v: unknown) => boolean>> = {
  outcome: (v) =>
    typeof v === "string" &&
    /^(packaged|already-packaged|duplicate|conflict|quarantined|rejected|failed)$/.test(v),
  uid: (v) => typeof v === "string" && /^2\.25\.[0-9]{1,39}$/.test(v),
  package: (v) => typeof v === "string" && /^2\.25\.[0-9]{1,39}\.imgsec$/.test(v),
  digest: (v) => typeof v === "string" && /^sha256:[0-9a-f]{64}$/.test(v),
  /** A reason code (kebab-case), never the engine's sentence. */
  reason: (v) => typeof v === "string" && /^[a-z][a-z0-9-]{0,63}$/.test(v),
  /** An error's class or AWS error code (`ThrottlingException`), never its message. */
  errorCode: (v) => typeof v === "string" && /^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(v),
  durationMs: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
  bytes: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  items: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  position: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
};

/** Messages: short fixed phrases in the code (lower case, digits, spaces and dashes). */
const MESSAGE = /^[a-z][a-z0-9 -]{0,79}$/;
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;
const TRACE_ID = /^Root=[0-9a-f-]{1,64}(;[A-Za-z]+=[A-Za-z0-9-]{1,64}){0,4}$/;

/** The admitted part of `attrs`, and how many fields were left out. */
export function admit(attrs: Record<string, unknown>): {
  fields: Record<string, unknown>;
  withheld: number;
} {
  const fields: Record<string, unknown> = {};
  let withheld = 0;
  for (const [k, v] of Object.entries(attrs)) {
    const check = Object.hasOwn(ADMITTED, k) ? ADMITTED[k] : undefined;
    if (check && check(v)) fields[k] = v;
    else withheld++;
  }
  return { fields, withheld };
}

export class PhiSafeLogFormatter extends LogFormatter {
  public formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const ctx = attributes.lambdaContext;
    // An error (logger.error("...", err), or { error: err }) is told by its class or AWS error
    // code only: its message and stack may quote a key or a path.
    const { error, ...rest } = additional;
    const err = error ?? attributes.error;
    const { fields, withheld } = admit(
      err !== undefined ? { ...rest, errorCode: errorCodeOf(err) } : additional,
    );
    const message = MESSAGE.test(attributes.message) ? attributes.message : "message withheld";
    const base: LogAttributes = {
      level: attributes.logLevel,
      message,
      service: attributes.serviceName,
      timestamp: this.formatTimestamp(attributes.timestamp),
      ...(ctx && REQUEST_ID.test(ctx.awsRequestId) ? { requestId: ctx.awsRequestId } : {}),
      ...(ctx ? { coldStart: ctx.coldStart } : {}),
      ...(attributes.xRayTraceId && TRACE_ID.test(attributes.xRayTraceId)
        ? { xrayTraceId: attributes.xRayTraceId }
        : {}),
      ...fields,
      ...(withheld + (message === attributes.message ? 0 : 1) > 0
        ? { withheld: withheld + (message === attributes.message ? 0 : 1) }
        : {}),
    };
    return new LogItem({ attributes: base });
  }

  /** An error is its class name or AWS error code: never its message or stack. */
  public formatError(error: Error): LogAttributes {
    return { errorCode: errorCodeOf(error) };
  }
}

/** The class name or AWS error code of an error-like value ("Error" when it has neither). */
function errorCodeOf(e: unknown): string {
  if (e && typeof e === "object") {
    if ("errorCode" in e && ADMITTED.errorCode(e.errorCode)) return e.errorCode as string;
    if ("name" in e && ADMITTED.errorCode(e.name)) return e.name as string;
  }
  return "Error";
}

/**
 * The pipeline's logger: INFO by default (POWERTOOLS_LOG_LEVEL may lower it to WARN or ERROR;
 * DEBUG and TRACE are refused: at those levels libraries log payloads), no event logging, the
 * PHI-safe formatter.
 */
export function createLogger(service = "imgsec"): Logger {
  const asked = (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.AWS_LAMBDA_LOG_LEVEL ?? "")
    .toUpperCase()
    .trim();
  const level = ["WARN", "ERROR", "CRITICAL", "SILENT"].includes(asked) ? asked : "INFO";
  return new Logger({
    serviceName: service,
    logLevel: level as "INFO",
    logFormatter: new PhiSafeLogFormatter(),
  });
}
