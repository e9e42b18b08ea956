/**
 * Plan JSON as `terraform show -json` and `tofu show -json` write it (format 1.2; the field set
 * follows Terraform's JSON output format and OpenTofu's show-json test data): both tools, both
 * replace orders, deletions, deposed objects, forget, and plans whose planned_values lack a change.
 */
import { DeploymentGate } from "../../policies/engine/engine";
import { Json, Obj } from "../../policies/engine/document";
import { normalizeDocument, UNKNOWN } from "../../policies/engine/normalize";

const gate = DeploymentGate.load();
type Tool = "terraform" | "tofu";

const PROVIDER: Record<Tool, string> = {
  terraform: "registry.terraform.io/hashicorp/aws",
  tofu: "registry.opentofu.org/hashicorp/aws",
};
const VERSION: Record<Tool, string> = { terraform: "1.9.8", tofu: "1.8.5" };

/** A KMS key's attributes as the AWS provider plans them. */
const keyValues = (rotation: boolean, days = 30): Obj => ({
  bypass_policy_lockout_safety_check: false,
  customer_master_key_spec: "SYMMETRIC_DEFAULT",
  deletion_window_in_days: days,
  description: "phi",
  enable_key_rotation: rotation,
  is_enabled: true,
  key_usage: "ENCRYPT_DECRYPT",
  multi_region: false,
  rotation_period_in_days: 365,
  tags: null,
  timeouts: null,
});

interface Change {
  address: string;
  actions: string[];
  before: Obj | null;
  after: Obj | null;
  afterUnknown?: Obj;
  deposed?: string;
  actionReason?: string;
}

