import {
  documentFromDataSource,
  isPolicyDocumentDataSource,
  policiesOf,
  unknownDocument,
} from "../../policies/engine/policy-docs";
import { Obj, UNKNOWN } from "../../policies/engine/document";
import { DeploymentGate, defaultParams } from "../../policies/engine/engine";
import { normalizeDocument } from "../../policies/engine/normalize";

const statements = (doc: Obj | null | undefined) => (doc?.Statement ?? []) as Obj[];

describe("aws_iam_policy_document data sources become policy documents", () => {
  test("statement blocks render as the provider renders them; effect defaults to Allow", () => {
    const doc = documentFromDataSource({
      version: "2012-10-17",
      statement: [
        {
          sid: "Read",
          actions: ["s3:GetObject"],
          resources: ["${aws_s3_bucket.raw.arn}/*"],
          principals: [
            { type: "AWS", identifiers: ["arn:aws:iam::111122223333:root"] },
            { type: "AWS", identifiers: ["${aws_iam_role.app.arn}"] },
            { type: "Service", identifiers: ["lambda.amazonaws.com"] },
          ],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: ["111122223333"] },
            { test: "StringEquals", variable: "aws:SourceAccount", values: ["444455556666"] },
            { test: "Bool", variable: "aws:SecureTransport", values: ["true"] },
          ],
        },
        { effect: "Deny", not_actions: ["s3:GetObject"], not_resources: ["arn:aws:s3:::x"] },
      ],
    });
    expect(doc.Version).toBe("2012-10-17");
    expect(statements(doc)).toEqual([
      {
        Sid: "Read",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: ["${aws_s3_bucket.raw.arn}/*"],
        Principal: {
          AWS: ["arn:aws:iam::111122223333:root", "${aws_iam_role.app.arn}"],
          Service: ["lambda.amazonaws.com"],
        },
        Condition: {
          StringEquals: { "aws:SourceAccount": ["111122223333", "444455556666"] },
          Bool: { "aws:SecureTransport": ["true"] },
        },
      },
      { Effect: "Deny", NotAction: ["s3:GetObject"], NotResource: ["arn:aws:s3:::x"] },
    ]);
  });

  test('principals of type "*" with identifiers ["*"] are Principal "*"; one block may be an object', () => {
    const doc = documentFromDataSource({
      statement: { actions: "sns:Publish", principals: { type: "*", identifiers: ["*"] } },
    });
    expect(statements(doc)).toEqual([{ Effect: "Allow", Action: ["sns:Publish"], Principal: "*" }]);
  });

  test("source documents come first; own statements, then overrides, replace the same sid", () => {
    const source = JSON.stringify({
      Statement: [
        { Sid: "A", Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
        { Sid: "B", Effect: "Allow", Action: "s3:PutObject", Resource: "*" },
      ],
    });
    const override = JSON.stringify({
      Statement: [{ Sid: "C", Effect: "Deny", Action: "s3:*", Resource: "*" }],
    });
    const doc = documentFromDataSource({
      source_policy_documents: [source],
      override_policy_documents: [override],
      statement: [
        { sid: "B", actions: ["s3:DeleteObject"], resources: ["*"] },
        { sid: "C", actions: ["kms:Decrypt"], resources: ["*"] },
      ],
    });
    expect(statements(doc).map((s) => [s.Sid, s.Effect, s.Action])).toEqual([
      ["A", "Allow", ["s3:GetObject"]],
      ["B", "Allow", ["s3:DeleteObject"]],
      ["C", "Deny", ["s3:*"]],
    ]);
  });

  test("what cannot be known is unknown, never dropped", () => {
    // A statement block that is an expression (a dynamic block over an unknown value).
    expect(documentFromDataSource({ statement: [UNKNOWN] })).toEqual(unknownDocument());
    // A source document that is another data source's json: not resolved here.
    expect(
      documentFromDataSource({
        source_policy_documents: ["${data.aws_iam_policy_document.base.json}"],
        statement: [{ actions: ["s3:GetObject"], resources: ["*"] }],
      }),
    ).toEqual(unknownDocument());
    // A list element a plan does not know yet (null), principals and conditions that are expressions.
    const doc = documentFromDataSource({
      statement: [
        { actions: ["s3:GetObject"], resources: [null], principals: UNKNOWN, condition: [UNKNOWN] },
      ],
    });
    expect(statements(doc)).toEqual([
      {
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [UNKNOWN],
        Principal: UNKNOWN,
        Condition: UNKNOWN,
      },
    ]);
  });

  test("a plan's rendered json is the document when it is known", () => {
    const json = JSON.stringify({
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Action: "*", Resource: "*" },
    });
    const doc = documentFromDataSource({ json, statement: [{ actions: ["s3:GetObject"] }] });
    expect(statements(doc)).toEqual([{ Effect: "Allow", Action: ["*"], Resource: ["*"] }]);
  });

  test("recognized by type when the caller gives it, by its attributes otherwise", () => {
    const values: Obj = { statement: [{ actions: ["s3:GetObject"], resources: ["*"] }] };
    expect(policiesOf(values, "aws_iam_policy_document").json).toBeTruthy();
    expect(policiesOf(values, "aws_wafv2_web_acl").json).toBeUndefined();
    expect(policiesOf(values).json).toBeTruthy();
    // WAF rules have statement blocks too, with keys of their own.
    const waf: Obj = { name: "acl", statement: [{ byte_match_statement: {} }] };
    expect(isPolicyDocumentDataSource(waf)).toBe(false);
    expect(policiesOf(waf).json).toBeUndefined();
    expect(
      isPolicyDocumentDataSource({ statement: [{ effect: "Deny", sid: "x" }], count: 1 }),
    ).toBe(true);
  });
});

