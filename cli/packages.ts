/**
 * `imgsec encrypt`, `imgsec decrypt` and `imgsec verify-package`: de-identified DICOM in, AWS
 * Encryption SDK packages out, and back; every object is recorded in the audit log by UID or
 * package digest only.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import {
  ContextError,
  DEFAULT_FRAME_LENGTH,
  Keyring,
  KeyringError,
  MODALITY_RE,
  PRODUCER,
  PackageFormatError,
  PackageRefusedError,
  SuiteChoice,
  buildContext,
  datasetIdProblem,
  decryptToFile,
  encryptToFile,
  inspectPackage,
  kmsKeyring,
  localKeyring,
  pixelDigest,
} from "../handlers/crypto";
import {
  NotDeidentifiedError,
  PROFILES,
  fileSource,
  inspectDeidentified,
  profilePolicyHash,
} from "../handlers/dicom";
import { keyFilePath, loadKey, zeroize } from "../handlers/keys/keyfile";
import { PackageGate, parsePackageParams } from "../policies/engine/package-gate";
import { CheckResult, summarize } from "../policies/engine/result";
import { AuditFlags, Trail, openTrail } from "./audit-trail";
import { UsageError } from "./errors";
import { listInputs } from "./deid-files";

export const PACKAGE_EXT = ".imgsec";

async function fileDigest(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) h.update(chunk);
  return `sha256:${h.digest("hex")}`;
}

export interface KeyFlags extends AuditFlags {
  kmsKey?: string[];
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
export function acceptedPolicies(values: string[] | undefined): string[] {
  if (!values || values.length === 0) return [profilePolicyHash("strict")];
  return values.map((v) => {
    if (/^[0-9a-f]{64}$/.test(v)) return v;
    if (PROFILES[v]) return profilePolicyHash(v);
    throw new UsageError(
      `--accept-policy takes a policy hash (64 hex) or a profile name (${Object.keys(PROFILES).join(", ")})`,
    );
  });
}

/** Positional name unless the file carries our own UID-based name (never a user's file name). */
function safeName(file: string, index: number): string {
  const b = basename(file);
  return /^2\.25\.[0-9]{1,39}(\.dcm)?(\.imgsec)?$/.test(b) ? b : `#${index + 1}`;
}

