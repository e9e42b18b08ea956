import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_PACKAGE_PARAMS,
  PackageDocument,
  PackageGate,
  PackageParams,
  parsePackageParams,
  resolvePackageParams,
} from "../../policies/engine/package-gate";
import { UnusableInputError } from "../../policies/engine/normalize";
import { ROOT } from "../helpers/cli";
import { describeWithTool } from "../helpers/tools";

const POLICY_HASH = "7f3c1e0a9b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e2f4a6b8c0d2e";
const OTHER_HASH = "0".repeat(63) + "1";
const KMS_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const PHI = "DOE^JOHN";

/** A package every rule passes (signed committing suite, framed, complete, valid signature). */
function validPackage(): PackageDocument {
  return {
    name: "package 1",
    digest: `sha256:${"ab".repeat(32)}`,
    size: 123456,
    format: { version: 2, content_type: "framed", frame_length: 1048576 },
    suite: {
      id: 1400,
      name: "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
      committing: true,
      signed: true,
      known: true,
    },
    encryption_context: {
      "imgsec:schema": "1",
      "imgsec:dataset": "trial-042",
      "imgsec:modality": "CT",
      "imgsec:policy-hash": POLICY_HASH,
      "imgsec:pixel-digest": "9a".repeat(32),
      "imgsec:producer": "imgsec/0.1.0",
      "aws-crypto-public-key": "A0Zx0vhMHh1dQ2Lw8i7cP4Wn4e0ZKpU3b5n1xq6m0cVh3Yt9wz7k2r8s1u5o6p4j2g",
    },
    encrypted_data_keys: [
      { provider_id: "imgsec-local", provider_info: "0123456789abcdef" },
      { provider_id: "aws-kms", provider_info: KMS_ARN },
    ],
    body: { complete: true, frames: 12, trailing_bytes: 0, problem: null },
    signature: { present: true, checked: true, valid: true },
  };
}

const accepted: Partial<PackageParams> = { accepted_policy_hashes: [POLICY_HASH] };

/** The unsigned committing suite, as the ESDK writes it: no public key, no signature. */
function unsigned(p: PackageDocument): void {
  p.suite = {
    id: 1144,
    name: "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY",
    committing: true,
    signed: false,
    known: true,
  };
  delete p.encryption_context["aws-crypto-public-key"];
  p.signature = { present: false, checked: false, valid: false };
}

interface PackageMutation {
  rule: string;
  what: string;
  apply(p: PackageDocument): void;
  params?: Partial<PackageParams>;
}

