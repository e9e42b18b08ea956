import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Json, normalizeDocument, parsePolicy, UNKNOWN } from "../../policies/engine/normalize";
import { runCli } from "../helpers/cli";

const tmp = mkdtempSync(join(tmpdir(), "imgsec-unknown-"));

/** A folder holding one *.tf.json, as a Terraform user writes it. */
function tfDir(name: string, doc: object): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify(doc, null, 2));
  return dir;
}

const doc = (
  resource: Record<string, Record<string, object>>,
  data: Record<string, Record<string, object>> = {},
) => ({ variable: { x: {}, on: {} }, resource, data });

describe("normalizer: what is known", () => {
  const n = normalizeDocument(
    doc(
      {
        aws_iam_role: {
          r: {
            name: "r",
            assume_role_policy: JSON.stringify({
              Statement: [
                { Effect: "Allow", Principal: { AWS: "${var.x}" }, Action: "sts:AssumeRole" },
                {
                  Effect: "Allow",
                  Principal: { AWS: "arn:aws:iam::${var.account}:root" },
                  Action: "sts:AssumeRole",
                },
              ],
            }),
          },
        },
        aws_kms_key: {
          k: { policy: "${var.policy}", description: "$${not an interpolation}" },
          j: { policy: "${data.aws_iam_policy_document.p.json}" },
          broken: { policy: "{not json" },
        },
        aws_cloudwatch_metric_alarm: {
          a: {
            alarm_actions: ["${aws_sns_topic.t.arn}", "${aws_sns_topic.missing.arn}"],
            actions_enabled: "${var.on ? true : false}",
            alarm_description: '${jsonencode({a = "}"})}-%{if var.on}x%{endif}',
          },
        },
        aws_sns_topic: { t: { name: "t" } },
      },
      { aws_iam_policy_document: { p: {} } },
    ) as Json,
    "main.tf.json",
    "s",
  );
  const r = (a: string) => n.resources[a];

  test("a variable, a local, a function call, a conditional or a missing resource is UNKNOWN", () => {
    const alarm = r("aws_cloudwatch_metric_alarm.a");
    expect(alarm.values.actions_enabled).toBe(UNKNOWN);
    expect(alarm.values.alarm_actions).toEqual(["${aws_sns_topic.t.arn}", UNKNOWN]);
    // Nested braces and quotes inside a template are evaluated (jsonencode is known); a %{ }
    // directive on an unknown condition is one unknown part.
    expect(alarm.values.alarm_description).toBe(`{"a":"}"}-${UNKNOWN}`);
  });

  test("a reference to a resource of the same document stays, and is listed in refs", () => {
    expect(r("aws_cloudwatch_metric_alarm.a").refs.alarm_actions).toEqual(["aws_sns_topic.t"]);
  });

  test("literal parts around an unknown survive; Terraform's $${ escape is a literal", () => {
    const st = (r("aws_iam_role.r").policies.assume_role_policy as { Statement: object[] })
      .Statement;
    expect(st[0]).toMatchObject({ Principal: { AWS: UNKNOWN } });
    expect(st[1]).toMatchObject({ Principal: { AWS: "arn:aws:iam::${?}:root" } });
    expect(r("aws_kms_key.k").values.description).toBe("$${not an interpolation}");
  });

  test("a policy built by an expression is an unknown document; one that is not JSON is null", () => {
    expect(r("aws_kms_key.k").policies.policy).toEqual({ unknown: true, Statement: [] });
    expect(r("aws_kms_key.j").policies.policy).toEqual({ unknown: true, Statement: [] });
    expect(r("aws_kms_key.broken").policies.policy).toBeNull();
    expect(parsePolicy('{"Statement": []}')).toEqual({ Statement: [] });
    // A statement that is itself unknown is not dropped: the whole document is unknown.
    expect(parsePolicy('{"Statement": ["${?}", {"Effect": "Allow"}]}')).toEqual({
      unknown: true,
      Statement: [],
    });
  });
});

