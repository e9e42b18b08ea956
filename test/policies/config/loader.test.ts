import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeHclParser } from "../../../policies/engine/config/hcl-parser";
import { DeploymentGate } from "../../../policies/engine/engine";
import {
  loadStacks,
  LoadedStack,
  normalizeDocument,
  NormalizedResource,
} from "../../../policies/engine/normalize";
import { UNKNOWN, UnusableInputError } from "../../../policies/engine/document";
import { expectOneLineError, runCli } from "../../helpers/cli";

const FIXTURES = join(__dirname, "fixtures");
const fixture = (name: string) => join(FIXTURES, name);
const load = (name: string, opts = {}): LoadedStack => loadStacks(fixture(name), opts)[0];

afterAll(() => closeHclParser());

/** The error a load raises: an UnusableInputError, one line. */
function refusal(path: string, opts = {}): string {
  try {
    loadStacks(path, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(UnusableInputError);
    const message = (e as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error(`${path} was loaded, not refused`);
}

const values = (s: LoadedStack, address: string) => {
  const r = s.resources[address];
  if (!r) throw new Error(`no ${address} in ${Object.keys(s.resources).join(", ")}`);
  return r.values;
};

describe("variables: defaults, tfvars, auto.tfvars, --var-file, --var", () => {
  test("each source overrides the ones before it, in Terraform's order", () => {
    const s = load("variables", {
      varFiles: [fixture("variables/extra.tfvars")],
      vars: ["from_var=cli"],
    });
    // default < terraform.tfvars < *.auto.tfvars (a, then b) < --var-file < --var
    expect(values(s, "aws_ssm_parameter.p").value).toBe("tfvars,b.auto,var-file,cli");
    // terraform.tfvars.json sets env; "365" from terraform.tfvars becomes a number (type number).
    expect(values(s, "aws_cloudwatch_log_group.g")).toMatchObject({
      name: "/imgsec/prod",
      retention_in_days: 365,
      tags: { Project: "imgsec", Owner: "radiology" },
    });
    // An object type's optional attribute gets its default.
    expect(values(s, "aws_ssm_parameter.p").tags).toEqual({ versioning: true, prefix: "logs/" });
  });

  test("without --var-file and --var, the files of the module decide", () => {
    const s = load("variables");
    expect(values(s, "aws_ssm_parameter.p").value).toBe("tfvars,b.auto,b.auto,b.auto");
    expect(values(s, "aws_cloudwatch_log_group.g").tags).toEqual({ Project: "imgsec" });
  });

  test("a variable with no default and no value is unknown", () => {
    expect(values(load("variables"), "aws_cloudwatch_log_group.g").kms_key_id).toBe(UNKNOWN);
    expect(
      values(load("variables", { vars: ["no_default=alias/phi"] }), "aws_cloudwatch_log_group.g")
        .kms_key_id,
    ).toBe("alias/phi");
  });

  test("a value for an undeclared variable: a note from a file, refused from --var", () => {
    expect(load("variables").notes).toEqual([
      expect.stringMatching(/b\.auto\.tfvars\.json: a value for undeclared variable "undeclared"/),
    ]);
    expect(refusal(fixture("variables"), { vars: ["nope=1"] })).toBe(
      '--var nope: no variable "nope" is declared',
    );
    expect(refusal(fixture("variables"), { vars: ["=1"] })).toMatch(/--var must be name=value/);
    expect(refusal(fixture("variables"), { varFiles: [fixture("variables/none.tfvars")] })).toMatch(
      /--var-file .*none\.tfvars: no such file/,
    );
  });

  test("a --var of a complex type is read as an expression", () => {
    const s = load("variables", { vars: ['tags={ Project = "x", Team = upper("pacs") }'] });
    expect(values(s, "aws_cloudwatch_log_group.g").tags).toEqual({ Project: "x", Team: "PACS" });
  });
});

describe("locals, count, for_each and dynamic blocks", () => {
  const s = load("expansion");

  test("for_each over a map: one instance per key, each.key and each.value", () => {
    expect(values(s, 'aws_s3_bucket.phi["raw"]')).toEqual({
      bucket: "imgsec-default-raw",
      tags: { Classification: "identified", Kind: "RAW" },
    });
    expect(s.resources['aws_s3_bucket.phi["processed"]'].config_address).toBe("aws_s3_bucket.phi");
  });

  test("for_each over another resource: references by instance key, refs by config address", () => {
    const v = s.resources['aws_s3_bucket_versioning.phi["raw"]'];
    expect(v.values.bucket).toBe('${aws_s3_bucket.phi["raw"].id}');
    expect(v.refs).toEqual({ bucket: ["aws_s3_bucket.phi"] });
    expect(v.values.versioning_configuration).toEqual({ status: "Enabled" });
  });

  test("count over a local's length, count.index; count = 0 gives no instance", () => {
    expect(values(s, "aws_sqs_queue.q[0]").name).toBe("q-0-processed");
    expect(values(s, "aws_sqs_queue.q[1]").name).toBe("q-1-raw");
    expect(Object.keys(s.resources).filter((a) => a.startsWith("aws_kms_key"))).toEqual([]);
  });

  test("a dynamic block expands over a list, with its iterator", () => {
    expect(values(s, "aws_security_group.sg")).toEqual({
      name: "sg",
      ingress: [
        { from_port: 443, to_port: 443, cidr_blocks: ["10.0.0.0/24"] },
        { from_port: 8443, to_port: 8443, cidr_blocks: ["10.0.1.0/24"] },
      ],
      egress: { from_port: 0, to_port: 0 },
    });
  });

  test("source locations: the file and the block's lines", () => {
    expect(s.resources['aws_s3_bucket.phi["raw"]'].source).toEqual({
      file: "main.tf",
      startLine: 10,
      endLine: 17,
    });
  });
});

describe("modules", () => {
  test("a local module used twice gives two prefixed copies, related to the caller's key", () => {
    const s = load("modules-local");
    const buckets = Object.values(s.resources)
      .filter((r) => r.type === "aws_s3_bucket")
      .map((r) => [r.address, r.config_address, r.values.bucket]);
    expect(buckets.sort()).toEqual([
      [
        "module.processed.aws_s3_bucket.this",
        "module.processed.aws_s3_bucket.this",
        "imgsec-processed",
      ],
      ["module.raw.aws_s3_bucket.this", "module.raw.aws_s3_bucket.this", "imgsec-raw"],
      [
        'module.replicas["eu"].aws_s3_bucket.this',
        "module.replicas.aws_s3_bucket.this",
        "imgsec-replica-eu",
      ],
      [
        'module.replicas["us"].aws_s3_bucket.this',
        "module.replicas.aws_s3_bucket.this",
        "imgsec-replica-us",
      ],
    ]);
    const sse = s.resources["module.raw.aws_s3_bucket_server_side_encryption_configuration.this"];
    expect(sse.values.bucket).toBe("${module.raw.aws_s3_bucket.this.id}");
    expect(sse.refs).toEqual({
      bucket: ["module.raw.aws_s3_bucket.this"],
      rule: ["aws_kms_key.phi"],
    });
    // The variable carried the root's reference into the module.
    expect(sse.values.rule).toMatchObject({
      apply_server_side_encryption_by_default: { kms_master_key_id: "${aws_kms_key.phi.arn}" },
    });
    expect(sse.source).toEqual({
      file: "modules/bucket/main.tf",
      startLine: 13,
      endLine: 22,
      module: "module.raw",
    });
    expect(
      s.resources["module.raw.aws_s3_bucket.this"].referenced_by
        .aws_s3_bucket_server_side_encryption_configuration,
    ).toEqual({ bucket: ["module.raw.aws_s3_bucket_server_side_encryption_configuration.this"] });
  });

  test("module outputs are references: a root policy names the module's bucket", () => {
    const s = load("modules-local");
    const p = s.resources["aws_s3_bucket_policy.raw"];
    expect(p.values.bucket).toBe("${module.raw.aws_s3_bucket.this.id}");
    expect(p.policies.policy).toMatchObject({
      Statement: [
        {
          Effect: "Deny",
          Resource: [
            "${module.raw.aws_s3_bucket.this.arn}/*",
            "${module.raw.aws_s3_bucket.this.arn}",
          ],
        },
      ],
    });
    expect(p.refs.policy).toEqual(["module.raw.aws_s3_bucket.this"]);
  });

  test("a module downloaded by terraform init (modules.json) is read, nested modules too", () => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-downloaded-"));
    cpSync(fixture("downloaded"), dir, { recursive: true });
    // The fixture keeps .terraform under a visible name (git ignores .terraform/).
    cpSync(join(dir, "dot-terraform"), join(dir, ".terraform"), { recursive: true });
    const [s] = loadStacks(dir);
    expect(Object.keys(s.resources).sort()).toEqual([
      "aws_s3_bucket_versioning.store",
      "module.store.aws_s3_bucket.b",
      "module.store.module.key.aws_kms_key.k",
    ]);
    expect(s.resources["module.store.aws_s3_bucket.b"].source).toMatchObject({
      file: ".terraform/modules/store/main.tf",
      module: "module.store",
    });
    const v = s.resources["aws_s3_bucket_versioning.store"];
    expect(v.values).toEqual({
      bucket: "${module.store.aws_s3_bucket.b.id}",
      // The module that is not downloaded: its output is unknown.
      versioning_configuration: { status: UNKNOWN },
    });
    expect(s.notes).toEqual([
      expect.stringMatching(
        /main\.tf:9: module\.remote: its source is neither a local path nor downloaded/,
      ),
    ]);
    // The note names the module, never its source (a git URL may hold a token).
    expect(s.notes?.join("")).not.toContain("example.com");
  });

  test("without modules.json, a registry module is a note, never a network fetch", () => {
    const s = load("downloaded");
    expect(Object.keys(s.resources)).toEqual(["aws_s3_bucket_versioning.store"]);
    expect(s.notes).toHaveLength(2);
    expect(values(s, "aws_s3_bucket_versioning.store").bucket).toBe(UNKNOWN);
  });

  test("a module cycle is refused, never followed", () => {
    expect(refusal(fixture("cycle"))).toMatch(
      /^.*cycle\/b\/main\.tf:1: module cycle: module\.a → module\.a\.module\.b → module\.a\.module\.b\.module\.a/,
    );
  });
});

describe("what cannot be known is unknown", () => {
  const s = load("unknown");

  test("a variable without a value reaches a rule's input: the rule says UNKNOWN", () => {
    expect(values(s, "aws_kms_key.k").enable_key_rotation).toBe(UNKNOWN);
    const results = DeploymentGate.load().evaluate(s);
    const rotation = results.filter((r) => r.rule === "IMGSEC-KMS-001");
    expect(rotation.map((r) => [r.resource, r.status])).toEqual([["aws_kms_key.k", "UNKNOWN"]]);
  });

  test("a data source attribute stays a reference; templatefile() keeps the known parts", () => {
    const k = s.resources["aws_kms_key.k"];
    expect(k.values.description).toBe("key of ${data.aws_caller_identity.me.account_id}");
    expect(k.refs.description).toEqual(["data.aws_caller_identity.me"]);
    expect(k.policies.policy).toMatchObject({
      Statement: [{ Principal: { AWS: "arn:aws:iam::${?}:root" }, Action: ["kms:*"] }],
    });
  });

  test("an unknown count gives one instance with an unknown key; references keep the relation", () => {
    expect(values(s, "aws_s3_bucket.many[?]").bucket).toBe("many-${?}");
    const v = s.resources["aws_s3_bucket_versioning.many[?]"];
    expect(v.values.bucket).toBe("${aws_s3_bucket.many[?].id}");
    expect(v.refs.bucket).toEqual(["aws_s3_bucket.many"]);
    expect(
      s.resources["aws_s3_bucket.many[?]"].referenced_by.aws_s3_bucket_versioning?.bucket,
    ).toEqual(["aws_s3_bucket_versioning.many[?]"]);
  });

  test("timestamp() is unknown; a function the evaluator lacks is unknown, with a note", () => {
    expect(values(s, "aws_cloudwatch_log_group.g")).toMatchObject({
      kms_key_id: UNKNOWN,
      tags: { Created: UNKNOWN },
    });
    expect(s.notes).toEqual([
      expect.stringMatching(/main\.tf:38: function formatdate\(\) is not evaluated/),
    ]);
  });
});

describe("limits and malformed input: one line, naming file and line", () => {
  test("count over the cap is refused, naming the block", () => {
    expect(refusal(fixture("over-cap"))).toMatch(
      /over-cap\/main\.tf:5: aws_sqs_queue\.q: count 1001 is over the cap of 1,000 instances$/,
    );
    expect(refusal(fixture("over-cap-for-each"))).toMatch(
      /over-cap-for-each\/main\.tf:1: aws_sqs_queue\.q: for_each has 5000 elements, over the cap/,
    );
  });

  test("an HCL syntax error names the file and the line", () => {
    expect(refusal(fixture("malformed"))).toMatch(/malformed\/broken\.tf:8: unexpected "}"$/);
  });

  test("imgsec check: exit 2 with one line for malformed HCL, a cycle, a count over the cap", () => {
    const env = { IMGSEC_KEYS: join(tmpdir(), "imgsec-no-keys", "keys.json") };
    const cwd = FIXTURES;
    expectOneLineError(
      runCli(["check", "malformed"], { cwd, env }),
      /^imgsec: malformed\/broken\.tf:8: unexpected "}"$/,
    );
    expectOneLineError(
      runCli(["check", "cycle"], { cwd, env }),
      /^imgsec: cycle\/b\/main\.tf:1: module cycle/,
    );
    expectOneLineError(
      runCli(["check", "over-cap"], { cwd, env }),
      /^imgsec: over-cap\/main\.tf:5: .*over the cap/,
    );
  });

  test.each([
    ['resource "aws_s3_bucket" {\n}\n', /main\.tf:1: a resource block needs 2 labels/],
    [
      'resource "a" "b" {}\nresource "a" "b" {}\n',
      /main\.tf:2: a\.b is declared twice \(first at .*main\.tf:1\)/,
    ],
    ["x = 1\n", /main\.tf:1: "x" is not a block/],
    [
      'module "m" {\n  source = var.s\n}\n',
      /main\.tf:1: module "m" needs a source written as a literal string/,
    ],
    [
      'module "m" {\n  source = "./nope"\n}\n',
      /main\.tf:1: module "m": its source is not a directory/,
    ],
    ['resource "a" "b" {\n  count = -1\n}\n', /main\.tf:1: a\.b: count must be a whole number ≥ 0/],
    [
      'resource "a" "b" {\n  for_each = 3\n}\n',
      /main\.tf:1: a\.b: for_each must be a map or a set of strings/,
    ],
    ['resource "a" "b" {\n  x = "${\n}\n', /main\.tf:\d+: /],
  ])("%j is refused", (text, message) => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-bad-hcl-"));
    writeFileSync(join(dir, "main.tf"), text);
    expect(refusal(dir)).toMatch(message);
  });

  test("invalid Terraform JSON names the file and the line", () => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-bad-json-"));
    writeFileSync(join(dir, "main.tf.json"), '{\n  "resource": {\n    "a": {\n      "b": 1,\n');
    expect(refusal(dir)).toMatch(/main\.tf\.json:\d+: not valid JSON/);
    writeFileSync(
      join(dir, "main.tf.json"),
      '{\n  "resource": {\n    "a": {\n      "b": { "x": "${" }\n}}}',
    );
    expect(refusal(dir)).toMatch(/main\.tf\.json:4: unterminated template sequence/);
  });
});

