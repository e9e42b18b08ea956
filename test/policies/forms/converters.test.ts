/**
 * The converters forms.test.ts compares the gate's forms with: the provider schema they read
 * (schema.ts), cdktf JSON to HCL (to-hcl.ts), to the array form (to-array-json.ts) and to plan
 * JSON (to-plan.ts). Each is checked on what it writes, and, where the gate's loader can say, on
 * the loader reading it back as the cdktf JSON it came from.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { Json, NormalizedResource } from "../../../policies/engine/document";
import { closeHclParser } from "../../../policies/engine/config/hcl-parser";
import { loadStacks, normalizeDocument } from "../../../policies/engine/normalize";
import { Tf } from "../mutations/types";
import { bodySchema } from "./schema";
import { toArrayJson } from "./to-array-json";
import { expression, quote, toHcl } from "./to-hcl";
import { ACCOUNT, templateParts, toPlan } from "./to-plan";

const dir = mkdtempSync(join(tmpdir(), "imgsec-converters-"));
afterAll(async () => {
  await closeHclParser();
  rmSync(dir, { recursive: true, force: true });
});

/** A small cdktf document: a map attribute, nested blocks, meta-arguments, a data source. */
const sample = (): Tf => ({
  "//": { metadata: { stackName: "sample", version: "0.21.0" } },
  data: { aws_partition: { p: { "//": { metadata: { path: "sample/p" } } } } },
  resource: {
    aws_kms_key: {
      k: {
        "//": { metadata: { path: "sample/k", uniqueId: "k" } },
        description: 'a "quoted" $${literal}\nline',
        enable_key_rotation: true,
        depends_on: ["aws_sqs_queue.q"],
        lifecycle: { prevent_destroy: true, ignore_changes: ["tags"] },
      },
    },
    aws_sqs_queue: {
      q: {
        name: "jobs",
        kms_master_key_id: "${aws_kms_key.k.arn}",
        tags: { "imgsec:purpose": "dlq", Team: "x" },
      },
    },
    aws_s3_bucket_versioning: {
      v: {
        bucket: "b-${data.aws_partition.p.partition}",
        versioning_configuration: { status: "Enabled" },
      },
    },
  },
});

const withoutSource = (rs: Record<string, NormalizedResource>) =>
  Object.fromEntries(
    Object.entries(rs).map(([k, r]) => {
      const { source: _source, ...rest } = r;
      return [k, rest];
    }),
  );

let files = 0;
/** The HCL text as loadStacks reads it from a file. */
const loadHcl = (text: string) => {
  const file = join(dir, `${files++}.tf`);
  writeFileSync(file, text);
  return loadStacks(file)[0];
};

describe("schema: blocks and attributes from the provider's cdktf bindings", () => {
  test("nested blocks are blocks, maps and scalars are attributes, at every level", () => {
    const sse = bodySchema("aws_s3_bucket_server_side_encryption_configuration", "resource");
    const rule = sse.key("rule");
    expect(rule?.block).toBe(true);
    expect(sse.key("bucket")).toEqual({ block: false });
    expect(sse.key("no_such_attribute")).toBeUndefined();
    if (!rule?.block) throw new Error("rule is a block");
    expect(rule.body.key("apply_server_side_encryption_by_default")?.block).toBe(true);
    expect(rule.body.key("bucket_key_enabled")).toEqual({ block: false });
    // A map whose keys look like names stays a map: the reason to read a schema at all.
    const env = bodySchema("aws_lambda_function", "resource").key("environment");
    if (!env?.block) throw new Error("environment is a block");
    expect(env.body.key("variables")).toEqual({ block: false });
    expect(bodySchema("aws_s3_bucket", "resource").key("tags")).toEqual({ block: false });
    expect(bodySchema("aws_iam_policy_document", "data").key("statement")?.block).toBe(true);
    expect(bodySchema("aws", "provider").key("default_tags")?.block).toBe(true);
  });

  test("computed keys: those only the provider sets, and optional ones it fills in", () => {
    const key = bodySchema("aws_kms_key", "resource");
    expect(key.computed("arn")).toBe(true);
    expect(key.computed("key_id")).toBe(true);
    expect(key.computed("policy")).toBe(true); // optional, and computed when left out
    expect(key.computed("enable_key_rotation")).toBe(false);
    expect(key.keys()).toEqual(
      expect.arrayContaining(["arn", "description", "enable_key_rotation"]),
    );
    // Attributes written as blocks (ConfigModeAttr) are computed as a whole.
    expect(bodySchema("aws_security_group", "resource").computed("egress")).toBe(true);
  });

  test("a type the provider does not have is refused, naming it", () => {
    expect(() => bodySchema("aws_no_such_thing", "resource")).toThrow(
      "no cdktf binding for resource aws_no_such_thing",
    );
  });
});

