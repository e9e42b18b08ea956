/**
 * `imgsec encrypt`, `imgsec decrypt` and `imgsec verify-package`: de-identified DICOM in, AWS
 * Encryption SDK packages out, and back; every object is recorded in the audit log by UID or
 * package digest only.
 */
import { createHash } from "node:crypto";
import { createReadStream, lstatSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import {
  CTX,
  DEFAULT_FRAME_LENGTH,
  ExpectationError,
  Keyring,
  KeyringError,
  MODALITY_RE,
  PackageFormatError,
  PackageRefusedError,
  SuiteChoice,
  datasetIdProblem,
  decryptToFile,
  digestWorker,
  inspectPackage,
  kmsKeyring,
  localKeyring,
  prepareEncryption,
  stopDigestWorker,
} from "../handlers/crypto";
import { keyFilePath, loadKey, zeroize } from "../handlers/keys/keyfile";
import { CheckResult, summarize } from "../handlers/results/result";
import { AuditEvent, validateEvent } from "../handlers/audit/schema";
import type { AuditFlags, Trail } from "./audit-trail";
import { UsageError, errnoCode, fsError } from "./errors";
import { type Prepared, encryptPreparedFile, prepareFile } from "../handlers/job/encrypt-file";
import { displayPath, listInputs, realPathOf } from "./paths";

// Loaded when first needed, not with this module: `imgsec encrypt` starts its first pixel digest
// (the critical path, handlers/job/encrypt-file.ts) before the audit log's modules load.
const dicomPolicy = async () => ({
  ...(await import("../handlers/dicom/options")),
  ...(await import("../handlers/dicom/policy")),
});
const openTrail = async (...args: Parameters<typeof import("./audit-trail").openTrail>) =>
  (await import("./audit-trail")).openTrail(...args);
export const PACKAGE_EXT = ".imgsec";

async function fileDigest(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) h.update(chunk);
  return `sha256:${h.digest("hex")}`;
}

export interface KeyFlags extends AuditFlags {
  kmsKey?: string[];
  /** Name inputs by path in reports and errors (paths may hold PHI; default: by position). */
  showPaths?: boolean;
}

function keyringFor(flags: KeyFlags, purpose: "encrypt" | "decrypt"): Keyring {
  try {
    return flags.kmsKey && flags.kmsKey.length > 0
      ? kmsKeyring(flags.kmsKey, purpose)
      : localKeyring(keyFilePath(flags.keys));
  } catch (e) {
    if (e instanceof KeyringError) throw new UsageError(e.message);
    throw e;
  }
}

/** Accepted policy hashes: --accept-policy values (64-hex hashes or profile names); default strict. */
export async function acceptedPolicies(values: string[] | undefined): Promise<string[]> {
  const { PROFILES, profilePolicyHash } = await dicomPolicy();
  if (!values || values.length === 0) return [profilePolicyHash("strict")];
  return values.map((v) => {
    if (/^[0-9a-fA-F]{64}$/.test(v)) return v.toLowerCase();
    // Own names only: "constructor" or "__proto__" are not profiles.
    if (Object.hasOwn(PROFILES, v)) return profilePolicyHash(v);
    throw new UsageError(
      `--accept-policy takes a policy hash (64 hex) or a profile name (${Object.keys(PROFILES).join(", ")})`,
    );
  });
}

/**
 * Positional name unless the file carries our own UID-based name (never a user's file name), or
 * its path when the user asked for paths.
 */
function safeName(file: string, index: number, root?: string): string {
  if (root !== undefined) return displayPath(root, file);
  const b = basename(file);
  return /^2\.25\.[0-9]{1,39}(\.dcm)?(\.imgsec)?$/.test(b) ? b : `#${index + 1}`;
}

/** Checks that the input can be read; errors name no path unless --show-paths. */
function checkInput(input: string, showPaths: boolean | undefined, position?: number): void {
  try {
    lstatSync(input);
  } catch (e) {
    throw fsError(e, `cannot read input${position !== undefined ? ` #${position}` : ""}`, {
      path: input,
      showPaths,
    });
  }
}