describe("inline waivers", () => {
  test("inside or directly above a resource block, with and without expiry, in every comment form", () => {
    const s = load("waivers");
    const byLine = (s.inlineWaivers ?? []).sort((a, b) =>
      a.file === b.file ? a.line - b.line : a.file < b.file ? 1 : -1,
    );
    expect(byLine).toEqual([
      {
        rule: "IMGSEC-S3-007",
        address: "aws_s3_bucket.legacy",
        reason: "legacy bucket, SEC-123",
        until: "2027-03-31",
        file: "main.tf",
        line: 5,
      },
      {
        rule: "IMGSEC-S3-008",
        address: "aws_s3_bucket.archive",
        reason: 'archive keeps everything "forever" by law',
        file: "main.tf",
        line: 13,
      },
      {
        rule: "IMGSEC-S3-003",
        address: "aws_s3_bucket.archive",
        reason: "versioning comes with the migration",
        until: "2026-01-01",
        file: "main.tf",
        line: 15,
      },
      {
        rule: "IMGSEC-S3-004",
        address: "module.m.aws_s3_bucket.inner",
        reason: "module-owned",
        file: "m/main.tf",
        line: 1,
      },
    ]);
  });

  test.each([
    [
      "waiver-no-reason",
      /waiver-no-reason\/main\.tf:5: imgsec:waive IMGSEC-S3-007 needs reason="\.\.\."/,
    ],
    [
      "waiver-bad-date",
      /waiver-bad-date\/main\.tf:2: imgsec:waive IMGSEC-S3-007: until must be one date, YYYY-MM-DD/,
    ],
    [
      "waiver-detached",
      /waiver-detached\/main\.tf:1: imgsec:waive IMGSEC-S3-007 must be inside or directly above a resource block/,
    ],
  ])("%s is refused", (name, message) => {
    expect(refusal(fixture(name))).toMatch(message);
  });
});

