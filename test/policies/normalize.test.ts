import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import {
  detectFormat,
  loadStacks,
  normalizeDocument,
  parsePolicy,
} from "../../policies/engine/normalize";
import { SecureBucket } from "../../modules/secure-bucket";
import { SAMPLE_BUCKET } from "../helpers/tf";
import { buildApp } from "../../stacks/app";
import { resolveEnvironments } from "../../stacks/config";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generatePlan } = require("../../bench/gen-plan.js");

const tmp = () => mkdtempSync(join(tmpdir(), "imgsec-norm-"));

describe("cdktf cdk.tf.json", () => {
  const stack = new TerraformStack(Testing.app(), "s");
  new SecureBucket(stack, "raw", SAMPLE_BUCKET);
  const doc = JSON.parse(Testing.synth(stack));
  doc["//"] = { metadata: { stackName: "my-stack", version: "0.21.0" } };
  const n = normalizeDocument(doc, "f.json", "fallback");

  test("is recognized, named from its metadata, and keyed by address", () => {
    expect(n.source).toBe("cdktf");
    expect(n.stack).toBe("my-stack");
    const bucket = Object.values(n.resources).find((r) => r.type === "aws_s3_bucket");
    expect(bucket?.address).toMatch(/^aws_s3_bucket\.raw_bucket_[0-9A-F]{8}$/);
    expect(bucket?.config_address).toBe(bucket?.address);
  });

  test("references become refs per attribute", () => {
    const v = Object.values(n.resources).find((r) => r.type === "aws_s3_bucket_versioning");
    expect(v?.refs.bucket).toEqual([expect.stringMatching(/^aws_s3_bucket\.raw_bucket_/)]);
  });

  test("policy documents are parsed with array-valued Action and Resource; meta-arguments dropped", () => {
    const p = Object.values(n.resources).find((r) => r.type === "aws_s3_bucket_policy");
    const st = (p?.policies.policy as { Statement: Record<string, unknown>[] }).Statement;
    expect(st[0]).toMatchObject({ Sid: "DenyInsecureTransport", Action: ["s3:*"] });
    expect(p?.values.depends_on).toBeUndefined();
  });
});

describe("cdktf.out directory", () => {
  test("every stack in the manifest is loaded", () => {
    const out = join(tmp(), "cdktf.out");
    buildApp(out, resolveEnvironments()).synth();
    const stacks = loadStacks(out);
    expect(stacks.map((s) => s.stack)).toEqual(["imgsec-dev", "imgsec-prod"]);
    expect(stacks.every((s) => s.source === "cdktf")).toBe(true);
    expect(loadStacks(join(out, "stacks", "imgsec-dev", "cdk.tf.json"))[0].stack).toBe(
      "imgsec-dev",
    );
  });
});

describe("plain *.tf.json", () => {
  test("a folder's *.tf.json files are merged as Terraform does", () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "a.tf.json"),
      JSON.stringify({ resource: { aws_s3_bucket: { raw: { bucket: "raw" } } } }),
    );
    writeFileSync(
      join(dir, "b.tf.json"),
      JSON.stringify({
        resource: {
          aws_s3_bucket_versioning: {
            raw: {
              bucket: "${aws_s3_bucket.raw.id}",
              versioning_configuration: { status: "Enabled" },
            },
          },
        },
        data: { aws_caller_identity: { me: {} } },
      }),
    );
    const [s] = loadStacks(dir);
    expect(s.source).toBe("tfjson");
    expect(Object.keys(s.resources).sort()).toEqual([
      "aws_s3_bucket.raw",
      "aws_s3_bucket_versioning.raw",
      "data.aws_caller_identity.me",
    ]);
    expect(s.resources["aws_s3_bucket_versioning.raw"].refs).toEqual({
      bucket: ["aws_s3_bucket.raw"],
    });
    expect(s.resources["data.aws_caller_identity.me"].mode).toBe("data");
  });
});

