/**
 * The report's integrity. A report folder holds its outputs and `manifest.json`: every output with
 * its SHA-256, and every evidence input with its SHA-256 as read. With the audit-signing key the
 * manifest gets a detached Ed25519 signature (`manifest.sig`), and the manifest's digest is
 * recorded in the audit log. `imgsec report verify <dir>` checks the signature, the outputs, and
 * that the evidence still has the digests the report was made from.
 */
import { createHash, createPublicKey, KeyObject, sign, verify } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { CheckResult, Severity } from "../../handlers/results/result";
import { publicKeyFingerprint } from "../../handlers/audit/canonical";
import { replaceDirAtomically } from "../../handlers/fs/atomic";
import { configFiles, folderDigest, rel, sha256File } from "./evidence";
import { ReportDirError } from "./errors";
import type { ComplianceReport, EvidenceInput } from "./model";

export const MANIFEST = "manifest.json";
export const SIGNATURE = "manifest.sig";
const MANIFEST_SCHEMA = "imgsec-report-manifest/1";

export interface Manifest {
  schema: typeof MANIFEST_SCHEMA;
  generated: string;
  tool: ComplianceReport["tool"];
  pass: boolean;
  files: { name: string; sha256: string; bytes: number }[];
  inputs: EvidenceInput[];
  /** Who signed the manifest (the audit-signing key), when it is signed. */
  signer?: { alg: "ed25519"; fingerprint: string };
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/**
 * Writes the outputs and the manifest (signed when a key is given) into `dir`, all or nothing: a
 * folder built beside it, then swapped in. `dir` must be absent, empty, or an earlier report.
 * Returns the manifest's digest (what the audit log records).
 */
export function writeReportDir(
  dir: string,
  report: ComplianceReport,
  outputs: { name: string; data: string | Buffer }[],
  signingKey?: KeyObject,
): { digest: string; signed: boolean } {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new ReportDirError(`--out ${dir} is not a folder`);
    const there = readdirSync(dir);
    if (there.length > 0 && !there.includes(MANIFEST))
      throw new ReportDirError(
        `--out ${dir} holds other files and no earlier report (${MANIFEST}): choose an empty or new folder`,
      );
  }
  const manifest: Manifest = {
    schema: MANIFEST_SCHEMA,
    generated: report.generated,
    tool: report.tool,
    pass: report.summary.pass,
    files: outputs.map((o) => {
      const b = Buffer.isBuffer(o.data) ? o.data : Buffer.from(o.data, "utf8");
      return { name: o.name, sha256: sha256(b), bytes: b.length };
    }),
    inputs: report.inputs,
    ...(signingKey
      ? {
          signer: {
            alg: "ed25519" as const,
            fingerprint: publicKeyFingerprint(createPublicKey(signingKey)),
          },
        }
      : {}),
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2) + "\n", "utf8");
  replaceDirAtomically(dir, (tmp) => {
    for (const o of outputs) writeFileSync(join(tmp, o.name), o.data, { mode: 0o644 });
    writeFileSync(join(tmp, MANIFEST), bytes, { mode: 0o644 });
    if (signingKey)
      writeFileSync(join(tmp, SIGNATURE), sign(null, bytes, signingKey).toString("base64") + "\n", {
        mode: 0o644,
      });
  });
  return { digest: sha256(bytes), signed: signingKey !== undefined };
}

// --- verify ------------------------------------------------------------------------------------

const CONTROLS = ["164.312(c)(1)", "164.316(b)(1)"];
const rule = (
  id: string,
  title: string,
  severity: Severity,
  remediation: string,
): Omit<CheckResult, "status" | "resource" | "message"> => ({
  rule: id,
  title,
  severity,
  controls: CONTROLS,
  remediation,
});

