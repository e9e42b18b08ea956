import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Json, UNKNOWN } from "../../../policies/engine/document";
import { EvalContext, EvalError, evaluate, Scope } from "../../../policies/engine/config/evaluate";
import { FUNCTION_NAMES } from "../../../policies/engine/config/functions";
import { parseExpression, parseTemplates } from "../../../policies/engine/config/hcl";
import { closeHclParser } from "../../../policies/engine/config/hcl-parser";
import { Budget, Ref, render, unknown, Value } from "../../../policies/engine/config/values";
import { loadStacks } from "../../../policies/engine/normalize";

afterAll(() => closeHclParser());

const files = mkdtempSync(join(tmpdir(), "imgsec-eval-"));
writeFileSync(join(files, "p.json"), '{"a": 1}');
writeFileSync(join(files, "t.tpl"), "hello ${name}%{ for x in xs }-${x}%{ endfor }\n");

function context(notes: string[] = []): EvalContext {
  return {
    budget: new Budget(1_000_000),
    note: (m) => notes.push(m),
    readFile: (p) =>
      p === "p.json"
        ? '{"a": 1}'
        : p === "t.tpl"
          ? "hello ${name}%{ for x in xs }-${x}%{ endfor }\n"
          : undefined,
    parseTemplate: (text, where) =>
      parseTemplates([{ text, at: { file: where, line: 0, endLine: 0 }, where }])[0],
  };
}

/** Names every test expression may use: a known map, an unknown, a reference. */
const NAMES = new Map<string, Value>([
  [
    "m",
    new Map<string, Value>([
      ["a", 1],
      ["b", "x"],
    ]),
  ],
  ["l", ["a", "b", "a"]],
  ["u", unknown],
  ["r", new Ref("aws_s3_bucket.b", "aws_s3_bucket.b")],
  ["objs", [new Map<string, Value>([["id", 1]]), new Map<string, Value>([["id", 2]])]],
]);

function run(src: string, notes?: string[]): Json {
  const v = evaluate(parseExpression(src, "test"), new Scope(context(notes), NAMES));
  return render(v, new Set(), new Budget(1_000_000));
}