const mutations: PackageMutation[] = [
  { rule: "IMGSEC-PKG-001", what: "format version 1", apply: (p) => void (p.format.version = 1) },
  {
    rule: "IMGSEC-PKG-001",
    what: "a suite the ESDK does not define",
    apply: (p) => (p.suite = { ...p.suite, id: 0x1234, name: "", known: false }),
  },
  {
    rule: "IMGSEC-PKG-002",
    what: "a non-committing signed suite (0x0378)",
    apply: (p) =>
      (p.suite = {
        id: 888,
        name: "ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
        committing: false,
        signed: true,
        known: true,
      }),
  },
  { rule: "IMGSEC-PKG-003", what: "an unsigned committing suite (0x0478)", apply: unsigned },
  {
    rule: "IMGSEC-PKG-004",
    what: "a dataset id holding a patient name",
    apply: (p) => void (p.encryption_context["imgsec:dataset"] = PHI),
  },
  {
    rule: "IMGSEC-PKG-004",
    what: "no imgsec:modality",
    apply: (p) => void delete p.encryption_context["imgsec:modality"],
  },
  {
    rule: "IMGSEC-PKG-004",
    what: "a lowercase modality",
    apply: (p) => void (p.encryption_context["imgsec:modality"] = "ct"),
  },
  {
    rule: "IMGSEC-PKG-005",
    what: "a PatientName context key",
    apply: (p) => void (p.encryption_context.PatientName = PHI),
  },
  {
    rule: "IMGSEC-PKG-005",
    what: "a public key with an unsigned suite (signing not required)",
    apply: (p) => {
      const key = p.encryption_context["aws-crypto-public-key"];
      unsigned(p);
      p.encryption_context["aws-crypto-public-key"] = key;
    },
    params: { require_signed_suite: false },
  },
  {
    rule: "IMGSEC-PKG-006",
    what: "a raw AES keyring's data key",
    apply: (p) => void p.encrypted_data_keys.push({ provider_id: "raw-aes", provider_info: "k" }),
  },
  {
    rule: "IMGSEC-PKG-006",
    what: "no encrypted data keys",
    apply: (p) => void (p.encrypted_data_keys = []),
  },
  {
    rule: "IMGSEC-PKG-007",
    what: "a malformed KMS key ARN",
    apply: (p) => void (p.encrypted_data_keys[1].provider_info = "arn:aws:kms:us-east-1:1:key/x"),
  },
  {
    rule: "IMGSEC-PKG-007",
    what: "a KMS key outside allowed_kms_key_arns",
    apply: () => undefined,
    params: { allowed_kms_key_arns: [KMS_ARN.replace("1234abcd", "ffffffff")] },
  },
  {
    rule: "IMGSEC-PKG-008",
    what: "a profile hash that is not accepted",
    apply: (p) => void (p.encryption_context["imgsec:policy-hash"] = OTHER_HASH),
  },
  {
    rule: "IMGSEC-PKG-008",
    what: "no accepted policy hashes configured",
    apply: () => undefined,
    params: { accepted_policy_hashes: [] },
  },
  {
    rule: "IMGSEC-PKG-009",
    what: "non-framed content",
    apply: (p) => (p.format = { version: 2, content_type: "non-framed", frame_length: 0 }),
  },
  {
    rule: "IMGSEC-PKG-009",
    what: "a 64 MiB frame length",
    apply: (p) => void (p.format.frame_length = 64 * 1024 * 1024),
  },
  {
    rule: "IMGSEC-PKG-010",
    what: "a truncated body",
    apply: (p) =>
      (p.body = { complete: false, frames: 7, trailing_bytes: 0, problem: "truncated" }),
  },
  {
    rule: "IMGSEC-PKG-010",
    what: "trailing bytes",
    apply: (p) =>
      (p.body = { complete: true, frames: 12, trailing_bytes: 9, problem: "trailing-bytes" }),
  },
  {
    rule: "IMGSEC-PKG-011",
    what: "a signature that does not verify",
    apply: (p) => void (p.signature.valid = false),
  },
  {
    rule: "IMGSEC-PKG-011",
    what: "a signed suite without a signature",
    apply: (p) => (p.signature = { present: false, checked: false, valid: false }),
  },
];

let gate: PackageGate;
beforeAll(async () => {
  gate = await PackageGate.load();
});

const check = (mutate: (p: PackageDocument) => void = () => undefined, params = {}) => {
  const p = validPackage();
  mutate(p);
  return gate.evaluate(p, { ...accepted, ...params });
};