describe("Terraform plan JSON", () => {
  test("planned values, module paths, count indexes and configuration references", () => {
    const plan = {
      format_version: "1.2",
      terraform_version: "1.11.4",
      planned_values: {
        root_module: {
          resources: [
            {
              address: "aws_kms_key.k",
              mode: "managed",
              type: "aws_kms_key",
              name: "k",
              values: { enable_key_rotation: true },
            },
          ],
          child_modules: [
            {
              address: "module.store",
              resources: [
                {
                  address: "module.store.aws_s3_bucket.b[0]",
                  mode: "managed",
                  type: "aws_s3_bucket",
                  name: "b",
                  index: 0,
                  values: { bucket: "b0" },
                },
                {
                  address: "module.store.aws_s3_bucket.b[1]",
                  mode: "managed",
                  type: "aws_s3_bucket",
                  name: "b",
                  index: 1,
                  values: { bucket: "b1" },
                },
                {
                  address: "module.store.aws_s3_bucket_server_side_encryption_configuration.e",
                  mode: "managed",
                  type: "aws_s3_bucket_server_side_encryption_configuration",
                  name: "e",
                  values: {
                    rule: [
                      { apply_server_side_encryption_by_default: [{ sse_algorithm: "aws:kms" }] },
                    ],
                  },
                },
              ],
            },
          ],
        },
      },
      configuration: {
        root_module: {
          resources: [{ address: "aws_kms_key.k", expressions: {} }],
          module_calls: {
            store: {
              module: {
                resources: [
                  { address: "aws_s3_bucket.b", expressions: { bucket: { constant_value: "b" } } },
                  {
                    address: "aws_s3_bucket_server_side_encryption_configuration.e",
                    expressions: {
                      bucket: {
                        references: [
                          "aws_s3_bucket.b[0].id",
                          "aws_s3_bucket.b[0]",
                          "aws_s3_bucket.b",
                        ],
                      },
                      rule: [
                        {
                          apply_server_side_encryption_by_default: [
                            { kms_master_key_id: { references: ["var.key_arn"] } },
                          ],
                        },
                      ],
                    },
                  },
                ],
              },
            },
          },
        },
      },
    };
    const n = normalizeDocument(plan as never, "plan.json", "plan");
    expect(n.source).toBe("plan");
    expect(Object.keys(n.resources).sort()).toEqual([
      "aws_kms_key.k",
      "module.store.aws_s3_bucket.b[0]",
      "module.store.aws_s3_bucket.b[1]",
      "module.store.aws_s3_bucket_server_side_encryption_configuration.e",
    ]);
    expect(n.resources["module.store.aws_s3_bucket.b[1]"].config_address).toBe(
      "module.store.aws_s3_bucket.b",
    );
    expect(
      n.resources["module.store.aws_s3_bucket_server_side_encryption_configuration.e"].refs,
    ).toEqual({
      bucket: ["module.store.aws_s3_bucket.b"],
    });
  });

  test("a generated plan of 1,000+ resources normalizes with every control related to its bucket", () => {
    const plan = generatePlan({ buckets: 130 });
    const n = normalizeDocument(plan, "p.json", "p");
    expect(Object.keys(n.resources).length).toBeGreaterThan(1000);
    expect(n.resources["aws_s3_bucket_versioning.phi_0007_versioning"].refs.bucket).toEqual([
      "aws_s3_bucket.phi_0007",
    ]);
  });
});

describe("refuses what it cannot check", () => {
  test.each([
    [[1, 2], /not an object/],
    [{ hello: "world" }, /unrecognized format: expected cdktf cdk\.tf\.json, Terraform plan JSON/],
    [{ resource: [] }, /"resource" must be an object/],
    [{ resource: { aws_s3_bucket: [] } }, /resource type aws_s3_bucket must be an object/],
    [
      {
        format_version: "1.2",
        terraform_version: "1",
        planned_values: { root_module: { resources: [{}] } },
      },
      /planned resource has no address/,
    ],
  ])("%j", (doc, message) => {
    expect(() => normalizeDocument(doc as never, "x", "x")).toThrow(message);
  });

  test("paths: missing, a folder with nothing to check, a manifest without stacks", () => {
    expect(() => loadStacks("/no/such/path")).toThrow(/no such file or directory/);
    const empty = tmp();
    expect(() => loadStacks(empty)).toThrow(/neither a cdktf manifest\.json nor \*\.tf\.json/);
    const bad = tmp();
    writeFileSync(join(bad, "manifest.json"), "{}");
    expect(() => loadStacks(bad)).toThrow(/not a cdktf manifest/);
    const sub = join(tmp(), "x");
    mkdirSync(sub);
    writeFileSync(
      join(sub, "manifest.json"),
      JSON.stringify({ stacks: { a: { synthesizedStackPath: "nope.json" } } }),
    );
    expect(() => loadStacks(sub)).toThrow(/cannot read .*nope\.json: ENOENT/);
  });

  test("detectFormat and parsePolicy on odd input", () => {
    expect(detectFormat({ provider: {} })).toBe("tfjson");
    expect(parsePolicy("not json")).toBeNull();
    expect(
      parsePolicy('{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}'),
    ).toEqual({
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["*"] }],
    });
  });
});