interface OutputTarget {
  dir: boolean;
}

/** Where outputs go (a folder, or one file), checked without writing anything. */
function checkOutput(input: string, output: string, showPaths?: boolean): OutputTarget {
  let inDir: boolean;
  let outStat;
  try {
    inDir = statSync(input).isDirectory();
  } catch (e) {
    throw fsError(e, "cannot read input", { path: input, showPaths });
  }
  try {
    outStat = statSync(output);
  } catch (e) {
    if (errnoCode(e) !== "ENOENT")
      throw fsError(e, "cannot use the output", { path: output, showPaths });
  }
  if (inDir && outStat && !outStat.isDirectory())
    throw new UsageError(`the output is not a directory${showPaths ? ` (${output})` : ""}`);
  if (realPathOf(input) === realPathOf(output))
    throw new UsageError("the output must differ from the input");
  return { dir: inDir || (outStat?.isDirectory() ?? false) };
}

function createOutput(output: string, target: OutputTarget, showPaths?: boolean): OutputTarget {
  if (target.dir) {
    try {
      mkdirSync(output, { recursive: true });
    } catch (e) {
      throw fsError(e, "cannot create the output folder", { path: output, showPaths });
    }
  }
  return target;
}

/** Per-file wording of a file-system error: which side failed, and the errno code only. */
function ioReason(e: unknown, input: string): string | undefined {
  const code = errnoCode(e);
  if (code === undefined) return undefined;
  const side = (e as NodeJS.ErrnoException).path === input ? "read the input" : "write the output";
  return `cannot ${side} (${code})`;
}

/** Validated now, before an output exists: an output must never lack a record the log accepts. */
function checkedEvent(event: AuditEvent): AuditEvent {
  validateEvent(event);
  return event;
}

// A stand-in for the package digest, known only once the package is written: same form.
const DIGEST_PLACEHOLDER = `sha256:${"0".repeat(64)}`;

// ---------------------------------------------------------------------------------------------
export interface EncryptCliOptions extends KeyFlags {
  dataset: string;
  modality?: string;
  suite?: string;
  frameLength?: string;
}

export interface FileReport {
  input: string;
  status: "encrypted" | "decrypted" | "refused" | "failed";
  output?: string;
  package?: string;
  reason?: string;
}

export interface PackagesReport {
  summary: Record<string, number | string | string[]>;
  files: FileReport[];
  audit: string;
}