/** A whole plan document: planned values for what will exist, the changes, the configuration. */
function plan(tool: Tool, changes: Change[], opts: { planned?: boolean } = {}): Obj {
  const base = (address: string): Obj => ({
    address,
    mode: "managed",
    type: "aws_kms_key",
    name: address.split(".")[1].replace(/\[.*$/, ""),
    provider_name: PROVIDER[tool],
  });
  const remaining = changes.filter(
    (c) => c.deposed === undefined && !c.actions.every((a) => a === "delete" || a === "forget"),
  );
  const doc: Obj = {
    format_version: "1.2",
    terraform_version: VERSION[tool],
    resource_changes: changes.map((c) => ({
      ...base(c.address),
      ...(c.deposed ? { deposed: c.deposed } : {}),
      change: {
        actions: c.actions,
        before: c.before,
        after: c.after,
        after_unknown: c.afterUnknown ?? (c.after ? { arn: true, id: true, key_id: true } : {}),
        before_sensitive: c.before ? {} : false,
        after_sensitive: c.after ? {} : false,
      },
      ...(c.actionReason ? { action_reason: c.actionReason } : {}),
    })),
    configuration: {
      provider_config: { aws: { name: "aws", full_name: PROVIDER[tool] } },
      root_module: {
        resources: [...new Set(remaining.map((c) => c.address))].map((address) => ({
          address,
          mode: "managed",
          type: "aws_kms_key",
          name: address.split(".")[1],
          provider_config_key: "aws",
          expressions: {
            enable_key_rotation:
              changes.find((c) => c.address === address)?.afterUnknown?.enable_key_rotation === true
                ? ({ references: ["var.rotate"] } as Obj)
                : ({ constant_value: true } as Obj),
            deletion_window_in_days: { constant_value: 30 },
            description: { constant_value: "phi" },
          },
          schema_version: 0,
        })),
      },
    },
    timestamp: "2026-11-30T10:00:00Z",
    errored: false,
  };
  if (opts.planned !== false) {
    doc.planned_values = {
      root_module: {
        resources: remaining.map((c) => ({
          ...base(c.address),
          schema_version: 0,
          values: c.after,
          sensitive_values: { tags_all: {} },
        })),
      },
    };
  }
  return doc;
}

const verdicts = (doc: Obj) =>
  gate
    .evaluate(normalizeDocument(doc as Json, "plan.json", "plan"))
    .map((r) => `${r.rule} ${r.resource} ${r.status}`);

describe.each<Tool>(["terraform", "tofu"])("%s plan JSON", (tool) => {
  test("the provider's registry does not matter: the same findings from both tools", () => {
    const changes: Change[] = [
      { address: "aws_kms_key.phi", actions: ["create"], before: null, after: keyValues(false) },
    ];
    const other: Tool = tool === "terraform" ? "tofu" : "terraform";
    expect(verdicts(plan(tool, changes))).toEqual(verdicts(plan(other, changes)));
    expect(verdicts(plan(tool, changes))).toContain("IMGSEC-KMS-001 aws_kms_key.phi FAIL");
  });

  test.each([
    [["delete", "create"], "replace_because_cannot_update"],
    [["create", "delete"], "replace_because_cannot_update"],
  ])("a replacement %j is checked as its new object", (actions, reason) => {
    const doc = plan(tool, [
      {
        address: "aws_kms_key.phi",
        actions,
        before: { ...keyValues(false, 7), arn: "arn:aws:kms:us-east-1:111122223333:key/old" },
        after: keyValues(true),
        actionReason: reason,
      },
    ]);
    const v = verdicts(doc);
    expect(v).toContain("IMGSEC-KMS-001 aws_kms_key.phi PASS");
    expect(v).toContain("IMGSEC-KMS-002 aws_kms_key.phi PASS");
  });

  test("a resource being deleted is not checked: it will not exist", () => {
    const doc = plan(tool, [
      {
        address: "aws_kms_key.old",
        actions: ["delete"],
        before: keyValues(false, 7),
        after: null,
        actionReason: "delete_because_no_resource_config",
      },
      { address: "aws_kms_key.phi", actions: ["create"], before: null, after: keyValues(true) },
    ]);
    const n = normalizeDocument(doc as Json, "plan.json", "plan");
    expect(Object.keys(n.resources)).toEqual(["aws_kms_key.phi"]);
    expect(verdicts(doc).filter((v) => v.includes("aws_kms_key.old"))).toEqual([]);
  });

  test("a deleted resource a hand-made plan still lists among planned values is dropped too", () => {
    const doc = plan(tool, [
      { address: "aws_kms_key.old", actions: ["delete"], before: keyValues(false), after: null },
    ]);
    (doc.planned_values as Obj).root_module = {
      resources: [
        {
          address: "aws_kms_key.old",
          mode: "managed",
          type: "aws_kms_key",
          name: "old",
          provider_name: PROVIDER[tool],
          values: keyValues(false),
        },
      ],
    };
    expect(verdicts(doc)).toEqual([]);
  });

  test("create_before_destroy: the deposed object is not checked, the new one is", () => {
    const doc = plan(tool, [
      { address: "aws_kms_key.phi", actions: ["create"], before: null, after: keyValues(true) },
      {
        address: "aws_kms_key.phi",
        actions: ["delete"],
        before: keyValues(false, 7),
        after: null,
        deposed: "00000001",
      },
    ]);
    expect(verdicts(doc)).toContain("IMGSEC-KMS-001 aws_kms_key.phi PASS");
    expect(verdicts(doc)).toContain("IMGSEC-KMS-002 aws_kms_key.phi PASS");
  });

  test("forget (a removed block that keeps the object) is not checked", () => {
    const doc = plan(tool, [
      { address: "aws_kms_key.kept", actions: ["forget"], before: keyValues(false), after: null },
    ]);
    expect(verdicts(doc)).toEqual([]);
  });

  test("without planned_values, `after` is checked and `after_unknown` makes a configured value UNKNOWN", () => {
    const after = keyValues(true);
    delete after.enable_key_rotation; // unknown until apply: absent from after
    const doc = plan(
      tool,
      [
        {
          address: "aws_kms_key.phi",
          actions: ["create"],
          before: null,
          after,
          afterUnknown: { arn: true, id: true, enable_key_rotation: true },
        },
      ],
      { planned: false },
    );
    const n = normalizeDocument(doc as Json, "plan.json", "plan");
    expect(n.resources["aws_kms_key.phi"].values.enable_key_rotation).toBe(UNKNOWN);
    expect(n.resources["aws_kms_key.phi"].values.arn).toBeUndefined(); // computed, not configured
    const v = verdicts(doc);
    expect(v).toContain("IMGSEC-KMS-001 aws_kms_key.phi UNKNOWN");
    expect(v).toContain("IMGSEC-KMS-002 aws_kms_key.phi PASS");
  });

  test("an errored plan and a state document are refused: neither says what will exist", () => {
    const errored = { ...plan(tool, []), errored: true };
    expect(() => normalizeDocument(errored as Json, "plan.json", "plan")).toThrow(
      /^plan: the plan errored/,
    );
    const state = {
      format_version: "1.0",
      terraform_version: VERSION[tool],
      values: { root_module: { resources: [] } },
    };
    expect(() => normalizeDocument(state as Json, "state.json", "s")).toThrow(
      /is a state .* not a plan/,
    );
  });
});

describe("count and module instances in plans", () => {
  test("config addresses drop instance keys, quoted for_each keys holding ']' included", () => {
    const doc = plan("tofu", [
      {
        address: 'aws_kms_key.k["a]b"]',
        actions: ["create"],
        before: null,
        after: keyValues(true),
      },
    ]);
    const n = normalizeDocument(doc as Json, "plan.json", "plan");
    expect(n.resources['aws_kms_key.k["a]b"]'].config_address).toBe("aws_kms_key.k");
  });
});