describe("to-hcl", () => {
  test("writes blocks, maps, meta-arguments and templates as a Terraform user would", () => {
    expect(toHcl(sample())).toBe(
      [
        'data "aws_partition" "p" {}',
        "",
        'resource "aws_kms_key" "k" {',
        '  description = "a \\"quoted\\" $${literal}\\nline"',
        "  enable_key_rotation = true",
        "  depends_on = [aws_sqs_queue.q]",
        "  lifecycle {",
        "    prevent_destroy = true",
        "    ignore_changes = [tags]",
        "  }",
        "}",
        "",
        'resource "aws_sqs_queue" "q" {',
        '  name = "jobs"',
        '  kms_master_key_id = "${aws_kms_key.k.arn}"',
        "  tags = {",
        '    "imgsec:purpose" = "dlq"',
        '    "Team" = "x"',
        "  }",
        "}",
        "",
        'resource "aws_s3_bucket_versioning" "v" {',
        '  bucket = "b-${data.aws_partition.p.partition}"',
        "  versioning_configuration {",
        '    status = "Enabled"',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  test("quoted strings: HCL's escapes, template sequences kept", () => {
    expect(quote('a"b\\c\nd\re\tf\u0001g\u007f')).toBe('"a\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007f"');
    expect(quote("${aws_s3_bucket.b.arn}/* $${x} %%{y} é ☃")).toBe(
      '"${aws_s3_bucket.b.arn}/* $${x} %%{y} é ☃"',
    );
    // A literal (a variable's default) escapes template sequences instead.
    expect(expression("${x} %{y}", 0, true)).toBe('"$${x} %%{y}"');
    expect(expression([1, -2.5, null, false])).toBe("[1, -2.5, null, false]");
  });

  test("one block per element of a list of blocks; an empty list stays an attribute", () => {
    const hcl = toHcl({
      resource: {
        aws_security_group: {
          sg: {
            ingress: [],
            egress: [
              { from_port: 443, to_port: 443, protocol: "tcp", cidr_blocks: ["10.0.0.0/8"] },
              { from_port: 53, to_port: 53, protocol: "udp", cidr_blocks: ["10.0.0.0/8"] },
            ],
          },
        },
      },
    });
    expect(hcl).toContain("  ingress = []\n");
    expect(hcl.match(/^ {2}egress \{$/gm)).toHaveLength(2);
  });

  test("the loader reads the HCL as the JSON it came from (but for source locations)", () => {
    const json = normalizeDocument(sample(), "sample.json", "sample");
    const hcl = loadHcl(toHcl(sample()));
    expect(hcl.source).toBe("hcl");
    expect(withoutSource(hcl.resources)).toEqual(withoutSource(json.resources));
    expect(hcl.resources["aws_sqs_queue.q"].source).toMatchObject({ startLine: 13, endLine: 20 });
  });

  test("property: any string survives the trip through HCL as through JSON", () => {
    // Characters that need escaping or start template sequences, and some that do not.
    const ch = fc.constantFrom(...Array.from('ab "\\\n\r\t\u0001\u007f$%{}é☃😀'), "$${", "%%{");
    const text = fc
      .array(ch, { maxLength: 24 })
      .map((xs) => xs.join(""))
      // A lone "${" or "%{" starts a template in JSON and in HCL alike: not a literal. Three or
      // more "$" or "%" before "{" are left out: HCL's scanners read "%%%{" differently (the
      // loader's parser refuses it), and no configuration means it.
      .filter((s) => !/(^|[^$])\$\{|(^|[^%])%\{/.test(s.replace(/\$\$\{|%%\{/g, "")))
      .filter((s) => !/(\$\$\$|%%%)\{/.test(s));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 8 }), (strings) => {
        const doc: Tf = { resource: { aws_sqs_queue: {} } };
        strings.forEach((s, i) => (doc.resource.aws_sqs_queue[`q${i}`] = { name: s }));
        const json = normalizeDocument(doc, "main.tf.json", "s").resources;
        const hcl = loadHcl(toHcl(doc)).resources;
        for (const k of Object.keys(json)) expect(hcl[k].values.name).toEqual(json[k].values.name);
      }),
      { numRuns: 40 },
    );
  });

  test("what it does not model is refused, not dropped", () => {
    expect(() => toHcl({ moved: { from: "a", to: "b" } })).toThrow(
      "does not write top-level moved blocks",
    );
    expect(() =>
      toHcl({ resource: { aws_sqs_queue: { q: { depends_on: ["${upper(x)}"] } } } }),
    ).toThrow("depends_on is not a reference");
  });
});

describe("to-array-json", () => {
  const isObj = (v: unknown): v is Record<string, Json> =>
    typeof v === "object" && v !== null && !Array.isArray(v);

  test("every label level and body is an array of objects, with comments", () => {
    const doc = sample();
    const before = JSON.stringify(doc);
    const out = toArrayJson(doc);
    expect(JSON.stringify(doc)).toBe(before); // the input is left alone
    expect(typeof out["//"]).toBe("string"); // no cdktf metadata: it reads as plain tf.json
    const resources = out.resource as Json[];
    expect(Array.isArray(resources)).toBe(true);
    const byType = Object.assign({}, ...resources.map((x) => x as object)) as Record<string, Json>;
    const queues = byType.aws_sqs_queue as Record<string, Json>[];
    expect(Array.isArray(queues)).toBe(true);
    const q = (queues.find((x) => "q" in x) as Record<string, Json[]>).q;
    expect(Array.isArray(q) && q.length === 1 && isObj(q[0])).toBe(true);
    // A map attribute keeps its form (a "//" in it would be a tag); a nested block is a list.
    expect((q[0] as Record<string, Json>).tags).toEqual({ "imgsec:purpose": "dlq", Team: "x" });
    const text = JSON.stringify(out);
    expect(text).toContain('"versioning_configuration":[{');
    expect((text.match(/"\/\/":"/g) ?? []).length).toBeGreaterThan(3);
    expect(text).not.toContain("metadata");
  });

  test("splits label levels across several objects", () => {
    const doc: Tf = { resource: { aws_sqs_queue: { a: {}, b: {}, c: {}, d: {} } } };
    const types = toArrayJson(doc).resource as Record<string, Json>[];
    const chunks = types[0].aws_sqs_queue as Record<string, Json>[];
    expect(chunks.map((c) => Object.keys(c).filter((k) => k !== "//"))).toEqual([
      ["a"],
      ["b", "c"],
      ["d"],
    ]);
  });

  test("the loader reads it as the object form (but for source locations)", () => {
    const text = JSON.stringify(toArrayJson(sample()), null, 2);
    const arrays = normalizeDocument(JSON.parse(text), "main.tf.json", "sample", { text });
    const objects = normalizeDocument(sample(), "sample.json", "sample");
    expect(arrays.source).toBe("tfjson");
    expect(withoutSource(arrays.resources)).toEqual(withoutSource(objects.resources));
  });
});

describe("to-plan", () => {
  test("templates: escapes undone, interpolations found through nested braces and quotes", () => {
    expect(templateParts("a$${b}%%{c}${aws_x.y.z}d")).toEqual([
      { text: "a${b}%{c}" },
      { expr: "aws_x.y.z" },
      { text: "d" },
    ]);
    expect(templateParts('${ jsonencode({a = "}"}) }!')).toEqual([
      { expr: 'jsonencode({a = "}"})' },
      { text: "!" },
    ]);
    expect(() => templateParts("%{ if x }y%{ endif }")).toThrow("template directives");
  });

  type Change = { address: string; change: { actions: string[]; after: Tf; after_unknown: Tf } };
  const changeOf = (plan: Tf, address: string): Change["change"] =>
    (plan.resource_changes as Change[]).find((c) => c.address === address)
      ?.change as Change["change"];
  const configOf = (plan: Tf, address: string): Tf =>
    (plan.configuration.root_module.resources as Tf[]).find((r) => r.address === address)
      ?.expressions;

  test("a first deployment: computed values and strings made from them are known after apply", () => {
    const plan = toPlan(sample(), { state: "create" });
    const queue = changeOf(plan, "aws_sqs_queue.q");
    expect(queue.actions).toEqual(["create"]);
    // kms_master_key_id names a new key's ARN: left out of after, true in after_unknown.
    expect(queue.after).not.toHaveProperty("kms_master_key_id");
    expect(queue.after_unknown).toMatchObject({ kms_master_key_id: true, arn: true, url: true });
    expect(queue.after).toMatchObject({ name: "jobs", tags: { Team: "x" }, delay_seconds: null });
    // Data sources are read while planning; configured values are known; blocks are lists.
    const versioning = changeOf(plan, "aws_s3_bucket_versioning.v");
    expect(versioning.after).toMatchObject({
      bucket: "b-aws",
      versioning_configuration: [{ status: "Enabled" }],
      mfa: null,
    });
    expect(versioning.after_unknown.versioning_configuration).toEqual([{ mfa_delete: true }]);
    // A literal `$${` is a literal `${` in the planned value.
    expect(changeOf(plan, "aws_kms_key.k").after.description).toBe('a "quoted" ${literal}\nline');
    expect(configOf(plan, "aws_sqs_queue.q")).toEqual({
      name: { constant_value: "jobs" },
      kms_master_key_id: { references: ["aws_kms_key.k.arn", "aws_kms_key.k"] },
      tags: { constant_value: { "imgsec:purpose": "dlq", Team: "x" } },
    });
    expect(configOf(plan, "aws_s3_bucket_versioning.v")).toEqual({
      bucket: { references: ["data.aws_partition.p.partition", "data.aws_partition.p"] },
      versioning_configuration: [{ status: { constant_value: "Enabled" } }],
    });
  });

  test("a string with one unknown part is wholly unknown; a configured attribute is known", () => {
    const plan = toPlan(
      {
        resource: {
          aws_sqs_queue: { q: { name: "jobs" } },
          aws_sns_topic: {
            t: { name: "alarms-${aws_sqs_queue.q.name}", display_name: "${aws_sqs_queue.q.arn}:x" },
          },
        },
      },
      { state: "create" },
    );
    const topic = changeOf(plan, "aws_sns_topic.t");
    expect(topic.after.name).toBe("alarms-jobs");
    expect(topic.after).not.toHaveProperty("display_name");
    expect(topic.after_unknown.display_name).toBe(true);
  });

  test("unknown list elements are null in after and true in after_unknown, known ones false", () => {
    const plan = toPlan(
      {
        resource: {
          aws_sqs_queue: { q: { name: "jobs" } },
          aws_cloudwatch_metric_alarm: {
            a: {
              alarm_name: "a",
              comparison_operator: "GreaterThanThreshold",
              evaluation_periods: 1,
              alarm_actions: ["arn:aws:sns:us-east-1:111122223333:x", "${aws_sqs_queue.q.arn}"],
            },
          },
        },
      },
      { state: "create" },
    );
    const alarm = changeOf(plan, "aws_cloudwatch_metric_alarm.a");
    expect(alarm.after.alarm_actions).toEqual(["arn:aws:sns:us-east-1:111122223333:x", null]);
    expect(alarm.after_unknown.alarm_actions).toEqual([false, true]);
  });

  test("a deployed stack: computed values come from state, all known", () => {
    const plan = toPlan(sample(), { state: "existing" });
    const queue = changeOf(plan, "aws_sqs_queue.q");
    expect(queue.actions).toEqual(["no-op"]);
    expect(queue.after_unknown).toEqual({ tags: {}, timeouts: [] });
    expect(queue.after.kms_master_key_id).toMatch(
      new RegExp(`^arn:aws:kms:us-east-1:${ACCOUNT}:key/[0-9a-f]{8}-[0-9a-f]{4}-`),
    );
    expect(queue.after.url).toBe(`https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs`);
  });

  test("the gate reads it as a plan, with references from the configuration", () => {
    const stack = normalizeDocument(
      toPlan(sample(), { state: "create" }) as Json,
      "plan.json",
      "p",
    );
    expect(stack.source).toBe("plan");
    expect(stack.resources["aws_sqs_queue.q"].refs).toEqual({
      kms_master_key_id: ["aws_kms_key.k"],
    });
    expect(stack.resources["data.aws_partition.p"].mode).toBe("data");
  });

  test("an aws_iam_policy_document data source is rendered while planning", () => {
    const plan = toPlan(
      {
        data: {
          aws_iam_policy_document: {
            d: { statement: [{ actions: ["kms:ReEncrypt*"], resources: ["*"] }] },
          },
        },
        resource: { aws_iam_policy: { p: { policy: "${data.aws_iam_policy_document.d.json}" } } },
      },
      { state: "create" },
    );
    expect(JSON.parse(changeOf(plan, "aws_iam_policy.p").after.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "kms:ReEncrypt*", Resource: "*" }],
    });
  });

  test("what it does not model is refused, not guessed", () => {
    const one = (body: Tf) => () => toPlan({ resource: { aws_sqs_queue: { q: body } } });
    expect(one({ name: "${upper(aws_sqs_queue.x.name)}" })).toThrow("only plain references");
    expect(one({ name: "${var.name}" })).toThrow("var.* is not modelled");
    expect(one({ name: "x", count: 2 })).toThrow("count, for_each and dynamic blocks");
    expect(one({ name: "${aws_sqs_queue.missing.name}" })).toThrow("does not declare");
  });
});
