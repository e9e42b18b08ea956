/**
 * `imgsec encrypt`'s per-file work, on a de-identified file that is already on disk (imgsec deid's
 * output): inspect it, start its pixel digest (in the digest worker), build the encryption context,
 * write the package (temporary name, fsync, rename), and record the outcome. The CLI
 * (cli/packages.ts) keeps the arguments, the order and read-ahead of inputs, and the report.
 */
import { type BigIntStats, statSync } from "node:fs";
import type { AuditEvent, AuditObject } from "../audit/schema";
import { validateEvent } from "../audit/schema";
import { ContextError, buildContext } from "../crypto/context";
import { InputChangedError, type SuiteChoice, encryptToFile } from "../crypto/package";
import { pixelDigest } from "../crypto/pixel-digest";
import { PRODUCER } from "../crypto/version";
import type { KeyringNode } from "@aws-crypto/client-node";
import type { DeidentifiedFacts } from "../dicom";
import { errnoCode } from "../fs/errors";

// Loaded when first needed, not with this module: `imgsec encrypt` starts its first pixel digest
// (the critical path) before the audit log's modules load, and while the DICOM reader loads. The
// DICOM modules are those the handlers/dicom index re-exports, without the de-identifier itself.
let inspectModule: typeof import("../dicom/inspect") | undefined;
const dicomReader = async () => ({
  ...(inspectModule ??= await import("../dicom/inspect")),
  ...(await import("../dicom/source")),
});
const notDeidentified = (e: unknown): e is Error =>
  inspectModule !== undefined && e instanceof inspectModule.NotDeidentifiedError;

/** What encrypt learns of a file before encrypting it: its facts, and its pixel digest under way. */
export type Prepared =
  | { facts: DeidentifiedFacts; size: number; stat: BigIntStats; pixelDigest: Promise<string> }
  | { error: unknown };

/**
 * Inspects a de-identified file and starts its pixel digest; never rejects (a problem is kept in
 * `error`, reported when the file's turn comes).
 */
export async function prepareFile(
  file: string,
  modality: string | undefined,
  pseudonymizationKey: Buffer,
): Promise<Prepared> {
  try {
    // Taken before anything is read: the encryption pass refuses a file changed since (its pixel
    // digest would not be the one of the pixels encrypted).
    const stat = statSync(file, { bigint: true });
    const { fileSource, inspectDeidentified, NotDeidentifiedError } = await dicomReader();
    const src = await fileSource(file);
    let facts;
    const size = src.size;
    try {
      facts = await inspectDeidentified(src);
    } finally {
      await src.close();
    }
    const pixel = facts.pixel ? { start: facts.pixel.valueStart, end: facts.pixel.end } : null;
    const digest =
      modality !== undefined && modality !== facts.modality
        ? Promise.reject(
            new NotDeidentifiedError("--modality differs from the file's Modality (0008,0060)"),
          )
        : pixelDigest(file, pixel, pseudonymizationKey);
    // Awaited in turn by the caller; a failure is reported there, never as an unhandled rejection.
    digest.catch(() => undefined);
    return { facts, size, stat, pixelDigest: digest };
  } catch (e) {
    return { error: e };
  }
}

export interface EncryptFileContext {
  dataset: string;
  suite: SuiteChoice;
  frameLength: number;
  keyring: KeyringNode;
  audit(event: AuditEvent): Promise<unknown>;
}

export type EncryptFileOutcome =
  | { status: "encrypted"; uid: string; digest: string; size: number; bytesIn: number }
  | { status: "refused" | "failed"; reason: string };

// A stand-in for the package digest, known only once the package is written: same form.
const DIGEST_PLACEHOLDER = `sha256:${"0".repeat(64)}`;

/** Per-file wording of a file-system error: which side failed, and the errno code only. */
function ioReason(e: unknown, input: string): string | undefined {
  const code = errnoCode(e);
  if (code === undefined) return undefined;
  const side = (e as NodeJS.ErrnoException).path === input ? "read the input" : "write the output";
  return `cannot ${side} (${code})`;
}

/**
 * Encrypts one prepared file into the package `outFor(uid)` names, and records the outcome.
 * Refusals (not imgsec deid's output, a context value that must not be encrypted) and failures
 * (the input changed, an I/O error) are outcomes; anything else is thrown.
 */
export async function encryptPreparedFile(
  file: string,
  preparing: Promise<Prepared>,
  outFor: (uid: string) => string,
  ctx: EncryptFileContext,
): Promise<EncryptFileOutcome> {
  let objects: AuditObject[] = [];
  let outcome: EncryptFileOutcome;
  try {
    const prepared = await preparing;
    if ("error" in prepared) throw prepared.error;
    const { facts, size } = prepared;
    objects = [{ kind: "instance", uid: facts.sopInstanceUid }];
    const context = buildContext({
      datasetId: ctx.dataset,
      modality: facts.modality,
      policyHash: facts.policyHash,
      pixelDigest: await prepared.pixelDigest,
      producer: PRODUCER,
    });
    const event = (digest: string, bytes: number): AuditEvent => ({
      op: "encrypt",
      outcome: "ok",
      objects: [...objects, { kind: "package", digest }, { kind: "dataset", id: ctx.dataset }],
      details: { suite: ctx.suite, bytes },
    });
    // Validated now, before the package exists: no package may lack a record the log accepts.
    validateEvent(event(DIGEST_PLACEHOLDER, 0));
    const written = await encryptToFile(
      { path: file, unchangedSince: prepared.stat },
      outFor(facts.sopInstanceUid),
      { keyring: ctx.keyring, context, suite: ctx.suite, frameLength: ctx.frameLength },
    );
    await ctx.audit(event(written.digest, written.size));
    return {
      status: "encrypted",
      uid: facts.sopInstanceUid,
      digest: written.digest,
      size: written.size,
      bytesIn: size,
    };
  } catch (e) {
    if (notDeidentified(e) || e instanceof ContextError)
      outcome = { status: "refused", reason: e.message };
    else if (e instanceof InputChangedError) outcome = { status: "failed", reason: e.message };
    else {
      const reason = ioReason(e, file);
      if (reason === undefined) throw e;
      outcome = { status: "failed", reason };
    }
  }
  await ctx.audit({
    op: "encrypt",
    outcome: outcome.status === "refused" ? "refused" : "failed",
    objects,
    details: { reason: outcome.status },
  });
  return outcome;
}