describe("HCL and Terraform JSON", () => {
  const withoutSource = (rs: Record<string, NormalizedResource>) =>
    Object.fromEntries(
      Object.entries(rs).map(([k, r]) => {
        const { source: _source, ...rest } = r;
        return [k, rest];
      }),
    );

  test("the same configuration in HCL and in JSON normalizes to the same resources", () => {
    const hcl = load("same-hcl");
    const json = load("same-json");
    expect(Object.keys(hcl.resources)).toHaveLength(11);
    expect(withoutSource(json.resources)).toEqual(withoutSource(hcl.resources));
    // And they are what a user would expect.
    expect(hcl.resources["aws_iam_role.fn"].policies["inline_policy.0"]).toEqual({
      Statement: [
        {
          Effect: "Allow",
          Action: ["s3:GetObject"],
          Resource: ["${aws_s3_bucket.raw.arn}/incoming/*"],
        },
      ],
    });
    expect(hcl.resources["aws_s3_bucket.raw"].values.tags).toEqual({
      Project: "imgsec",
      Env: "prod",
      Data: "PHI",
    });
    expect(json.resources["aws_iam_role.fn"].source).toEqual({
      file: "main.tf.json",
      startLine: 61,
      endLine: 69,
    });
  });

  test(".tf and .tf.json in one module are merged, and refer to each other", () => {
    const s = load("mixed");
    expect(s.resources["aws_s3_bucket_versioning.b"]).toMatchObject({
      values: { bucket: "${aws_s3_bucket.b.id}", versioning_configuration: { status: "Enabled" } },
      refs: { bucket: ["aws_s3_bucket.b"] },
      source: { file: "versioning.tf.json" },
    });
    expect(s.resources["aws_s3_bucket.b"].values.bucket).toBe("mixed");
  });

  test("one .tf file can be checked on its own", () => {
    const [s] = loadStacks(fixture("mixed/main.tf"));
    expect(s.stack).toBe("main");
    expect(Object.keys(s.resources)).toEqual(["aws_s3_bucket.b"]);
    expect(s.resources["aws_s3_bucket.b"].source).toEqual({
      file: "main.tf",
      startLine: 5,
      endLine: 7,
    });
  });

  test("override files are merged into the blocks they name", () => {
    const s = load("override");
    expect(s.resources["aws_s3_bucket_versioning.v"].values).toEqual({
      bucket: "overridden",
      expected_bucket_owner: "111122223333",
      versioning_configuration: { status: "Enabled", mfa_delete: "Disabled" },
    });
    const dir = mkdtempSync(join(tmpdir(), "imgsec-override-"));
    writeFileSync(join(dir, "main.tf"), 'resource "a" "b" {}\n');
    writeFileSync(join(dir, "override.tf"), 'resource "a" "c" {}\n');
    expect(refusal(dir)).toMatch(
      /override\.tf:1: resource a c in an override file overrides nothing/,
    );
  });

  test("a .tofu file replaces the .tf file of the same name", () => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-tofu-"));
    writeFileSync(join(dir, "main.tf"), 'resource "aws_s3_bucket" "b" {\n  bucket = "tf"\n}\n');
    writeFileSync(join(dir, "main.tofu"), 'resource "aws_s3_bucket" "b" {\n  bucket = "tofu"\n}\n');
    expect(loadStacks(dir)[0].resources["aws_s3_bucket.b"].values.bucket).toBe("tofu");
  });
});