export async function runEncrypt(
  input: string,
  output: string,
  opts: EncryptCliOptions,
): Promise<PackagesReport> {
  checkInput(input, opts.showPaths);
  const problem = datasetIdProblem(opts.dataset);
  if (problem) throw new UsageError(`--dataset: ${problem}`);
  if (opts.modality !== undefined && !MODALITY_RE.test(opts.modality))
    throw new UsageError("--modality must be a DICOM modality code (A-Z, 0-9, at most 16)");
  const suite = (opts.suite ?? "signed") as SuiteChoice;
  if (suite !== "signed" && suite !== "unsigned")
    throw new UsageError("--suite must be signed (default) or unsigned");
  const frameLength =
    opts.frameLength === undefined ? DEFAULT_FRAME_LENGTH : Number(opts.frameLength);
  if (!Number.isInteger(frameLength) || frameLength < 4096 || frameLength > 16 << 20)
    throw new UsageError("--frame-length must be a whole number of bytes from 4096 to 16777216");
  const target = checkOutput(input, output, opts.showPaths);
  const files = listInputs(input, output, { showPaths: opts.showPaths });
  // Keys and the audit log first: a key problem must not leave an empty output folder behind.
  const pseudo = loadKey(keyFilePath(opts.keys), "pseudonymization");
  // The digest worker starts now (it boots while the DICOM reader loads), and the first file is
  // inspected and its pixel digest begun (in the worker) before the keyring, the ESDK and the audit
  // log are set up, so the two overlap; each next file is inspected and digested while the one
  // before it is encrypted.
  if (files.length > 0) digestWorker();
  const prepare = (file: string): Promise<Prepared> => prepareFile(file, opts.modality, pseudo.key);
  const ahead = new Map<number, Promise<Prepared>>();
  let keyring: Keyring;
  let trail: Trail;
  try {
    if (files.length > 0) {
      const first = prepare(files[0]);
      ahead.set(0, first);
      // Only its header is read here (a few KiB); the worker then hashes while the ESDK loads.
      await first;
    }
    keyring = keyringFor(opts, "encrypt");
    prepareEncryption(suite === "signed");
    trail = await openTrail(opts, true);
  } catch (e) {
    // The read under way must end before its key goes.
    await Promise.all(ahead.values());
    zeroize(pseudo.key);
    await stopDigestWorker();
    throw e;
  }
  const started = process.hrtime.bigint();
  const reports: FileReport[] = [];
  let bytes = 0;
  const root = opts.showPaths ? input : undefined;
  try {
    const { dir } = createOutput(output, target, opts.showPaths);
    for (let i = 0; i < files.length; i++) {
      const name = safeName(files[i], i, root);
      const preparing = ahead.get(i) ?? prepare(files[i]);
      ahead.delete(i);
      await preparing; // never rejects: a problem is the file's outcome
      // The next file is inspected and digested while this one is encrypted.
      if (i + 1 < files.length) ahead.set(i + 1, prepare(files[i + 1]));
      const outcome = await encryptPreparedFile(
        files[i],
        preparing,
        (uid) => (dir ? join(output, `${uid}${PACKAGE_EXT}`) : output),
        {
          dataset: opts.dataset,
          suite,
          frameLength,
          keyring: keyring.keyring,
          audit: (e) => trail.append(e),
        },
      );
      if (outcome.status === "encrypted") {
        bytes += outcome.bytesIn;
        const outName = `${outcome.uid}${PACKAGE_EXT}`;
        reports.push({
          input: name,
          status: "encrypted",
          output: dir ? outName : output,
          package: outcome.digest,
        });
      } else reports.push({ input: name, status: outcome.status, reason: outcome.reason });
    }
  } finally {
    // A read ahead still under way ends before the key it uses is zeroed.
    await Promise.all(ahead.values());
    keyring.release();
    zeroize(pseudo.key);
    await trail.close();
    await stopDigestWorker();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    summary: {
      inputs: files.length,
      encrypted: reports.filter((r) => r.status === "encrypted").length,
      refused: reports.filter((r) => r.status === "refused").length,
      failed: reports.filter((r) => r.status === "failed").length,
      megabytes: Math.round(bytes / 1e4) / 100,
      seconds: Math.round(seconds * 1000) / 1000,
      suite,
      keyring: keyring.describe,
    },
    files: reports,
    audit: trail.note,
  };
}

// ---------------------------------------------------------------------------------------------
export interface DecryptCliOptions extends KeyFlags {
  dataset?: string;
  acceptPolicy?: string[];
}