describe("other policy sources", () => {
  test("an SSO permission set's inline_policy string is a document; role blocks stay per block", () => {
    const sso = policiesOf({
      inline_policy: JSON.stringify({ Statement: { Action: "s3:*", Resource: "*" } }),
      permission_set_arn: "x",
    });
    expect(statements(sso.inline_policy)).toEqual([{ Action: ["s3:*"], Resource: ["*"] }]);
    expect(policiesOf({ inline_policy: UNKNOWN }).inline_policy).toEqual(unknownDocument());
    const role = policiesOf({
      inline_policy: [{ name: "a", policy: '{"Statement":[]}' }],
      assume_role_policy: "{}",
    });
    expect(Object.keys(role).sort()).toEqual(["assume_role_policy", "inline_policy.0"]);
  });
});

describe("through the gate: documents the rules could not read before", () => {
  const gate = DeploymentGate.load();
  const check = (resource: Obj, data: Obj = {}) =>
    gate
      .evaluate(normalizeDocument({ resource, data }, "main.tf.json", "t"), defaultParams())
      .filter((r) => r.rule === "IMGSEC-IAM-001")
      .map((r) => `${r.status} ${r.resource}`);

  test("a policy written as an aws_iam_policy_document data source is checked", () => {
    const data = {
      aws_iam_policy_document: {
        admin: { statement: [{ actions: ["*"], resources: ["*"] }] },
        scoped: { statement: [{ actions: ["s3:GetObject"], resources: ["*"] }] },
      },
    };
    const policy = (doc: string) => ({
      aws_iam_policy: { p: { name: "p", policy: `\${data.aws_iam_policy_document.${doc}.json}` } },
    });
    expect(check(policy("admin"), data)).toEqual(["FAIL aws_iam_policy.p"]);
    expect(check(policy("scoped"), data)).toEqual(["PASS aws_iam_policy.p"]);
  });

  test("a statement without an Effect is read as Allow (fail closed)", () => {
    const policy = JSON.stringify({ Statement: [{ Action: "*", Resource: "*" }] });
    expect(check({ aws_iam_policy: { p: { name: "p", policy } } })).toEqual([
      "FAIL aws_iam_policy.p",
    ]);
  });

  test("an SSO permission set's inline policy is checked", () => {
    const inline = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
    expect(
      check({
        aws_ssoadmin_permission_set_inline_policy: {
          p: { inline_policy: inline, instance_arn: "i", permission_set_arn: "ps" },
        },
      }),
    ).toEqual(["FAIL aws_ssoadmin_permission_set_inline_policy.p"]);
  });
});
