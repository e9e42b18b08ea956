/**
 * What an audit record may hold. Events refer to objects only by pseudonymous id or digest, and
 * their details are numbers, booleans and short enum-like tokens: there is no field where free
 * text, a path or a name fits, which is how "no PHI in the audit log" is enforced by structure.
 */
import type { z } from "zod";
import { AuditEventError } from "./errors";

export const AUDIT_OPS = [
  "deid",
  "encrypt",
  "decrypt",
  "verify-package",
  "check",
  "audit-verify",
  "keys",
  "report",
] as const;
export const AUDIT_OUTCOMES = ["ok", "failed", "refused", "error"] as const;
export type AuditOp = (typeof AUDIT_OPS)[number];
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** An IAM ARN or `local:<user>`. */
export const ACTOR_RE = /^[A-Za-z0-9_.:@/+=,-]{1,200}$/;
export const DATASET_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
// A UUID-derived UID (PS3.5 B.2): "2.25." and at most 39 digits, no leading zero; 64 chars max.
const UID_RE = /^2\.25\.(0|[1-9][0-9]{0,38})$/;
const PSEUDONYM_RE = /^[A-Z0-9-]{1,64}$/;
// An instance whose own UID was kept (deid --option retain-uids): named by a keyed digest of that
// UID, never the UID, which may itself identify.
const KEYED_DIGEST_RE = /^hmac-sha256:[0-9a-f]{64}$/;
const TOKEN_RE = /^[A-Za-z0-9_.:-]{0,64}$/;
const DETAIL_KEY_RE = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
export const MAX_OBJECTS = 256;
export const MAX_DETAILS = 32;

/**
 * The zod schemas, built on first use: zod costs a CLI start-up tens of milliseconds to load, and
 * valid events never need it (see validateEvent); it loads for the first refused event or the
 * first use of an exported schema.
 */
function build() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { z } = require("zod") as typeof import("zod");
  const Digest = z.string().regex(DIGEST_RE);
  const AuditObjectSchema = z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("package"), digest: Digest }),
    z.strictObject({ kind: z.literal("dataset"), id: z.string().regex(DATASET_ID_RE) }),
    z.strictObject({ kind: z.literal("instance"), uid: z.string().regex(UID_RE) }),
    z.strictObject({ kind: z.literal("patient"), pseudonym: z.string().regex(PSEUDONYM_RE) }),
    z.strictObject({ kind: z.literal("input"), digest: Digest }),
    // A compliance report, by the digest of its manifest (imgsec report).
    z.strictObject({ kind: z.literal("report"), digest: Digest }),
    z.strictObject({
      kind: z.literal("retained-instance"),
      digest: z.string().regex(KEYED_DIGEST_RE),
    }),
  ]);

  const Details = z
    .record(
      z.string().regex(DETAIL_KEY_RE),
      z.union([z.number(), z.boolean(), z.string().regex(TOKEN_RE)]),
    )
    .refine((d) => Object.keys(d).length <= MAX_DETAILS, {
      message: `at most ${MAX_DETAILS} details`,
    });

  const EventFields = {
    op: z.enum(AUDIT_OPS),
    outcome: z.enum(AUDIT_OUTCOMES),
    objects: z.array(AuditObjectSchema).max(MAX_OBJECTS),
    details: Details,
  };

  /** What a caller appends. `objects` and `details` default to empty. */
  const AuditEventSchema = z.strictObject({
    op: EventFields.op,
    outcome: EventFields.outcome,
    objects: EventFields.objects.optional(),
    details: Details.optional(),
  });

  const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
  const Base = {
    v: z.literal(1),
    log: z.string().regex(LOG_ID_RE),
    seq: z.number().int().nonnegative(),
    ts: z.string().regex(TS_RE),
    actor: z.string().regex(ACTOR_RE),
    prev: Hex64,
    hmac: Hex64,
  };
  const Fingerprint = z.string().regex(/^[0-9a-f]{32}$/);

  const OpenRecordSchema = z.strictObject({
    ...Base,
    type: z.literal("open"),
    alg: z.enum(CHECKPOINT_ALGS),
    auditKey: z.string().regex(/^[0-9a-f]{16}$/),
    signer: Fingerprint,
    every: z.number().int().min(1).max(1_000_000),
  });
  const EventRecordSchema = z.strictObject({
    ...Base,
    type: z.literal("event"),
    ...EventFields,
  });
  const CheckpointRecordSchema = z
    .strictObject({
      ...Base,
      type: z.literal("checkpoint"),
      alg: z.enum(CHECKPOINT_ALGS),
      covers: z.number().int().nonnegative(),
      head: Hex64,
      key: Fingerprint,
      reason: z.enum(CHECKPOINT_REASONS),
      sig: z.string(),
    })
    // Guarded: the refinement must not throw on a record whose other fields already failed.
    .refine(
      (r) => Object.hasOwn(SIG_RE, r.alg) && typeof r.sig === "string" && SIG_RE[r.alg].test(r.sig),
      {
        message: "sig is not a signature of the checkpoint's alg",
        path: ["sig"],
      },
    );
  const AuditRecordSchema = z.discriminatedUnion("type", [
    OpenRecordSchema,
    EventRecordSchema,
    CheckpointRecordSchema,
  ]);
  return {
    AuditObjectSchema,
    AuditEventSchema,
    OpenRecordSchema,
    EventRecordSchema,
    CheckpointRecordSchema,
    AuditRecordSchema,
  };
}