export async function runDecrypt(
  input: string,
  output: string,
  opts: DecryptCliOptions,
): Promise<PackagesReport> {
  checkInput(input, opts.showPaths);
  // What the user asks to accept is checked for form first; the messages echo no value.
  if (opts.dataset !== undefined && datasetIdProblem(opts.dataset))
    throw new UsageError(`--dataset: ${datasetIdProblem(opts.dataset)}`);
  const policyHashes = await acceptedPolicies(opts.acceptPolicy);
  const target = checkOutput(input, output, opts.showPaths);
  const inDir = statSync(input).isDirectory();
  const files = listInputs(input, output, { showPaths: opts.showPaths }).filter(
    (f) => !target.dir || !inDir || f.endsWith(PACKAGE_EXT),
  );
  const keyring = keyringFor(opts, "decrypt");
  let trail: Trail;
  try {
    trail = await openTrail(opts, true);
  } catch (e) {
    keyring.release();
    throw e;
  }
  const reports: FileReport[] = [];
  const root = opts.showPaths ? input : undefined;
  try {
    const { dir } = createOutput(output, target, opts.showPaths);
    for (let i = 0; i < files.length; i++) {
      const name = safeName(files[i], i, root);
      const own = safeName(files[i], i) !== `#${i + 1}`;
      const outName =
        basename(files[i]).endsWith(PACKAGE_EXT) && own
          ? basename(files[i])
              .slice(0, -PACKAGE_EXT.length)
              .replace(/(\.dcm)?$/, ".dcm")
          : `${i + 1}.dcm`;
      const out = dir ? join(output, outName) : output;
      const event = (digest: string, context: Record<string, string>): AuditEvent => ({
        op: "decrypt",
        outcome: "ok",
        objects: [
          { kind: "package", digest },
          { kind: "dataset", id: context[CTX.dataset] },
        ],
      });
      try {
        const r = await decryptToFile(files[i], out, {
          keyring: keyring.keyring,
          expect: { datasetId: opts.dataset, policyHashes },
          // The record is checked before the plaintext gets its name.
          beforeCommit: (context) => void checkedEvent(event(DIGEST_PLACEHOLDER, context)),
        });
        reports.push({
          input: name,
          status: "decrypted",
          output: dir ? outName : out,
          package: r.digest,
        });
        await trail.append(event(r.digest, r.context));
      } catch (e) {
        if (e instanceof PackageRefusedError) {
          reports.push({ input: name, status: "refused", reason: e.message });
          // The refused package is named by its digest, so the record says what was tried.
          await trail.append({
            op: "decrypt",
            outcome: "refused",
            objects: [{ kind: "package", digest: await fileDigest(files[i]) }],
          });
          continue;
        }
        if (e instanceof ExpectationError) throw new UsageError(e.message);
        const reason = ioReason(e, files[i]);
        if (reason === undefined) throw e;
        reports.push({ input: name, status: "failed", reason });
        await trail.append({ op: "decrypt", outcome: "failed", objects: [] });
      }
    }
  } finally {
    keyring.release();
    await trail.close();
  }
  return {
    summary: {
      inputs: files.length,
      decrypted: reports.filter((r) => r.status === "decrypted").length,
      refused: reports.filter((r) => r.status === "refused").length,
      failed: reports.filter((r) => r.status === "failed").length,
      keyring: keyring.describe,
    },
    files: reports,
    audit: trail.note,
  };
}

