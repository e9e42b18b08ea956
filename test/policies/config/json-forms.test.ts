import fc from "fast-check";
import { Json, NormalizedResource, Obj } from "../../../policies/engine/document";
import { closeHclParser } from "../../../policies/engine/config/hcl-parser";
import { normalizeDocument } from "../../../policies/engine/normalize";

afterAll(() => closeHclParser());

/**
 * Terraform JSON allows, at every label level and body level, an object or an array of objects
 * (what hcl2json emits), with "//" comment properties. Random configurations written in the plain
 * object form and in random array forms must normalize to the same resources.
 */

const TYPES = ["aws_s3_bucket", "aws_kms_key", "aws_sqs_queue", "aws_iam_role"];
const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/);
const text = fc.stringMatching(/^[A-Za-z0-9 :/._-]{0,12}$/);

interface Config {
  /** type → name → body */
  resources: Record<string, Record<string, Obj>>;
}

/** A body: scalar, list and map attributes, references to other resources, nested blocks. */
function body(targets: string[]): fc.Arbitrary<Obj> {
  const scalar = fc.oneof(
    text,
    fc.integer({ min: -1000, max: 100000 }),
    fc.boolean(),
    fc.constant(null),
    targets.length
      ? fc.constantFrom(...targets).map((t) => `arn:\${${t}.arn}/*`)
      : fc.constant("no-target"),
    fc.constant('${upper("x")}-${jsonencode({a = [1]})}'),
  );
  const attrs = fc.dictionary(
    fc.constantFrom("name", "bucket", "enabled", "size", "policy", "description"),
    scalar,
    { maxKeys: 4 },
  );
  const lists = fc.dictionary(fc.constantFrom("ids", "actions"), fc.array(text, { maxLength: 3 }), {
    maxKeys: 1,
  });
  const maps = fc.dictionary(
    fc.constantFrom("tags"),
    fc.dictionary(fc.stringMatching(/^[A-Z][a-z]{0,4}$/), text, { maxKeys: 3 }),
    { maxKeys: 1 },
  );
  const nested = fc.dictionary(
    fc.constantFrom("rule", "setting"),
    fc.array(attrs, { minLength: 1, maxLength: 3 }),
    { maxKeys: 2 },
  );
  return fc.tuple(attrs, lists, maps, nested).map(([a, l, m, n]) => {
    const out: Obj = { ...a, ...l, ...m };
    for (const [k, blocks] of Object.entries(n)) out[k] = blocks.length === 1 ? blocks[0] : blocks;
    return out;
  });
}

const config: fc.Arbitrary<Config> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...TYPES), name), {
    minLength: 1,
    maxLength: 8,
    selector: ([t, n]) => `${t}.${n}`,
  })
  .chain((addresses) => {
    const targets = addresses.map(([t, n]) => `${t}.${n}`);
    return fc.tuple(...addresses.map(() => body(targets))).map((bodies) => {
      const resources: Record<string, Record<string, Obj>> = {};
      addresses.forEach(([t, n], i) => ((resources[t] ??= {})[n] = bodies[i]));
      return { resources };
    });
  });

/** A small deterministic generator of choices, seeded by fast-check. */
function chooser(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** `obj` split into an array of objects holding its keys (each non-empty), with comments. */
function split(obj: Obj, pick: () => number, comment: boolean): Json {
  const keys = Object.keys(obj);
  const withComment = (o: Obj): Obj => (comment && pick() < 0.3 ? { "//": "a comment", ...o } : o);
  if (keys.length === 0 || pick() < 0.3) return withComment(obj);
  const parts: Obj[] = [];
  for (const k of keys) {
    if (parts.length === 0 || pick() < 0.5) parts.push({});
    parts[parts.length - 1][k] = obj[k];
  }
  return parts.map(withComment);
}

/** The body with each single nested block randomly wrapped in an array, comments added. */
function bodyForm(b: Obj, pick: () => number): Obj {
  const out: Obj = {};
  if (pick() < 0.3) out["//"] = { note: "ignored" };
  for (const [k, v] of Object.entries(b)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && k !== "tags")
      out[k] = pick() < 0.5 ? [bodyForm(v, pick)] : bodyForm(v, pick);
    else if (
      Array.isArray(v) &&
      v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x))
    )
      out[k] = v.map((x) => bodyForm(x as Obj, pick));
    else out[k] = v;
  }
  return out;
}

function arrayForm(c: Config, seed: number): Json {
  const pick = chooser(seed);
  const byType: Obj = {};
  for (const [type, byName] of Object.entries(c.resources)) {
    const names: Obj = {};
    for (const [n, b] of Object.entries(byName))
      names[n] = pick() < 0.5 ? [bodyForm(b, pick)] : bodyForm(b, pick);
    byType[type] = split(names, pick, true);
  }
  return { "//": "generated", resource: split(byType, pick, true) };
}

const withoutSource = (rs: Record<string, NormalizedResource>) =>
  Object.fromEntries(
    Object.entries(rs).map(([k, r]) => {
      const { source: _source, ...rest } = r;
      return [k, rest];
    }),
  );

test("object form and random array forms (with // comments) normalize identically", () => {
  fc.assert(
    fc.property(config, fc.integer(), (c, seed) => {
      const plain = normalizeDocument({ resource: c.resources } as Obj, "main.tf.json", "s");
      const form = arrayForm(c, seed);
      const text = JSON.stringify(form, null, seed % 2 ? 2 : 0);
      const arrays = normalizeDocument(form, "main.tf.json", "s", { text });
      expect(Object.keys(plain.resources).sort()).toEqual(
        Object.entries(c.resources)
          .flatMap(([t, byName]) => Object.keys(byName).map((n) => `${t}.${n}`))
          .sort(),
      );
      expect(withoutSource(arrays.resources)).toEqual(withoutSource(plain.resources));
    }),
    { numRuns: 100 },
  );
});

test("a generated example, by hand: hcl2json's form is read as the object form", () => {
  const hcl2json = {
    resource: [
      {
        aws_s3_bucket: [
          { raw: [{ bucket: "x", versioning: [{ enabled: true }], tags: { A: "b" } }] },
        ],
      },
    ],
  };
  const objects = {
    resource: {
      aws_s3_bucket: { raw: { bucket: "x", versioning: { enabled: true }, tags: { A: "b" } } },
    },
  };
  const a = normalizeDocument(hcl2json, "a.tf.json", "s").resources;
  const b = normalizeDocument(objects, "b.tf.json", "s").resources;
  expect(a["aws_s3_bucket.raw"].values).toEqual({
    bucket: "x",
    versioning: { enabled: true },
    tags: { A: "b" },
  });
  expect(withoutSource(a)).toEqual(withoutSource(b));
});