describe("a valid package", () => {
  test("passes every rule, each once, with the result shape of the deployment gate", () => {
    const results = check();
    expect(results.filter((r) => r.status !== "PASS")).toEqual([]);
    expect(results.map((r) => r.rule)).toEqual(gate.catalog.map((m) => m.id));
    for (const r of results) {
      const meta = gate.catalog.find((m) => m.id === r.rule);
      expect(r).toEqual({
        rule: meta?.id,
        title: meta?.title,
        status: "PASS",
        resource: "package 1",
        severity: meta?.severity,
        controls: meta?.controls,
        message: expect.any(String),
        remediation: meta?.remediation,
      });
      expect(r.message.length).toBeGreaterThan(10);
    }
  });

  test("the catalog has the package rules only, with HIPAA controls", () => {
    expect(gate.catalog.length).toBeGreaterThanOrEqual(11);
    for (const m of gate.catalog) {
      expect(m.id).toMatch(/^IMGSEC-PKG-\d{3}$/);
      expect(m.package).toMatch(/^imgsec\.package\.rules\./);
      expect(m.controls.length).toBeGreaterThan(0);
    }
  });

  test("an unsigned suite passes when signing is not required, and the signature rule does not apply", () => {
    const results = check(unsigned, { require_signed_suite: false });
    expect(results.filter((r) => r.status !== "PASS")).toEqual([]);
    expect(results.map((r) => r.rule)).not.toContain("IMGSEC-PKG-011");
    expect(results.find((r) => r.rule === "IMGSEC-PKG-003")?.message).toMatch(/not signed/);
  });

  test("without an aws-kms data key the KMS rule does not apply", () => {
    const results = check((p) => void p.encrypted_data_keys.pop());
    expect(results.filter((r) => r.status !== "PASS")).toEqual([]);
    expect(results.map((r) => r.rule)).not.toContain("IMGSEC-PKG-007");
  });
});