export function formatPackagesText(r: PackagesReport, verb: string): string {
  const s = r.summary;
  const lines = [
    `${verb}: ${Object.entries(s)
      .filter(([, v]) => typeof v === "number")
      .map(([k, v]) => `${v} ${k}`)
      .join(", ")}${s.keyring ? ` (${s.keyring}${s.suite ? `, ${s.suite} suite` : ""})` : ""}`,
  ];
  for (const f of r.files) {
    if (f.status === "refused" || f.status === "failed")
      lines.push(`  input ${f.input}: ${f.status}: ${f.reason}`);
  }
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
export interface VerifyPackageCliOptions extends AuditFlags {
  acceptPolicy?: string[];
  showPaths?: boolean;
  kmsKeyArn?: string[];
  params?: string;
  format: string;
}

export interface VerifiedPackage {
  name: string;
  digest?: string;
  verdict: "PASS" | "FAIL" | "UNUSABLE";
  reason?: string;
  results: CheckResult[];
}

export interface VerifyPackagesReport {
  packages: VerifiedPackage[];
  summary: { packages: number; passed: number; failed: number; unusable: number };
  audit: string;
}

export async function runVerifyPackage(
  paths: string[],
  opts: VerifyPackageCliOptions,
): Promise<VerifyPackagesReport> {
  // The package rules (opa-wasm and the compiled policy) load only for verify-package.
  const { PackageGate, parsePackageParams } = await import("../policies/engine/package-gate");
  let overrides = {};
  if (opts.params) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(opts.params, "utf8"));
    } catch (e) {
      throw new UsageError(
        `--params ${opts.params}: ${(e as NodeJS.ErrnoException).code ?? "not valid JSON"}`,
      );
    }
    overrides = parsePackageParams(raw, opts.params);
  }
  const params = {
    ...overrides,
    accepted_policy_hashes: await acceptedPolicies(opts.acceptPolicy),
    ...(opts.kmsKeyArn && opts.kmsKeyArn.length > 0
      ? { allowed_kms_key_arns: opts.kmsKeyArn }
      : {}),
  };
  const files: string[] = [];
  const shown: string[] = []; // each file as the user would name it (--show-paths only)
  paths.forEach((p, k) => {
    const position = paths.length > 1 ? k + 1 : undefined;
    checkInput(p, opts.showPaths, position);
    const all = listInputs(p, join(p, "\0none"), { showPaths: opts.showPaths, position });
    const mine = statSync(p).isDirectory() ? all.filter((f) => f.endsWith(PACKAGE_EXT)) : all;
    files.push(...mine);
    shown.push(...mine.map((f) => join(p, relative(resolve(p), f))));
  });
  if (files.length === 0) throw new UsageError(`no ${PACKAGE_EXT} packages found`);
  const gate = await PackageGate.load();
  const trail = await openTrail(opts, false);
  const packages: VerifiedPackage[] = [];
  try {
    for (let i = 0; i < files.length; i++) {
      const name = opts.showPaths ? shown[i] : safeName(files[i], i);
      try {
        const { document } = await inspectPackage(files[i], name);
        const results = gate.evaluate(document, params);
        const failed = summarize(results).failed > 0;
        packages.push({
          name,
          digest: document.digest,
          verdict: failed ? "FAIL" : "PASS",
          results,
        });
        await trail.append({
          op: "verify-package",
          outcome: failed ? "failed" : "ok",
          objects: [{ kind: "package", digest: document.digest }],
          details: { failedRules: summarize(results).failed },
        });
      } catch (e) {
        const code = errnoCode(e);
        if (!(e instanceof PackageFormatError) && code === undefined) throw e;
        const reason = code !== undefined ? `cannot read the file (${code})` : (e as Error).message;
        packages.push({ name, verdict: "UNUSABLE", reason, results: [] });
        await trail.append({ op: "verify-package", outcome: "error", objects: [] });
      }
    }
  } finally {
    await trail.close();
  }
  const count = (v: VerifiedPackage["verdict"]) => packages.filter((p) => p.verdict === v).length;
  return {
    packages,
    summary: {
      packages: packages.length,
      passed: count("PASS"),
      failed: count("FAIL"),
      unusable: count("UNUSABLE"),
    },
    audit: trail.note,
  };
}

export function formatVerifyText(r: VerifyPackagesReport): string {
  const lines: string[] = [];
  for (const p of r.packages) {
    if (p.verdict === "UNUSABLE") {
      lines.push(`UNUSABLE ${p.name}: ${p.reason}`);
      continue;
    }
    const s = summarize(p.results);
    lines.push(`${p.verdict} ${p.name} ${p.digest} (${s.passed} passed, ${s.failed} failed)`);
    for (const res of p.results.filter((x) => x.status === "FAIL"))
      lines.push(`  FAIL ${res.rule} [${res.severity}] ${res.title}: ${res.message}`);
  }
  const s = r.summary;
  lines.push(
    `verify-package: ${s.packages} package(s): ${s.passed} passed, ${s.failed} failed, ${s.unusable} unusable`,
  );
  return lines.join("\n") + "\n";
}