describe("cdktf", () => {
  test("the construct path and the JSON lines of each resource", () => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-cdktf-"));
    const doc = {
      "//": { metadata: { stackName: "imgsec-prod", version: "0.21.0" } },
      resource: {
        aws_s3_bucket: {
          raw_bucket_1A2B3C4D: {
            "//": { metadata: { path: "imgsec-prod/raw/bucket", uniqueId: "raw_bucket_1A2B3C4D" } },
            bucket: "raw",
          },
        },
      },
    };
    const text = JSON.stringify(doc, null, 2);
    writeFileSync(join(dir, "cdk.tf.json"), text);
    const [s] = loadStacks(join(dir, "cdk.tf.json"));
    expect(s.stack).toBe("imgsec-prod");
    const r = s.resources["aws_s3_bucket.raw_bucket_1A2B3C4D"];
    expect(r.values).toEqual({ bucket: "raw" });
    const lines = readFileSync(join(dir, "cdk.tf.json"), "utf8").split("\n");
    expect(lines[r.source!.startLine! - 1]).toContain('"raw_bucket_1A2B3C4D"');
    expect(lines[r.source!.endLine! - 1].trim()).toBe("}");
    expect(r.source).toMatchObject({ file: "cdk.tf.json", construct: "imgsec-prod/raw/bucket" });
    // Given as a value (no text), the construct path is known and the lines are not.
    const n = normalizeDocument(doc, "cdk.tf.json", "x");
    expect(n.resources["aws_s3_bucket.raw_bucket_1A2B3C4D"].source).toEqual({
      file: "cdk.tf.json",
      construct: "imgsec-prod/raw/bucket",
    });
  });
});