type Schemas = ReturnType<typeof build>;
let built: Schemas | undefined;
const schemas = (): Schemas => (built ??= build());

/** An exported schema that builds the schemas (and loads zod) when first used. */
function lazySchema<K extends keyof Schemas>(name: K): Schemas[K] {
  const real = () => schemas()[name] as object;
  return new Proxy({} as Schemas[K], {
    get: (_t, p) => {
      const s = real();
      const v = Reflect.get(s, p, s) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(s) : v;
    },
    has: (_t, p) => Reflect.has(real(), p),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}

export const AuditObjectSchema = lazySchema("AuditObjectSchema");
export type AuditObject = z.infer<Schemas["AuditObjectSchema"]>;
/** What a caller appends. `objects` and `details` default to empty. */
export const AuditEventSchema = lazySchema("AuditEventSchema");
export type AuditEvent = z.input<Schemas["AuditEventSchema"]>;

export const LOG_ID_RE = /^[0-9a-f]{32}$/;
export const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Why a checkpoint was written: `interval` (every N records), `close` (the writer closed the log),
 * `seal` (an instance log's explicit seal, before an invocation reports success).
 */
export const CHECKPOINT_REASONS = ["interval", "close", "seal"] as const;
export type CheckpointReason = (typeof CHECKPOINT_REASONS)[number];

/** Checkpoint signature algorithms: the key file's Ed25519 key, or a KMS ECC_NIST_P256 key. */
export const CHECKPOINT_ALGS = ["ed25519", "ecdsa-p256-sha256"] as const;
export type CheckpointAlg = (typeof CHECKPOINT_ALGS)[number];
/** `sig` by alg: a 64-byte Ed25519 signature; a DER ECDSA-Sig-Value (8 to 72 bytes), base64. */
export const SIG_RE: Record<CheckpointAlg, RegExp> = {
  ed25519: /^[A-Za-z0-9+/]{86}==$/,
  "ecdsa-p256-sha256":
    /^(?=[A-Za-z0-9+/=]{12,96}$)(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
};

export const OpenRecordSchema = lazySchema("OpenRecordSchema");
export const EventRecordSchema = lazySchema("EventRecordSchema");
export const CheckpointRecordSchema = lazySchema("CheckpointRecordSchema");
export const AuditRecordSchema = lazySchema("AuditRecordSchema");
export type OpenRecord = z.infer<Schemas["OpenRecordSchema"]>;
export type EventRecord = z.infer<Schemas["EventRecordSchema"]>;
export type CheckpointRecord = z.infer<Schemas["CheckpointRecordSchema"]>;
export type AuditRecord = z.infer<Schemas["AuditRecordSchema"]>;

// Field names the schema defines: safe to show in an error. Anything else (a detail key, an
// unexpected field) could itself be PHI, so errors show its position, never its text.
const KNOWN_FIELDS = new Set([
  "op",
  "outcome",
  "objects",
  "details",
  "kind",
  "digest",
  "id",
  "uid",
  "pseudonym",
]);

function describePath(path: PropertyKey[]): string {
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const p = path[i];
    if (typeof p === "number") out += `[${p}]`;
    else if (path[i - 1] === "details") out += "[<key>]";
    else if (typeof p === "string" && KNOWN_FIELDS.has(p)) out += (out ? "." : "") + p;
    else out += (out ? "." : "") + "<field>";
  }
  return out || "event";
}

function explain(issue: z.core.$ZodIssue): string {
  const where = describePath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return `${where} has a field the audit schema does not allow`;
    case "invalid_key":
      return `${where} has a detail key that is not an identifier (letters, digits, _; at most 32)`;
    case "invalid_format":
      return where.startsWith("details")
        ? `${where} is not a number, boolean or enum-like token (free text, paths and names are not allowed)`
        : `${where} is not a pseudonymous id or digest of the required form`;
    case "invalid_union":
      return where.startsWith("details")
        ? `${where} is not a number, boolean or enum-like token (free text, paths and names are not allowed)`
        : `${where} is not an allowed object reference (package, dataset, instance, patient, input, report, retained-instance)`;
    case "invalid_value":
      return `${where} is not one of the allowed values`;
    case "too_big":
      return `${where} is too large`;
    default:
      return `${where} is invalid (${issue.code})`;
  }
}

type ValidEvent = {
  op: AuditOp;
  outcome: AuditOutcome;
  objects: AuditObject[];
  details: Record<string, number | boolean | string>;
};

/** Validates an event; throws AuditEventError naming the field (never echoing its value). */
export function validateEvent(event: unknown): ValidEvent {
  // An event the schema certainly accepts is taken without zod (a CLI's start-up would pay for
  // loading it); anything else, refused or unusual, goes to the schema, which has the last word.
  const plain = plainValidEvent(event);
  if (plain) return plain;
  const r = schemas().AuditEventSchema.safeParse(event);
  if (!r.success) {
    throw new AuditEventError(`audit event refused: ${explain(r.error.issues[0])}`);
  }
  return {
    op: r.data.op,
    outcome: r.data.outcome,
    objects: r.data.objects ?? [],
    details: r.data.details ?? {},
  };
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  Object.getPrototypeOf(v) === Object.prototype &&
  Object.getOwnPropertySymbols(v).length === 0;

const EVENT_KEYS = new Set(["op", "outcome", "objects", "details"]);

/**
 * The event as AuditEventSchema would give it back, when it is a plain object that the schema
 * certainly accepts (the checks below are the schema's rules, on plain objects and arrays only:
 * anything else is left to the schema); undefined otherwise. The result is a copy, as zod's is.
 */
function plainValidEvent(event: unknown): ValidEvent | undefined {
  if (!isPlain(event)) return undefined;
  for (const k of Object.keys(event)) if (!EVENT_KEYS.has(k)) return undefined;
  const { op, outcome } = event;
  if (!OPS.has(op) || !OUTCOMES.has(outcome)) return undefined;
  const objects: AuditObject[] = [];
  if (Object.hasOwn(event, "objects")) {
    const list = event.objects;
    if (!Array.isArray(list) || Object.getPrototypeOf(list) !== Array.prototype) return undefined;
    if (list.length > MAX_OBJECTS) return undefined;
    for (let i = 0; i < list.length; i++) {
      const o: unknown = list[i];
      if (!isPlain(o) || !objectRefOk(o)) return undefined;
      const field = OBJECT_FIELD[o.kind as string][0];
      objects.push({ kind: o.kind, [field]: o[field] } as AuditObject);
    }
  }
  let details: Record<string, number | boolean | string> = {};
  if (Object.hasOwn(event, "details")) {
    const d = event.details;
    if (!isPlain(d) || !detailsOk(d)) return undefined;
    details = { ...(d as Record<string, number | boolean | string>) };
  }
  return { op: op as AuditOp, outcome: outcome as AuditOutcome, objects, details };
}

// The verifier's fast check of a parsed record: the same rules as AuditRecordSchema, written out
// by hand because it runs on every line of logs with millions of records. A test keeps the two
// in agreement on valid records and on every single-field mutation of them.
const HEX64_RE = /^[0-9a-f]{64}$/;
const HEX32_RE = /^[0-9a-f]{32}$/;
const HEX16_RE = /^[0-9a-f]{16}$/;
const ALGS = new Set<unknown>(CHECKPOINT_ALGS);
const REASONS = new Set<unknown>(CHECKPOINT_REASONS);
const BASE_KEYS = ["v", "log", "seq", "ts", "actor", "prev", "hmac", "type"];
const KEYS_BY_TYPE: Record<string, Set<string>> = {
  open: new Set([...BASE_KEYS, "alg", "auditKey", "signer", "every"]),
  event: new Set([...BASE_KEYS, "op", "outcome", "objects", "details"]),
  checkpoint: new Set([...BASE_KEYS, "alg", "covers", "head", "key", "reason", "sig"]),
};
const OPS = new Set<unknown>(AUDIT_OPS);
const OUTCOMES = new Set<unknown>(AUDIT_OUTCOMES);
const OBJECT_FIELD: Record<string, [string, RegExp]> = {
  package: ["digest", DIGEST_RE],
  dataset: ["id", DATASET_ID_RE],
  instance: ["uid", UID_RE],
  patient: ["pseudonym", PSEUDONYM_RE],
  input: ["digest", DIGEST_RE],
  report: ["digest", DIGEST_RE],
  "retained-instance": ["digest", KEYED_DIGEST_RE],
};

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown, re: RegExp) => typeof v === "string" && re.test(v);
const uint = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

function hasExactly(rec: Record<string, unknown>, keys: Set<string>): boolean {
  let n = 0;
  for (const k in rec) {
    if (!keys.has(k)) return false;
    n++;
  }
  return n === keys.size;
}

function objectRefOk(o: unknown): boolean {
  if (!isObj(o)) return false;
  const spec = typeof o.kind === "string" ? OBJECT_FIELD[o.kind] : undefined;
  if (!spec || !Object.hasOwn(OBJECT_FIELD, o.kind as string)) return false;
  const keys = Object.keys(o);
  return keys.length === 2 && Object.hasOwn(o, spec[0]) && str(o[spec[0]], spec[1]);
}

function detailsOk(d: unknown): boolean {
  if (!isObj(d)) return false;
  let n = 0;
  for (const k in d) {
    if (!DETAIL_KEY_RE.test(k)) return false;
    const v = d[k];
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return false;
    } else if (typeof v !== "boolean" && !str(v, TOKEN_RE)) return false;
    n++;
  }
  return n <= MAX_DETAILS;
}

/** Whether a parsed line is a valid audit record (same answer as AuditRecordSchema, faster). */
export function isAuditRecord(rec: unknown): rec is AuditRecord {
  if (!isObj(rec)) return false;
  const keys = typeof rec.type === "string" ? KEYS_BY_TYPE[rec.type] : undefined;
  if (!keys || !Object.hasOwn(KEYS_BY_TYPE, rec.type as string) || !hasExactly(rec, keys))
    return false;
  if (
    rec.v !== 1 ||
    !str(rec.log, LOG_ID_RE) ||
    !uint(rec.seq) ||
    !str(rec.ts, TS_RE) ||
    !str(rec.actor, ACTOR_RE) ||
    !str(rec.prev, HEX64_RE) ||
    !str(rec.hmac, HEX64_RE)
  )
    return false;
  switch (rec.type) {
    case "open":
      return (
        ALGS.has(rec.alg) &&
        str(rec.auditKey, HEX16_RE) &&
        str(rec.signer, HEX32_RE) &&
        Number.isSafeInteger(rec.every) &&
        (rec.every as number) >= 1 &&
        (rec.every as number) <= 1_000_000
      );
    case "event":
      return (
        OPS.has(rec.op) &&
        OUTCOMES.has(rec.outcome) &&
        Array.isArray(rec.objects) &&
        rec.objects.length <= MAX_OBJECTS &&
        rec.objects.every(objectRefOk) &&
        detailsOk(rec.details)
      );
    default:
      return (
        ALGS.has(rec.alg) &&
        uint(rec.covers) &&
        str(rec.head, HEX64_RE) &&
        str(rec.key, HEX32_RE) &&
        REASONS.has(rec.reason) &&
        str(rec.sig, SIG_RE[rec.alg as CheckpointAlg])
      );
  }
}