describe("normalizer: plan values known only after apply", () => {
  const plan = {
    format_version: "1.2",
    terraform_version: "1.10.0",
    planned_values: {
      root_module: {
        resources: [
          {
            address: "aws_cloudwatch_metric_alarm.a",
            mode: "managed",
            type: "aws_cloudwatch_metric_alarm",
            name: "a",
            values: { alarm_actions: ["arn:aws:sns:us-east-1:111122223333:t"] },
          },
          {
            address: "aws_kms_key.k",
            mode: "managed",
            type: "aws_kms_key",
            name: "k",
            values: { enable_key_rotation: true },
          },
          {
            address: "aws_cloudtrail.t",
            mode: "managed",
            type: "aws_cloudtrail",
            name: "t",
            values: { event_selector: [{ read_write_type: "All" }] },
          },
          {
            address: "aws_iam_role.r",
            mode: "managed",
            type: "aws_iam_role",
            name: "r",
            values: { name: "r" },
          },
        ],
      },
    },
    resource_changes: [
      {
        address: "aws_cloudwatch_metric_alarm.a",
        change: { after_unknown: { actions_enabled: true, alarm_actions: [false] } },
      },
      { address: "aws_kms_key.k", change: { after_unknown: { policy: true, arn: true } } },
      {
        address: "aws_cloudtrail.t",
        change: { after_unknown: { event_selector: [{ include_management_events: true }] } },
      },
      {
        address: "aws_iam_role.r",
        change: { after_unknown: { arn: true, managed_policy_arns: true, inline_policy: true } },
      },
    ],
    // Only the role's configuration is given: the other resources fall back to "every unknown counts".
    configuration: {
      root_module: {
        resources: [{ address: "aws_iam_role.r", expressions: { name: { constant_value: "r" } } }],
      },
    },
  };
  const n = normalizeDocument(plan as unknown as Json, "plan.json", "plan");

  test("an after_unknown value is written as UNKNOWN, not left absent (which reads as the default)", () => {
    expect(n.resources["aws_cloudwatch_metric_alarm.a"].values.actions_enabled).toBe(UNKNOWN);
    expect(n.resources["aws_cloudwatch_metric_alarm.a"].values.alarm_actions).toEqual([
      "arn:aws:sns:us-east-1:111122223333:t",
    ]);
    expect(n.resources["aws_cloudtrail.t"].values.event_selector).toEqual([
      { read_write_type: "All", include_management_events: UNKNOWN },
    ]);
  });

  test("what the provider computes and the configuration never sets stays absent", () => {
    const role = n.resources["aws_iam_role.r"];
    expect(role.values).toEqual({ name: "r" });
    expect(role.policies).toEqual({});
  });

  test("a policy known only after apply is an unknown document", () => {
    expect(n.resources["aws_kms_key.k"].policies.policy).toEqual({ unknown: true, Statement: [] });
  });
});

/** Results of one rule from `imgsec check --format json`. */
const ofRule = (stdout: string, rule: string) =>
  (JSON.parse(stdout).results as { rule: string; status: string; resource: string }[]).filter(
    (x) => x.rule === rule,
  );