export const REPORT_RULES = {
  signature: rule(
    "IMGSEC-REPORT-001",
    "The report's manifest carries a valid signature of the audit-signing key",
    "critical",
    "A manifest whose signature fails was changed after the report was made, or signed by another key: regenerate the report from the evidence and compare. Verify with the signer's public key (imgsec audit public-key).",
  ),
  outputs: rule(
    "IMGSEC-REPORT-002",
    "Every output of the report has the SHA-256 its manifest lists",
    "critical",
    "An output that differs from its manifest entry was edited after the report was made: trust only the regenerated report.",
  ),
  evidence: rule(
    "IMGSEC-REPORT-003",
    "Every evidence input still has the SHA-256 the report was made from",
    "high",
    "Evidence that changed since the report (a stack re-synthesized, packages replaced, an audit log rewritten) no longer supports it: keep the evidence unchanged with the report, or make a new report.",
  ),
};

export interface VerifyReportOptions {
  /** The signer's public key (PEM from `imgsec audit public-key`), or the key file's. */
  publicKey?: KeyObject;
  /** Resolves the evidence names the report lists (default: the current folder). */
  base?: string;
}

export interface VerifyReportResult {
  results: CheckResult[];
  manifest: Manifest;
}

/** Verifies a report folder; ReportDirError (exit 2) when it holds no readable manifest. */
export function verifyReportDir(dir: string, opts: VerifyReportOptions = {}): VerifyReportResult {
  let bytes: Buffer;
  let manifest: Manifest;
  try {
    bytes = readFileSync(join(dir, MANIFEST));
  } catch (e) {
    throw new ReportDirError(
      `no report at ${dir}: cannot read ${MANIFEST} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    manifest = JSON.parse(bytes.toString("utf8")) as Manifest;
  } catch {
    throw new ReportDirError(`${join(dir, MANIFEST)} is not JSON`);
  }
  if (
    manifest?.schema !== MANIFEST_SCHEMA ||
    !Array.isArray(manifest.files) ||
    !Array.isArray(manifest.inputs)
  )
    throw new ReportDirError(`${join(dir, MANIFEST)} is not an imgsec report manifest`);
  const results: CheckResult[] = [];
  const out = (
    r: (typeof REPORT_RULES)[keyof typeof REPORT_RULES],
    status: CheckResult["status"],
    resource: string,
    message: string,
  ) => results.push({ ...r, status, resource, message });

  // 1. the signature
  const sigPath = join(dir, SIGNATURE);
  if (!existsSync(sigPath)) {
    out(
      REPORT_RULES.signature,
      manifest.signer ? "FAIL" : "WARN",
      MANIFEST,
      manifest.signer
        ? `the manifest names a signer but ${SIGNATURE} is missing`
        : "the report is not signed (made without the audit-signing key)",
    );
  } else if (!opts.publicKey) {
    out(
      REPORT_RULES.signature,
      "WARN",
      MANIFEST,
      "signature not checked: no public key given (--pubkey or --keys)",
    );
  } else {
    const sig = Buffer.from(readFileSync(sigPath, "utf8").trim(), "base64");
    let ok = false;
    try {
      ok = verify(null, bytes, opts.publicKey, sig);
    } catch {
      ok = false;
    }
    const fp = publicKeyFingerprint(opts.publicKey);
    if (ok) out(REPORT_RULES.signature, "PASS", MANIFEST, `signed by ${fp}`);
    else
      out(
        REPORT_RULES.signature,
        "FAIL",
        MANIFEST,
        manifest.signer && manifest.signer.fingerprint !== fp
          ? `the signature does not verify with key ${fp}; the manifest names signer ${manifest.signer.fingerprint}`
          : `the signature does not verify with key ${fp}: the manifest was changed`,
      );
  }

  // 2. the outputs
  for (const f of manifest.files) {
    const p = join(dir, f.name);
    if (f.name.includes("/") || f.name.startsWith(".")) {
      out(
        REPORT_RULES.outputs,
        "FAIL",
        f.name,
        "the manifest names a file outside the report folder",
      );
      continue;
    }
    if (!existsSync(p)) {
      out(REPORT_RULES.outputs, "FAIL", f.name, "missing");
      continue;
    }
    const d = sha256File(p);
    if (d.sha256 === f.sha256) out(REPORT_RULES.outputs, "PASS", f.name, "unchanged");
    else
      out(
        REPORT_RULES.outputs,
        "FAIL",
        f.name,
        `changed: sha256 ${d.sha256}, the manifest lists ${f.sha256}`,
      );
  }

  // 3. the evidence
  const base = opts.base ?? process.cwd();
  for (const input of manifest.inputs) {
    const [status, message] = recheck(input, base);
    out(REPORT_RULES.evidence, status, `${input.id} (${input.name})`, message);
  }
  return { results, manifest };
}

function recheck(input: EvidenceInput, base: string): [CheckResult["status"], string] {
  if (input.name.startsWith("s3://"))
    return [
      "WARN",
      "not re-checked here: S3 Object Lock keeps the segments; run imgsec audit verify on it",
    ];
  const path = isAbsolute(input.name) ? input.name : resolve(base, input.name);
  if (!existsSync(path)) return ["FAIL", "missing"];
  try {
    if (!input.files) {
      if (statSync(path).isDirectory()) return ["FAIL", "was a file, is now a folder"];
      const d = sha256File(path, input.appendOnly ? input.bytes : undefined);
      if (input.appendOnly && d.bytes < input.bytes)
        return [
          "FAIL",
          `shorter than when the report was made (${d.bytes} of ${input.bytes} bytes): cut back`,
        ];
      return d.sha256 === input.sha256
        ? ["PASS", input.appendOnly ? `its first ${input.bytes} bytes are unchanged` : "unchanged"]
        : [
            "FAIL",
            input.appendOnly ? "its first bytes changed: rewritten, not appended to" : "changed",
          ];
    }
    if (input.kind === "packages") return recheckPackages(input, path);
    // The folder as the gate would read it now: a file added since counts as a change too.
    const listed = new Set(input.files.map((f) => f.name));
    const added = configFiles(path)
      .map((f) => rel(path, f))
      .filter((n) => !listed.has(n));
    if (added.length)
      return [
        "FAIL",
        `files added since: ${added.slice(0, 3).join(", ")}${added.length > 3 ? ` (+${added.length - 3})` : ""}`,
      ];
    const now = input.files.map((f) => ({ name: f.name, ...sha256File(join(path, f.name)) }));
    const changed = now.filter((f, i) => f.sha256 !== input.files?.[i].sha256).map((f) => f.name);
    if (changed.length)
      return [
        "FAIL",
        `changed: ${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ` (+${changed.length - 3})` : ""}`,
      ];
    return folderDigest(now) === input.sha256
      ? ["PASS", `all ${now.length} files unchanged`]
      : ["FAIL", "changed"];
  } catch (e) {
    return ["FAIL", `cannot read: ${(e as NodeJS.ErrnoException).code ?? "error"}`];
  }
}

/** Packages may be listed by position (their names may hold PHI): matched by digest instead. */
function recheckPackages(input: EvidenceInput, dir: string): [CheckResult["status"], string] {
  const want = new Map<string, number>();
  for (const f of input.files ?? []) want.set(f.sha256, (want.get(f.sha256) ?? 0) + 1);
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(join(d, e.name))
        : e.isFile() && e.name.endsWith(".imgsec")
          ? [join(d, e.name)]
          : [],
    );
  for (const file of walk(dir)) {
    const h = sha256File(file).sha256;
    const n = want.get(h);
    if (n !== undefined) {
      if (n <= 1) want.delete(h);
      else want.set(h, n - 1);
    }
    if (want.size === 0) break;
  }
  const missing = [...want.values()].reduce((a, b) => a + b, 0);
  return missing === 0
    ? ["PASS", `all ${input.files?.length ?? 0} verified packages are still there, unchanged`]
    : [
        "FAIL",
        `${missing} of the ${input.files?.length ?? 0} verified packages are gone or changed`,
      ];
}
