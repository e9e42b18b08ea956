/**
 * The package gate: the package rules (policies/package/rules, compiled to
 * policies/dist/package.wasm) evaluated in-process on one imgsec package at a time. The caller
 * (`imgsec verify-package`) parses the AWS Encryption SDK message header, walks the body frames and
 * checks the signature without decrypting, and hands over a `PackageDocument`; results have the
 * one imgsec result shape, completed from policies/dist/package-catalog.json.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { RuleMeta } from "./catalog";
import { LoadedPolicy, completeResults, distDir, evaluateEntrypoint, readBundle } from "./engine";
import { UnusableInputError } from "./normalize";
import { projectRoot } from "./paths";
import { CheckResult } from "../../handlers/results/result";

export const PACKAGE_ENTRYPOINT = "imgsec/package/main/results";

/** The normalized package the rules read (input.package): header, body walk and signature check. */
export interface PackageDocument {
  /** What results name as their resource: "package 1" or a file name (never PHI). */
  name: string;
  /** "sha256:<64 hex>" of the whole package file. */
  digest: string;
  /** Size of the package file in bytes. */
  size: number;
  format: {
    /** Message format version: 2 for committing suites, 1 for the legacy ones. */
    version: number;
    content_type: "framed" | "non-framed";
    /** Frame length in bytes (0 for non-framed content). */
    frame_length: number;
  };
  suite: {
    /** Algorithm suite id, e.g. 0x0578 = 1400. */
    id: number;
    /** ESDK name, e.g. ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 ("" when unknown). */
    name: string;
    committing: boolean;
    signed: boolean;
    /** Whether the id is a suite the AWS Encryption SDK defines. */
    known: boolean;
  };
  /** The encryption context as stored (plaintext) in the header. */
  encryption_context: Record<string, string>;
  encrypted_data_keys: { provider_id: string; provider_info: string }[];
  body: {
    /** The final frame (or the non-framed body) was read to its end. */
    complete: boolean;
    frames: number;
    /** Bytes after the end of the message (after the signature, when signed). */
    trailing_bytes: number;
    /** null, or a short machine code: "truncated", "trailing-bytes", "bad-frame-sequence", ... */
    problem: string | null;
  };
  signature: { present: boolean; checked: boolean; valid: boolean };
}

/** The package rules' parameters (input.params): policies/package/params.json, then overrides. */
export interface PackageParams {
  /** Context keys every package must carry (IMGSEC-PKG-004). */
  required_context_keys: string[];
  /** The only context keys a package may carry (IMGSEC-PKG-005). */
  allowed_context_keys: string[];
  /** Anchored RE2 pattern per required context key; a required key without one fails. */
  context_value_patterns: Record<string, string>;
  /** Encrypted data key provider ids allowed (IMGSEC-PKG-006). */
  allowed_key_providers: string[];
  /** When not empty, every aws-kms data key's ARN must be listed (IMGSEC-PKG-007). */
  allowed_kms_key_arns: string[];
  /**
   * imgsec:policy-hash values accepted (IMGSEC-PKG-008). Empty in params.json: the caller fills in
   * the strict profile's hash; an empty list at evaluation time accepts nothing (fails closed).
   */
  accepted_policy_hashes: string[];
  /** Unsigned suites fail IMGSEC-PKG-003 unless this is false. */
  require_signed_suite: boolean;
  /** Frame length bounds in bytes (IMGSEC-PKG-009). */
  min_frame_length: number;
  max_frame_length: number;
}

type ParamKind = "strings" | "boolean" | "length" | "patterns";

const PARAM_KINDS: Record<keyof PackageParams, ParamKind> = {
  required_context_keys: "strings",
  allowed_context_keys: "strings",
  context_value_patterns: "patterns",
  allowed_key_providers: "strings",
  allowed_kms_key_arns: "strings",
  accepted_policy_hashes: "strings",
  require_signed_suite: "boolean",
  min_frame_length: "length",
  max_frame_length: "length",
};

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Checks parameter overrides (e.g. a `--params` file's JSON) against the package params' names
 * and types. Throws UnusableInputError naming `where` and the parameter; never echoes values.
 */
export function parsePackageParams(value: unknown, where: string): Partial<PackageParams> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UnusableInputError(`${where} must be a JSON object`);
  for (const [k, v] of Object.entries(value)) {
    const kind = Object.hasOwn(PARAM_KINDS, k) ? PARAM_KINDS[k as keyof PackageParams] : undefined;
    if (!kind) throw new UnusableInputError(`${where}: unknown parameter ${k}`);
    const bad = (what: string) => new UnusableInputError(`${where}: ${k} must be ${what}`);
    switch (kind) {
      case "strings":
        if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
          throw bad("a list of strings");
        break;
      case "boolean":
        if (typeof v !== "boolean") throw bad("true or false");
        break;
      case "length":
        if (!Number.isSafeInteger(v) || (v as number) < 1) throw bad("a positive whole number");
        break;
      case "patterns":
        if (typeof v !== "object" || v === null || Array.isArray(v))
          throw bad("an object mapping context keys to patterns");
        for (const [key, p] of Object.entries(v)) {
          if (typeof p !== "string" || !p.startsWith("^") || !p.endsWith("$"))
            throw new UnusableInputError(
              `${where}: the pattern for ${key} in ${k} must be a string anchored with ^ and $`,
            );
          try {
            new RegExp(p);
          } catch {
            throw new UnusableInputError(
              `${where}: the pattern for ${key} in ${k} is not a valid regular expression`,
            );
          }
        }
        break;
    }
  }
  return value as Partial<PackageParams>;
}

function loadDefaultParams(): PackageParams {
  const file = join(projectRoot(), "policies", "package", "params.json");
  const params = parsePackageParams(JSON.parse(readFileSync(file, "utf8")), file);
  const missing = Object.keys(PARAM_KINDS).filter((k) => !(k in params));
  if (missing.length) throw new Error(`${file} lacks ${missing.join(", ")}`);
  return deepFreeze(params as PackageParams);
}

/** The shipped defaults (policies/package/params.json), frozen. */
export const DEFAULT_PACKAGE_PARAMS: Readonly<PackageParams> = loadDefaultParams();

/** The defaults overridden by `params`; an override that is `undefined` keeps the default. */
export function resolvePackageParams(params: Partial<PackageParams> = {}): PackageParams {
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_PACKAGE_PARAMS, ...given } as PackageParams;
}

export class PackageGate {
  private readonly byPackage: Map<string, RuleMeta>;

  private constructor(
    private readonly policy: LoadedPolicy,
    readonly catalog: RuleMeta[],
  ) {
    this.byPackage = new Map(catalog.map((r) => [r.package, r]));
  }

  /** Loads policies/dist/package.wasm and package-catalog.json (or those under `dist`). */
  static async load(dist = distDir()): Promise<PackageGate> {
    const { wasm, catalog } = readBundle(dist, "package.wasm", "package-catalog.json");
    return new PackageGate(await loadPolicy(wasm), catalog);
  }

  /**
   * Every applicable rule's verdict on one package: PASS or FAIL (WARN for warning-level rules).
   * Rules that do not apply (the signature rule on an unsigned suite, the KMS rule without aws-kms
   * keys) give no result. Results carry no `stack`; `resource` is `pkg.name`.
   */
  evaluate(pkg: PackageDocument, params: Partial<PackageParams> = {}): CheckResult[] {
    const input = { package: pkg, params: resolvePackageParams(params) };
    return completeResults(
      evaluateEntrypoint(this.policy, input, PACKAGE_ENTRYPOINT),
      this.byPackage,
    );
  }
}