describe("imgsec check: the gate never passes what it cannot see", () => {
  const policy = (statement: object) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
  const open = { Effect: "Allow", Principal: { AWS: "${var.x}" }, Action: "*", Resource: "*" };
  // One resource per rule the issue names, each judged on a variable.
  const cases: [string, string, Record<string, Record<string, object>>][] = [
    [
      "IMGSEC-IAM-001",
      "aws_iam_policy.p",
      {
        aws_iam_policy: {
          p: { policy: policy({ Effect: "Allow", Action: "${var.act}", Resource: "${var.res}" }) },
        },
      },
    ],
    [
      "IMGSEC-IAM-003",
      "aws_iam_role.r",
      {
        aws_iam_role: {
          r: { name: "r", assume_role_policy: policy({ ...open, Action: "sts:AssumeRole" }) },
        },
      },
    ],
    ["IMGSEC-KMS-004", "aws_kms_key.k", { aws_kms_key: { k: { policy: policy(open) } } }],
    [
      "IMGSEC-S3-010",
      "aws_s3_bucket.b",
      {
        aws_s3_bucket: { b: { bucket: "b" } },
        aws_s3_bucket_policy: {
          p: {
            bucket: "${aws_s3_bucket.b.id}",
            policy: policy({ ...open, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }),
          },
        },
      },
    ],
    [
      "IMGSEC-CW-003",
      "aws_cloudwatch_metric_alarm.a",
      {
        aws_sns_topic: { t: { name: "t" } },
        aws_cloudwatch_metric_alarm: {
          a: { alarm_actions: ["${aws_sns_topic.t.arn}"], actions_enabled: "${var.on}" },
        },
      },
    ],
    [
      "IMGSEC-LMB-005",
      "aws_lambda_permission.p",
      {
        aws_lambda_function: { f: { function_name: "f" } },
        aws_lambda_permission: {
          p: {
            function_name: "${aws_lambda_function.f.function_name}",
            action: "lambda:InvokeFunction",
            principal: "${var.p}",
          },
        },
      },
    ],
  ];

  // A key policy whose statement is a variable: every rule sees an unknown document (the
  // normalizer decides it once), not a document with that statement dropped.
  cases.push([
    "IMGSEC-KMS-004",
    "aws_kms_key.s",
    { aws_kms_key: { s: { policy: '{"Statement": ["${var.statement}"]}' } } },
  ]);

  test.each(cases)("%s on %s: UNKNOWN, never PASS", (rule, address, resources) => {
    const r = runCli(["check", tfDir(`${rule}-${address}`, doc(resources)), "--format", "json"]);
    expect(r.code).toBe(1);
    const results = ofRule(r.stdout, rule);
    expect(results.filter((x) => x.resource === address).map((x) => x.status)).toContain("UNKNOWN");
    expect(results.filter((x) => x.status === "PASS")).toEqual([]);
  });

  test("IMGSEC-CT-005: a trail whose enable_logging is a variable proves no data events", () => {
    const dir = tfDir("ct005", {
      variable: { on: {} },
      resource: {
        aws_s3_bucket: { b: { bucket: "b" } },
        aws_cloudtrail: {
          t: {
            name: "t",
            s3_bucket_name: "logs",
            enable_logging: "${var.on}",
            event_selector: [
              {
                read_write_type: "All",
                include_management_events: true,
                data_resource: [{ type: "AWS::S3::Object", values: ["${aws_s3_bucket.b.arn}/"] }],
              },
            ],
          },
        },
      },
    });
    const results = ofRule(runCli(["check", dir, "--format", "json"]).stdout, "IMGSEC-CT-005");
    expect(results.map((x) => x.status)).toContain("UNKNOWN");
    expect(results.filter((x) => x.status === "PASS")).toEqual([]);
  });

  describe("an UNKNOWN alone", () => {
    const only = () =>
      tfDir(`only-${Math.random().toString(36).slice(2)}`, {
        variable: { on: {} },
        resource: {
          aws_cloudwatch_metric_alarm: {
            a: {
              alarm_actions: ["arn:aws:sns:us-east-1:111122223333:t"],
              actions_enabled: "${var.on}",
            },
          },
        },
      });

    test("fails the gate by default (exit 1), shown and counted in text", () => {
      const r = runCli(["check", only()]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/UNKNOWN IMGSEC-CW-003 {3}aws_cloudwatch_metric_alarm\.a/);
      expect(r.stdout).toMatch(/actions_enabled/);
      expect(r.stdout).toMatch(/^FAILED: 0 passed, 0 failed, 1 unknown, 0 warnings, 0 waived/m);
    });

    test("--unknown warn: exit 0, and the verdict says UNKNOWN did not count", () => {
      const r = runCli(["check", only(), "--unknown", "warn"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^PASSED: 0 passed, 0 failed, 1 unknown, .*--unknown warn/m);
      const j = JSON.parse(
        runCli(["check", only(), "--unknown", "warn", "--format", "json"]).stdout,
      );
      expect(j).toMatchObject({ verdict: "PASSED", unknown: "warn", summary: { unknown: 1 } });
    });

    test("SARIF: a warning; JUnit: a skipped test case with the reason", () => {
      const sarif = JSON.parse(runCli(["check", only(), "--format", "sarif"]).stdout);
      expect(sarif.runs[0].results).toEqual([
        expect.objectContaining({
          ruleId: "IMGSEC-CW-003",
          level: "warning",
          properties: expect.objectContaining({ status: "UNKNOWN" }),
        }),
      ]);
      const junit = runCli(["check", only(), "--format", "junit"]).stdout;
      expect(junit).toMatch(/skipped="1"/);
      expect(junit).toMatch(/<skipped message="UNKNOWN: [^"]*actions_enabled/);
    });

    test("a bad --unknown value is a usage error (exit 2)", () => {
      expect(runCli(["check", only(), "--unknown", "pass"]).code).toBe(2);
    });
  });
});

describe("normalizer: an unknown name relates nothing", () => {
  test("a bucket named by a variable is not the bucket of another variable's versioning", () => {
    const n = normalizeDocument(
      {
        resource: {
          aws_s3_bucket: { b: { bucket: "${var.n}" } },
          aws_s3_bucket_versioning: {
            v: { bucket: "${var.m}", versioning_configuration: { status: "Enabled" } },
          },
        },
      },
      "main.tf.json",
      "s",
    );
    expect(n.resources["aws_s3_bucket.b"].referenced_by).toEqual({});
  });
});