describe("each rule fails alone on the package broken the way it targets", () => {
  test("every rule in the catalog has at least one mutation", () => {
    const covered = new Set(mutations.map((m) => m.rule));
    expect(gate.catalog.map((m) => m.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  test.each(mutations.map((m) => [`${m.rule}: ${m.what}`, m] as const))("%s", (_name, m) => {
    const results = check(m.apply, m.params);
    const failing = results.filter((r) => r.status !== "PASS");
    expect([...new Set(failing.map((r) => r.rule))]).toEqual([m.rule]);
    for (const f of failing) {
      expect(f.status).toBe("FAIL");
      expect(f.resource).toBe("package 1");
      expect(f.message.length).toBeGreaterThan(10);
    }
  });
});

describe("messages never quote free text from the package", () => {
  const leaks = (mutate: (p: PackageDocument) => void, ...secrets: string[]) => {
    const results = check(mutate);
    expect(results.some((r) => r.status === "FAIL")).toBe(true);
    const text = JSON.stringify(results);
    for (const s of secrets) expect(text).not.toContain(s);
    return results;
  };

  test("a PHI value under an unexpected key: neither the value nor the free-text key is shown", () => {
    const results = leaks(
      (p) => void (p.encryption_context["Patient Name"] = "DOE^JOHN^Q 19700101"),
      "DOE",
      "JOHN",
      "19700101",
      "Patient Name",
    );
    const f = results.find((r) => r.rule === "IMGSEC-PKG-005");
    expect(f?.status).toBe("FAIL");
    expect(f?.message).toMatch(/a context key that is not allowed/);
  });

  test("an unexpected imgsec: key is named, its PHI value is not", () => {
    const results = leaks((p) => void (p.encryption_context["imgsec:patient-name"] = PHI), "DOE");
    expect(results.find((r) => r.rule === "IMGSEC-PKG-005")?.message).toBe(
      "context key imgsec:patient-name is not allowed",
    );
  });

  test("PHI in a key name inside the imgsec: namespace is not shown", () => {
    leaks((p) => void (p.encryption_context["imgsec:DOE^JOHN"] = "x"), "DOE", "JOHN");
  });

  test("PHI in required values, provider ids, ARNs, suite names and problem codes is not shown", () => {
    leaks(
      (p) => {
        p.encryption_context["imgsec:dataset"] = "DOE JOHN";
        p.encryption_context["imgsec:modality"] = "DOE";
        p.encryption_context["imgsec:producer"] = "DOE^JOHN";
        p.encryption_context["imgsec:policy-hash"] = "JOHN";
        p.encrypted_data_keys.push({ provider_id: "DOE^JOHN", provider_info: "JOHN" });
        p.encrypted_data_keys[1].provider_info = "arn:aws:kms:us-east-1:1:key/DOE";
        p.suite = { ...p.suite, name: "DOE^JOHN", known: false };
        p.body = { complete: false, frames: 1, trailing_bytes: 0, problem: "DOE^JOHN" };
        (p.format as { content_type: string }).content_type = "DOE";
      },
      "DOE",
      "JOHN",
    );
  });
});

describe("params", () => {
  test("DEFAULT_PACKAGE_PARAMS is policies/package/params.json, frozen", () => {
    const file = JSON.parse(
      readFileSync(join(ROOT, "policies", "package", "params.json"), "utf8"),
    ) as PackageParams;
    expect(DEFAULT_PACKAGE_PARAMS).toEqual(file);
    expect(Object.isFrozen(DEFAULT_PACKAGE_PARAMS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PACKAGE_PARAMS.allowed_context_keys)).toBe(true);
    expect(DEFAULT_PACKAGE_PARAMS.require_signed_suite).toBe(true);
    expect(DEFAULT_PACKAGE_PARAMS.accepted_policy_hashes).toEqual([]);
  });

  test("with the shipped defaults alone nothing is accepted: the caller must name the accepted profile hash", () => {
    const results = gate.evaluate(validPackage());
    const failing = results.filter((r) => r.status !== "PASS");
    expect(failing.map((r) => r.rule)).toEqual(["IMGSEC-PKG-008"]);
    expect(failing[0].message).toMatch(/no accepted policy hashes are configured/);
  });

  test("an undefined override keeps the default", () => {
    expect(resolvePackageParams({ require_signed_suite: undefined }).require_signed_suite).toBe(
      true,
    );
    const results = check(unsigned, { require_signed_suite: undefined });
    expect(results.find((r) => r.rule === "IMGSEC-PKG-003")?.status).toBe("FAIL");
  });

  test("parsePackageParams accepts overrides of the right type", () => {
    const ok = {
      accepted_policy_hashes: [POLICY_HASH],
      require_signed_suite: false,
      max_frame_length: 65536,
      context_value_patterns: { "imgsec:dataset": "^site-[0-9]+$" },
    };
    expect(parsePackageParams(ok, "params.json")).toEqual(ok);
  });

  test.each([
    [[], /must be a JSON object/],
    [{ nope: 1 }, /unknown parameter nope/],
    [{ constructor: 1 }, /unknown parameter constructor/],
    [{ allowed_key_providers: "aws-kms" }, /allowed_key_providers must be a list of strings/],
    [{ require_signed_suite: "yes" }, /require_signed_suite must be true or false/],
    [{ min_frame_length: -1 }, /min_frame_length must be a positive whole number/],
    [{ max_frame_length: 1.5 }, /max_frame_length must be a positive whole number/],
    [{ context_value_patterns: { "imgsec:dataset": ".*" } }, /anchored with \^ and \$/],
    [{ context_value_patterns: { "imgsec:dataset": "^([a-z$" } }, /not a valid regular expression/],
  ])("parsePackageParams rejects %j", (value, message) => {
    expect(() => parsePackageParams(value, "p.json")).toThrow(UnusableInputError);
    expect(() => parsePackageParams(value, "p.json")).toThrow(message);
  });
});

describeWithTool("opa", "package rule fixtures (opa)", (opa) => {
  test("the Rego test fixtures use the shipped params (but for the accepted profile hash)", () => {
    const r = spawnSync(
      opa,
      [
        "eval",
        "--format",
        "json",
        "-d",
        "policies/package/lib",
        "data.imgsec.package.fixtures_test.params",
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(r.status).toBe(0);
    const params = JSON.parse(r.stdout).result[0].expressions[0].value;
    expect({ ...params, accepted_policy_hashes: [] }).toEqual(DEFAULT_PACKAGE_PARAMS);
  });
});