function outputTarget(input: string, output: string): { dir: boolean } {
  const inDir = statSync(input).isDirectory();
  if (inDir && existsSync(output) && !statSync(output).isDirectory())
    throw new UsageError(`output ${output} is not a directory`);
  if (resolve(input) === resolve(output))
    throw new UsageError("the output must differ from the input");
  const dir = inDir || (existsSync(output) && statSync(output).isDirectory());
  if (dir) mkdirSync(output, { recursive: true });
  return { dir };
}

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
  if (!existsSync(input)) throw new UsageError(`no such file or directory: ${input}`);
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
  // Keys and the audit log first: a key problem must not leave an empty output folder behind.
  const pseudo = loadKey(keyFilePath(opts.keys), "pseudonymization");
  let keyring: Keyring;
  let trail: Trail;
  try {
    keyring = keyringFor(opts, "encrypt");
    trail = await openTrail(opts, true);
  } catch (e) {
    zeroize(pseudo.key);
    throw e;
  }
  const { dir } = outputTarget(input, output);
  const files = listInputs(input, output);
  const started = process.hrtime.bigint();
  const reports: FileReport[] = [];
  let bytes = 0;
  try {
    for (let i = 0; i < files.length; i++) {
      const name = safeName(files[i], i);
      let report: FileReport;
      let objects: { kind: "instance"; uid: string }[] = [];
      try {
        const src = await fileSource(files[i]);
        let facts;
        try {
          facts = await inspectDeidentified(src);
        } finally {
          await src.close();
        }
        objects = [{ kind: "instance", uid: facts.sopInstanceUid }];
        if (opts.modality !== undefined && opts.modality !== facts.modality)
          throw new NotDeidentifiedError("--modality differs from the file's Modality (0008,0060)");
        const pixel = facts.pixel ? { start: facts.pixel.valueStart, end: facts.pixel.end } : null;
        const context = buildContext({
          datasetId: opts.dataset,
          modality: facts.modality,
          policyHash: facts.policyHash,
          pixelDigest: await pixelDigest(files[i], pixel, pseudo.key),
          producer: PRODUCER,
        });
        const outName = `${facts.sopInstanceUid}${PACKAGE_EXT}`;
        const out = dir ? join(output, outName) : output;
        const written = await encryptToFile(
          createReadStream(files[i], { highWaterMark: 1 << 20 }),
          out,
          {
            keyring: keyring.keyring,
            context,
            suite,
            frameLength,
          },
        );
        bytes += statSync(files[i]).size;
        report = {
          input: name,
          status: "encrypted",
          output: dir ? outName : out,
          package: written.digest,
        };
        await trail.append({
          op: "encrypt",
          outcome: "ok",
          objects: [
            ...objects,
            { kind: "package", digest: written.digest },
            { kind: "dataset", id: opts.dataset },
          ],
          details: { suite, bytes: written.size },
        });
      } catch (e) {
        if (!(e instanceof NotDeidentifiedError || e instanceof ContextError)) {
          if (
            e instanceof Error &&
            /ENOENT|EACCES|EISDIR/.test((e as NodeJS.ErrnoException).code ?? "")
          ) {
            report = {
              input: name,
              status: "failed",
              reason: `cannot read or write (${(e as NodeJS.ErrnoException).code})`,
            };
          } else throw e;
        } else report = { input: name, status: "refused", reason: e.message };
        await trail.append({
          op: "encrypt",
          outcome: report.status === "refused" ? "refused" : "failed",
          objects,
          details: { reason: report.status },
        });
      }
      reports.push(report);
    }
  } finally {
    keyring.release();
    zeroize(pseudo.key);
    await trail.close();
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
  if (!existsSync(input)) throw new UsageError(`no such file or directory: ${input}`);
  if (opts.dataset !== undefined && datasetIdProblem(opts.dataset))
    throw new UsageError(`--dataset: ${datasetIdProblem(opts.dataset)}`);
  const policyHashes = acceptedPolicies(opts.acceptPolicy);
  const keyring = keyringFor(opts, "decrypt");
  const trail = await openTrail(opts, true);
  const { dir } = outputTarget(input, output);
  const files = listInputs(input, output).filter(
    (f) => !dir || !statSync(input).isDirectory() || f.endsWith(PACKAGE_EXT),
  );
  const reports: FileReport[] = [];
  try {
    for (let i = 0; i < files.length; i++) {
      const name = safeName(files[i], i);
      const outName =
        basename(files[i]).endsWith(PACKAGE_EXT) && name !== `#${i + 1}`
          ? basename(files[i])
              .slice(0, -PACKAGE_EXT.length)
              .replace(/(\.dcm)?$/, ".dcm")
          : `${i + 1}.dcm`;
      const out = dir ? join(output, outName) : output;
      try {
        const r = await decryptToFile(files[i], out, {
          keyring: keyring.keyring,
          expect: { datasetId: opts.dataset, policyHashes },
        });
        reports.push({
          input: name,
          status: "decrypted",
          output: dir ? outName : out,
          package: r.digest,
        });
        await trail.append({
          op: "decrypt",
          outcome: "ok",
          objects: [
            { kind: "package", digest: r.digest },
            { kind: "dataset", id: r.context["imgsec:dataset"] },
          ],
        });
      } catch (e) {
        if (!(e instanceof PackageRefusedError)) throw e;
        reports.push({ input: name, status: "refused", reason: e.message });
        // The refused package is named by its digest, so the record says what was tried.
        await trail.append({
          op: "decrypt",
          outcome: "refused",
          objects: [{ kind: "package", digest: await fileDigest(files[i]) }],
        });
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
    accepted_policy_hashes: acceptedPolicies(opts.acceptPolicy),
    ...(opts.kmsKeyArn && opts.kmsKeyArn.length > 0
      ? { allowed_kms_key_arns: opts.kmsKeyArn }
      : {}),
  };
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
    const all = listInputs(p, join(p, "\0none"));
    files.push(...(statSync(p).isDirectory() ? all.filter((f) => f.endsWith(PACKAGE_EXT)) : all));
  }
  if (files.length === 0) throw new UsageError(`no ${PACKAGE_EXT} packages found`);
  const gate = await PackageGate.load();
  const trail = await openTrail(opts, false);
  const packages: VerifiedPackage[] = [];
  try {
    for (let i = 0; i < files.length; i++) {
      const name = safeName(files[i], i);
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
        if (!(e instanceof PackageFormatError)) throw e;
        packages.push({ name, verdict: "UNUSABLE", reason: e.message, results: [] });
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