describe("functions", () => {
  // [expression, expected value]: every function the evaluator knows, at least once.
  const cases: [string, Json][] = [
    ['lower("AbC")', "abc"],
    ['upper("abc")', "ABC"],
    ['title("hello world")', "Hello World"],
    ['trimspace("  a \\n")', "a"],
    ['trim("?!a?!", "!?")', "a"],
    ['trimprefix("arn:aws", "arn:")', "aws"],
    ['trimsuffix("a.tf", ".tf")', "a"],
    ['chomp("a\\n\\n")', "a"],
    ['startswith("arn:aws", "arn:")', true],
    ['endswith("arn:aws", "aws")', true],
    ['strrev("abc")', "cba"],
    ['substr("hello", 1, 3)', "ell"],
    ['replace("a-b-c", "-", "_")', "a_b_c"],
    ['replace("a1b22", "/[0-9]+/", "#")', "a#b#"],
    ['split(",", "a,b")', ["a", "b"]],
    ['join("-", ["a", "b"], ["c"])', "a-b-c"],
    ['format("%s-%03d-%v-%t-%.1f-%q-%%", "a", 7, 2, true, 1.26, "q")', 'a-007-2-true-1.3-"q"-%'],
    ["tostring(12)", "12"],
    ['tonumber("12")', 12],
    ['tobool("true")', true],
    ["length(l)", 3],
    ["length(m)", 2],
    ['length("héllo")', 5],
    ['concat(["a"], ["b", "c"])', ["a", "b", "c"]],
    ["merge(m, { b = 2, c = 3 }, null)", { a: 1, b: 2, c: 3 }],
    ['lookup(m, "b", "d")', "x"],
    ['lookup(m, "z", "d")', "d"],
    ["element(l, 4)", "b"],
    ["flatten([[1, [2]], 3])", [1, 2, 3]],
    ["distinct(l)", ["a", "b"]],
    ['compact(["a", "", null, "b"])', ["a", "b"]],
    ['contains(l, "b")', true],
    ["keys({ b = 1, a = 2 })", ["a", "b"]],
    ["values({ b = 1, a = 2 })", [2, 1]],
    ['zipmap(["a", "b"], [1, 2])', { a: 1, b: 2 }],
    ["tolist(l)", ["a", "b", "a"]],
    ['toset(["b", "a", "b"])', ["a", "b"]],
    ["tomap(m)", { a: 1, b: "x" }],
    ['setunion(["a"], ["b", "a"])', ["a", "b"]],
    ['coalesce("", null, "x")', "x"],
    ["coalescelist([], [1])", [1]],
    ['one(["x"])', "x"],
    ["one([])", null],
    ['sort(["b", "a"])', ["a", "b"]],
    ["reverse([1, 2])", [2, 1]],
    ["slice([1, 2, 3], 1, 3)", [2, 3]],
    ['index(l, "b")', 1],
    ["range(3)", [0, 1, 2]],
    ["range(1, 7, 3)", [1, 4]],
    ["sum([1, 2, 3])", 6],
    ["max(1, 5, 3)", 5],
    ["min(1, 5, 3)", 1],
    ["abs(-2)", 2],
    ["ceil(1.2)", 2],
    ["floor(1.8)", 1],
    ['jsonencode({ b = [1, true, null], a = "<x>" })', '{"a":"\\u003cx\\u003e","b":[1,true,null]}'],
    ['jsondecode("{\\"a\\": [1, 2]}")', { a: [1, 2] }],
    ['base64encode("hi")', "aGk="],
    ['base64decode("aGk=")', "hi"],
    ["timestamp()", UNKNOWN],
    ["plantimestamp()", UNKNOWN],
    ["uuid()", UNKNOWN],
    ['bcrypt("x")', UNKNOWN],
    ["try(m.z, m.a)", 1],
    ["try(u, 2)", UNKNOWN],
    ["can(m.z)", false],
    ["can(m.a)", true],
    ['file("p.json")', '{"a": 1}'],
    ['fileexists("p.json")', true],
    ['templatefile("t.tpl", { name = "w", xs = [1, 2] })', "hello w-1-2\n"],
  ];

  test("every function the evaluator knows has a case here", () => {
    const tested = new Set(cases.map(([e]) => /^(\w+)\(/.exec(e)?.[1]));
    expect(FUNCTION_NAMES.filter((f) => !tested.has(f))).toEqual([]);
  });

  test.each(cases)("%s", (src, expected) => {
    expect(run(src)).toEqual(expected);
  });

  test("unknown arguments: unknown results, except where part of the result is known", () => {
    expect(run("upper(u)")).toBe(UNKNOWN);
    expect(run('concat(["a"], [u])')).toEqual(["a", UNKNOWN]);
    expect(run("concat([1], u)")).toBe(UNKNOWN);
    expect(run("merge({ a = u }, { b = 1 })")).toEqual({ a: UNKNOWN, b: 1 });
    expect(run("length([u, u])")).toBe(2);
    expect(run("length(u)")).toBe(UNKNOWN);
    expect(run('lookup({ a = u }, "a")')).toBe(UNKNOWN);
    expect(run('coalesce(u, "x")')).toBe(UNKNOWN);
    expect(run('format("arn:aws:s3:::%s/*", r.bucket)')).toBe(
      "arn:aws:s3:::${aws_s3_bucket.b.bucket}/*",
    );
    expect(run('join(",", ["a", r.id])')).toBe("a,${aws_s3_bucket.b.id}");
    expect(run('jsonencode({ Resource = "${r.arn}/*", Principal = u })')).toBe(
      '{"Principal":"${?}","Resource":"${aws_s3_bucket.b.arn}/*"}',
    );
    expect(run("jsonencode(u)")).toBe(UNKNOWN);
  });

  test("a function the evaluator does not know is unknown, with a note", () => {
    const notes: string[] = [];
    expect(run('cidrsubnet("10.0.0.0/16", 8, 1)', notes)).toBe(UNKNOWN);
    expect(notes).toEqual([expect.stringContaining("function cidrsubnet() is not evaluated")]);
  });

  test("what Terraform refuses raises EvalError (try() and can() catch it)", () => {
    expect(() => run('lookup(m, "z")')).toThrow(EvalError);
    expect(() => run("l[7]")).toThrow(/out of range/);
    expect(() => run("m.z")).toThrow(/no attribute "z"/);
    expect(() => run("1 / 0")).toThrow(/division by zero/);
    expect(() => run('upper(["a"])')).toThrow(/a string is required/);
    expect(() => run("range(1000000)")).toThrow(/more than 100,000 elements/);
  });
});

describe("expressions", () => {
  test.each<[string, Json]>([
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ['"10" - 1', 9],
    ["-m.a", -1],
    ["!true || false", false],
    ['m.a == 1 && m.b != "y"', true],
    ["5 % 3 >= 2", true],
    ['m.a > 0 ? "yes" : "no"', "yes"],
    ['u ? "same" : "same"', "same"],
    ['u ? "a" : "b"', UNKNOWN],
    ["false && u", false],
    ["true || u", true],
    ["u == 1", UNKNOWN],
    ['[for x in l : upper(x) if x != "b"]', ["A", "A"]],
    ["{ for k, v in m : v => k }", { "1": "a", x: "b" }],
    ["{ for x in l : x => x... }", { a: ["a", "a"], b: ["b"] }],
    ["[for x in u : x]", UNKNOWN],
    ["objs[*].id", [1, 2]],
    ["objs.*.id", [1, 2]],
    ["m[*].a", [1]],
    ["l[1]", "b"],
    ["l.1", "b"],
    ['m["b"]', "x"],
    ["r.tags.Name", "${aws_s3_bucket.b.tags.Name}"],
    ["r.list[0]", "${aws_s3_bucket.b.list[0]}"],
    ["r.list[u]", UNKNOWN],
    ["u.anything[0]", UNKNOWN],
    ['{ a = 1, (m.b) = 2, "${m.b}y" = 3 }', { a: 1, x: 2, xy: 3 }],
  ])("%s", (src, expected) => {
    expect(run(src)).toEqual(expected);
  });
});

describe("templates", () => {
  test.each<[string, Json]>([
    ['"${m.a}"', 1], // a lone interpolation keeps its type
    ['"a-${m.a}-${m.b}"', "a-1-x"],
    ['"arn:aws:iam::${u}:root"', "arn:aws:iam::${?}:root"],
    ['"${r.arn}/*"', "${aws_s3_bucket.b.arn}/*"],
    ['"literal $${not} %%{not}"', "literal $${not} %%{not}"],
    ['"tab\\tquote\\"back\\\\slash\\u00e9"', 'tab\tquote"back\\slashé'],
    ['"%{ if m.a == 1 }one%{ else }other%{ endif }"', "one"],
    ['"%{ for x in l }${x},%{ endfor }"', "a,b,a,"],
    ['"%{ if u }x%{ endif }y"', "${?}y"],
    ['"a  ${~ m.b ~}  b"', "axb"],
    ["<<EOT\nline ${m.b}\n  indented\nEOT", "line x\n  indented\n"],
    ["<<-EOT\n    one\n      two ${m.a}\n    EOT", "one\n  two 1\n"],
    ["<<-EOT\n      ${m.b} first\n    second\n    EOT", "  x first\nsecond\n"],
  ])("%s", (src, expected) => {
    expect(run(src)).toEqual(expected);
  });

  test("Terraform JSON: typed variables, dynamic blocks", () => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-json-dyn-"));
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({
        variable: { ports: { type: "list(number)", default: ["443", 8443] } },
        resource: {
          aws_security_group: {
            sg: {
              dynamic: {
                ingress: {
                  for_each: "${var.ports}",
                  iterator: "p",
                  content: { from_port: "${p.value}", description: "rule ${p.key}" },
                },
              },
            },
          },
        },
      }),
    );
    expect(loadStacks(dir)[0].resources["aws_security_group.sg"].values).toEqual({
      ingress: [
        { from_port: 443, description: "rule 0" },
        { from_port: 8443, description: "rule 1" },
      ],
    });
  });

  test("Terraform JSON strings use the same templates", () => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-json-tpl-"));
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({
        variable: { n: { default: 2 }, on: { default: true } },
        resource: {
          aws_sqs_queue: {
            q: {
              name: "q-${var.n * 2}%{ if var.on }-on%{ endif }",
              delay_seconds: "${var.n}",
              tags: { '${upper("k")}': "v", plain: "$${literal}" },
            },
          },
        },
      }),
    );
    expect(loadStacks(dir)[0].resources["aws_sqs_queue.q"].values).toEqual({
      name: "q-4-on",
      delay_seconds: 2,
      tags: { K: "v", plain: "$${literal}" },
    });
  });
});
