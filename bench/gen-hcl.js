"use strict";
// Generates the Checkov comparison's input (bench/checkov.js): one Terraform configuration of a
// hospital's imaging estate, written two ways from one description:
//
//   hcl/         a root module (main.tf, variables.tf, outputs.tf, terraform.tfvars and an
//                *.auto.tfvars) calling 20 local modules (modules/<name>/main.tf, variables.tf,
//                outputs.tf), some twice, with variables, locals, count, for_each, for
//                expressions, dynamic blocks, splats and IAM documents in jsonencode;
//   plan.json    the same configuration as `terraform show -json` would print its plan, in the
//                shape bench/gen-plan.js writes (planned_values + configuration with references),
//                with resource_changes, every value known: the plan of a change to an estate that
//                exists (no-op for all but a few tag updates).
//
// Each module is described once, as resources whose attributes are small expression trees (ref,
// template, call, conditional, for, dynamic block). The HCL is those trees printed; the plan is
// those trees evaluated here, as Terraform would, with each resource's computed attributes (id,
// arn) made up deterministically. So both forms say the same thing, and a difference between
// what a tool finds in one and in the other is the tool's.
//
// The mix is realistic: most resources compliant, a deterministic minority not (SSE-S3 on a PHI
// bucket, versioning suspended, no access logging, no key rotation, no KMS on a trail or a log
// group, short log retention, unencrypted queues and topics, wildcard IAM, an open security group,
// a public Lambda URL, a deprecated runtime...).
//
//   generateEstate({ bucketsPerSet }) -> { files: {path: text}, plan, model }
//   estateData({ bucketsPerSet })     -> the cached folder: {dir, hcl, plan, meta}
//   node bench/gen-hcl.js [dir]        writes hcl/ and plan.json into dir (default: the cache)
const {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} = require("node:fs");
const { createHash } = require("node:crypto");
const { dirname, join } = require("node:path");

// Bump when what is generated changes: the cache is then made anew (stale folders removed).
const GEN_VERSION = "checkov-estate-1";
const ACCOUNT = "111122223333";
const REGION = "us-east-1";

// ---- expressions --------------------------------------------------------------------------------
// A plain JS string, number, boolean, null, array or object is a literal (an object is an HCL map
// or object); the classes below are everything else.

/** A traversal: var.x, local.x, each.key, count.index, aws_s3_bucket.this[each.key].arn, a[*].id. */
class Ref {
  constructor(steps) {
    this.steps = steps; // {name} | {index: expr} | {splat: true}
  }
}
/** A string template: "${var.prefix}-${each.key}" (only traversals inside ${}). */
class Tpl {
  constructor(parts) {
    this.parts = parts; // strings and Refs
  }
}
class Call {
  constructor(name, args) {
    Object.assign(this, { name, args });
  }
}
class Cond {
  constructor(test, then, otherwise) {
    Object.assign(this, { test, then, otherwise });
  }
}
class Bin {
  constructor(op, a, b) {
    Object.assign(this, { op, a, b });
  }
}
/** `[for v in coll : val if cond]`, or `{for k, v in coll : key => val if cond}` when `key`. */
class For {
  constructor(vars, coll, key, val, cond) {
    Object.assign(this, { vars, coll, key, val, cond });
  }
}
/** HCL written as is (type constraints only: never evaluated). */
class Raw {
  constructor(text) {
    this.text = text;
  }
}
/** A nested block (one body) or repeated blocks (several bodies). */
class Block {
  constructor(bodies) {
    this.bodies = bodies;
  }
}
/** `dynamic "name" { for_each = coll  content { ... } }`; the iterator is `name`. */
class Dynamic {
  constructor(forEach, content) {
    Object.assign(this, { forEach, content });
  }
}

/** Parses a traversal: names, `.name`, `[index]`, `[*]`; an index is a number, a quoted string
 * or another traversal. */
function ref(text) {
  let i = 0;
  const steps = [];
  const name = () => {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i));
    if (!m) throw new Error(`gen-hcl: bad traversal ${text} at ${i}`);
    i += m[0].length;
    return m[0];
  };
  steps.push({ name: name() });
  while (i < text.length) {
    if (text[i] === ".") {
      i++;
      steps.push({ name: name() });
    } else if (text[i] === "[") {
      let depth = 0;
      let j = i;
      for (; j < text.length; j++) {
        if (text[j] === "[") depth++;
        else if (text[j] === "]" && --depth === 0) break;
      }
      const inner = text.slice(i + 1, j);
      i = j + 1;
      if (inner === "*") steps.push({ splat: true });
      else if (/^\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^".*"$/.test(inner)) steps.push({ index: JSON.parse(inner) });
      else steps.push({ index: ref(inner) });
    } else throw new Error(`gen-hcl: bad traversal ${text} at ${i}`);
  }
  return new Ref(steps);
}
/** A template "${...}" of traversals and text. */
function tpl(text) {
  const parts = [];
  let rest = text;
  for (let m; (m = /\$\{([^}]+)\}/.exec(rest)); rest = rest.slice(m.index + m[0].length)) {
    if (m.index) parts.push(rest.slice(0, m.index));
    parts.push(ref(m[1].trim()));
  }
  if (rest) parts.push(rest);
  return new Tpl(parts);
}
const call = (name, ...args) => new Call(name, args);
const cond = (test, then, otherwise) => new Cond(test, then, otherwise);
const eq = (a, b) => new Bin("==", a, b);
const ne = (a, b) => new Bin("!=", a, b);
const gt = (a, b) => new Bin(">", a, b);
const mod = (a, b) => new Bin("%", a, b);
const forList = (vars, coll, val, c) => new For(vars, coll, undefined, val, c);
const forMap = (vars, coll, key, val, c) => new For(vars, coll, key, val, c);
const raw = (text) => new Raw(text);
const block = (...bodies) => new Block(bodies);
const dynamic = (forEach, content) => new Dynamic(forEach, content);

// ---- printing HCL -------------------------------------------------------------------------------

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const pad = (n) => "  ".repeat(n);
/** An HCL string literal: JSON's escapes, and template sequences escaped. */
const hclString = (s) => JSON.stringify(s).replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
const hclKey = (k) => (IDENT.test(k) ? k : JSON.stringify(k));

function printRef(r) {
  return r.steps
    .map((s, i) => {
      if (s.name !== undefined) return i ? `.${s.name}` : s.name;
      if (s.splat) return "[*]";
      return `[${typeof s.index === "object" ? printRef(s.index) : JSON.stringify(s.index)}]`;
    })
    .join("");
}

function printExpr(e, depth) {
  if (e === null) return "null";
  if (typeof e === "string") return hclString(e);
  if (typeof e === "number" || typeof e === "boolean") return String(e);
  if (e instanceof Ref) return printRef(e);
  if (e instanceof Raw) return e.text;
  if (e instanceof Tpl)
    return `"${e.parts.map((p) => (typeof p === "string" ? hclString(p).slice(1, -1) : `\${${printRef(p)}}`)).join("")}"`;
  if (e instanceof Call) return `${e.name}(${e.args.map((a) => printExpr(a, depth)).join(", ")})`;
  if (e instanceof Cond)
    return `${printExpr(e.test, depth)} ? ${printExpr(e.then, depth)} : ${printExpr(e.otherwise, depth)}`;
  if (e instanceof Bin) {
    const side = (x) =>
      x instanceof Cond || x instanceof Bin ? `(${printExpr(x, depth)})` : printExpr(x, depth);
    return `${side(e.a)} ${e.op} ${side(e.b)}`;
  }
  if (e instanceof For) {
    const head = `for ${e.vars.join(", ")} in ${printExpr(e.coll, depth)} :`;
    const tail = e.cond !== undefined ? ` if ${printExpr(e.cond, depth)}` : "";
    return e.key !== undefined
      ? `{ ${head} ${printExpr(e.key, depth)} => ${printExpr(e.val, depth)}${tail} }`
      : `[${head} ${printExpr(e.val, depth)}${tail}]`;
  }
  if (Array.isArray(e)) {
    const items = e.map((x) => printExpr(x, depth + 1));
    const inline = `[${items.join(", ")}]`;
    if (inline.length <= 80 && !inline.includes("\n")) return inline;
    return `[\n${items.map((x) => `${pad(depth + 1)}${x},`).join("\n")}\n${pad(depth)}]`;
  }
  if (typeof e === "object") {
    const keys = Object.keys(e);
    if (!keys.length) return "{}";
    const width = Math.max(...keys.map((k) => hclKey(k).length));
    const lines = keys.map(
      (k) => `${pad(depth + 1)}${hclKey(k).padEnd(width)} = ${printExpr(e[k], depth + 1)}`,
    );
    return `{\n${lines.join("\n")}\n${pad(depth)}}`;
  }
  throw new Error(`gen-hcl: cannot print ${String(e)}`);
}

/** A body: attributes (aligned, as terraform fmt does), then nested and dynamic blocks. */
function printBody(body, depth) {
  const attrs = Object.entries(body).filter(
    ([, v]) => !(v instanceof Block || v instanceof Dynamic),
  );
  const blocks = Object.entries(body).filter(([, v]) => v instanceof Block || v instanceof Dynamic);
  const width = Math.max(0, ...attrs.map(([k]) => k.length));
  const out = attrs.map(([k, v]) => `${pad(depth)}${k.padEnd(width)} = ${printExpr(v, depth)}`);
  for (const [k, v] of blocks) {
    if (out.length) out.push("");
    if (v instanceof Block) {
      v.bodies.forEach((b, i) => {
        if (i) out.push("");
        out.push(`${pad(depth)}${k} {`, ...printBody(b, depth + 1), `${pad(depth)}}`);
      });
    } else {
      out.push(
        `${pad(depth)}dynamic ${JSON.stringify(k)} {`,
        `${pad(depth + 1)}for_each = ${printExpr(v.forEach, depth + 1)}`,
        `${pad(depth + 1)}content {`,
        ...printBody(v.content, depth + 2),
        `${pad(depth + 1)}}`,
        `${pad(depth)}}`,
      );
    }
  }
  return out.filter((l, i, a) => l !== "" || (i > 0 && a[i - 1] !== ""));
}

const printBlock = (type, labels, body) =>
  [
    `${type} ${labels.map((l) => JSON.stringify(l)).join(" ")}${labels.length ? " " : ""}{`,
    ...printBody(body, 1),
    "}",
  ].join("\n");

// ---- evaluating, as Terraform would -------------------------------------------------------------

const isMap = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/** Terraform's jsonencode: object keys in lexical order, no spaces. */
function jsonencode(v) {
  if (Array.isArray(v)) return `[${v.map(jsonencode).join(",")}]`;
  if (isMap(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${jsonencode(v[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** cidrsubnet for IPv4. */
function cidrsubnet(prefix, newbits, netnum) {
  const [addr, len] = prefix.split("/");
  const base = addr.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const bits = Number(len) + newbits;
  const value = base + netnum * 2 ** (32 - bits);
  const octets = [24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256);
  return `${octets.join(".")}/${bits}`;
}

const FUNCTIONS = {
  jsonencode: (v) => jsonencode(v),
  merge: (...maps) => Object.assign({}, ...maps),
  concat: (...lists) => lists.flat(1),
  flatten: (l) => l.flat(Infinity),
  toset: (l) => [...new Set(l)].sort(),
  length: (v) =>
    Array.isArray(v) ? v.length : isMap(v) ? Object.keys(v).length : String(v).length,
  lookup: (m, k, d) => (k in m ? m[k] : d),
  contains: (l, x) => l.some((y) => JSON.stringify(y) === JSON.stringify(x)),
  format: (f, ...args) => {
    let i = 0;
    return f.replace(/%[sd]/g, () => String(args[i++]));
  },
  cidrsubnet,
};

/** A collection's [key, value] pairs as Terraform iterates them: lists by index, maps by key. */
const entries = (coll) =>
  Array.isArray(coll)
    ? coll.map((x, i) => [i, x])
    : Object.keys(coll)
        .sort()
        .map((k) => [k, coll[k]]);

/** Evaluates an expression in `env`: {vars, locals, scope, resources, modules}. */
function evaluate(e, env) {
  if (e === null || typeof e !== "object") return e;
  if (Array.isArray(e)) return e.map((x) => evaluate(x, env));
  if (e instanceof Ref) return resolve(e, env);
  if (e instanceof Tpl)
    return e.parts.map((p) => (typeof p === "string" ? p : String(resolve(p, env)))).join("");
  if (e instanceof Call) {
    const fn = FUNCTIONS[e.name];
    if (!fn) throw new Error(`gen-hcl: no function ${e.name}`);
    return fn(...e.args.map((a) => evaluate(a, env)));
  }
  if (e instanceof Cond) return evaluate(evaluate(e.test, env) ? e.then : e.otherwise, env);
  if (e instanceof Bin) {
    const a = evaluate(e.a, env);
    const b = evaluate(e.b, env);
    switch (e.op) {
      case "==":
        return JSON.stringify(a) === JSON.stringify(b);
      case "!=":
        return JSON.stringify(a) !== JSON.stringify(b);
      case ">":
        return a > b;
      case "%":
        return a % b;
      default:
        throw new Error(`gen-hcl: no operator ${e.op}`);
    }
  }
  if (e instanceof For) {
    const coll = evaluate(e.coll, env);
    const pairs = entries(coll);
    const list = [];
    const map = {};
    for (const [k, v] of pairs) {
      const scope = { ...env.scope };
      if (e.vars.length === 2) Object.assign(scope, { [e.vars[0]]: k, [e.vars[1]]: v });
      else scope[e.vars[0]] = v;
      const inner = { ...env, scope };
      if (e.cond !== undefined && !evaluate(e.cond, inner)) continue;
      if (e.key !== undefined) map[evaluate(e.key, inner)] = evaluate(e.val, inner);
      else list.push(evaluate(e.val, inner));
    }
    return e.key !== undefined ? map : list;
  }
  if (e instanceof Raw) throw new Error("gen-hcl: a raw expression is not evaluated");
  const out = {};
  for (const [k, v] of Object.entries(e)) out[k] = evaluate(v, env);
  return out;
}

function resolve(r, env) {
  const [first, ...rest] = r.steps;
  let v;
  let steps = rest;
  const name = first.name;
  if (name in env.scope) v = env.scope[name];
  else if (name === "var") [v, steps] = [env.vars[rest[0].name], rest.slice(1)];
  else if (name === "local") [v, steps] = [env.locals[rest[0].name], rest.slice(1)];
  else if (name === "module") [v, steps] = [env.modules[rest[0].name], rest.slice(1)];
  else {
    const key = `${name}.${rest[0].name}`;
    if (!(key in env.resources)) throw new Error(`gen-hcl: ${printRef(r)}: no ${key} yet`);
    [v, steps] = [env.resources[key], rest.slice(1)];
  }
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (v === undefined) throw new Error(`gen-hcl: ${printRef(r)} is undefined`);
    if (s.splat) {
      const tail = new Ref([{ name: "_" }, ...steps.slice(i + 1)]);
      return v.map((x) => resolve(tail, { ...env, scope: { _: x } }));
    }
    if (s.name !== undefined) v = v[s.name];
    else v = v[typeof s.index === "object" ? resolve(s.index, env) : s.index];
  }
  if (v === undefined) throw new Error(`gen-hcl: ${printRef(r)} is undefined`);
  return v;
}

/** A body's value: nested blocks become lists of objects (as in plan JSON); nulls are unset. */
function evaluateBody(body, env) {
  const out = {};
  for (const [k, v] of Object.entries(body)) {
    if (v instanceof Block) out[k] = v.bodies.map((b) => evaluateBody(b, env));
    else if (v instanceof Dynamic) {
      const coll = evaluate(v.forEach, env);
      out[k] = entries(coll).map(([key, value]) =>
        evaluateBody(v.content, { ...env, scope: { ...env.scope, [k]: { key, value } } }),
      );
    } else {
      const value = evaluate(v, env);
      if (value !== null) out[k] = value;
    }
  }
  return out;
}

// ---- computed attributes ------------------------------------------------------------------------

const digest = (s, n) => createHash("sha256").update(s).digest("hex").slice(0, n);
const uuidOf = (s) => {
  const h = digest(s, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** What AWS would have assigned an existing resource: ids and ARNs, deterministic per address. */
function computed(type, v, address) {
  const arn = (service, rest, region = REGION) => `arn:aws:${service}:${region}:${ACCOUNT}:${rest}`;
  switch (type) {
    case "aws_s3_bucket":
      return { id: v.bucket, arn: `arn:aws:s3:::${v.bucket}` };
    case "aws_kms_key": {
      const id = uuidOf(address);
      return { id, key_id: id, arn: arn("kms", `key/${id}`) };
    }
    case "aws_kms_alias":
      return { id: v.name, arn: arn("kms", v.name) };
    case "aws_iam_role":
      return {
        id: v.name,
        arn: `arn:aws:iam::${ACCOUNT}:role/${v.name}`,
        unique_id: `AROA${digest(address, 16).toUpperCase()}`,
      };
    case "aws_iam_policy":
      return {
        id: `arn:aws:iam::${ACCOUNT}:policy${v.path ?? "/"}${v.name}`,
        arn: `arn:aws:iam::${ACCOUNT}:policy${v.path ?? "/"}${v.name}`,
      };
    case "aws_sns_topic":
      return { id: arn("sns", v.name), arn: arn("sns", v.name) };
    case "aws_sqs_queue":
      return {
        id: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${v.name}`,
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${v.name}`,
        arn: arn("sqs", v.name),
      };
    case "aws_cloudwatch_log_group":
      return { id: v.name, arn: arn("logs", `log-group:${v.name}`) };
    case "aws_lambda_function":
      return {
        id: v.function_name,
        arn: arn("lambda", `function:${v.function_name}`),
        invoke_arn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arn("lambda", `function:${v.function_name}`)}/invocations`,
      };
    case "aws_secretsmanager_secret":
      return {
        id: arn("secretsmanager", `secret:${v.name}-${digest(address, 6)}`),
        arn: arn("secretsmanager", `secret:${v.name}-${digest(address, 6)}`),
      };
    case "aws_cloudtrail":
      return { id: v.name, arn: arn("cloudtrail", `trail/${v.name}`) };
    case "aws_sfn_state_machine":
      return {
        id: arn("states", `stateMachine:${v.name}`),
        arn: arn("states", `stateMachine:${v.name}`),
      };
    case "aws_cloudwatch_event_rule":
      return { id: v.name, arn: arn("events", `rule/${v.name}`) };
    case "aws_cloudwatch_metric_alarm":
      return { id: v.alarm_name, arn: arn("cloudwatch", `alarm:${v.alarm_name}`) };
    case "aws_vpc":
      return {
        id: `vpc-${digest(address, 17)}`,
        arn: arn("ec2", `vpc/vpc-${digest(address, 17)}`),
      };
    case "aws_subnet":
      return {
        id: `subnet-${digest(address, 17)}`,
        arn: arn("ec2", `subnet/subnet-${digest(address, 17)}`),
      };
    case "aws_security_group":
    case "aws_default_security_group":
      return {
        id: `sg-${digest(address, 17)}`,
        arn: arn("ec2", `security-group/sg-${digest(address, 17)}`),
      };
    case "aws_lambda_function_url":
      return {
        id: v.function_name,
        function_url: `https://${digest(address, 32)}.lambda-url.${REGION}.on.aws/`,
      };
    default:
      return { id: `${type.replace(/^aws_/, "").replace(/_/g, "-")}-${digest(address, 12)}` };
  }
}

// ---- the modules ---------------------------------------------------------------------------------
// Each: {variables: {name: {type, description, default?}}, locals?, resources: [{type, name, count?,
// for_each?, body}], outputs: {name: expr}}.

const v = (name) => ref(`var.${name}`);
const each = (path = "value") => ref(`each.${path}`);
const tags = { tags: v("tags") };
const tagsVariable = {
  type: raw("map(string)"),
  description: "Tags for every resource",
  default: {},
};
const policyDoc = (...statements) =>
  call("jsonencode", { Version: "2012-10-17", Statement: statements });
const assumeRole = (service) =>
  policyDoc({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
const denyInsecureTransport = (resources) => ({
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: resources,
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});
const denyOldTls = (resources) => ({
  Sid: "DenyOutdatedTls",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: resources,
  Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
});
const bucketResources = (r) => [ref(`${r}.arn`), tpl(`\${${r}.arn}/*`)];

/** The separate controls of one bucket (or of each, under for_each), as the AWS provider v4+ has them. */
function bucketControls(
  bucket,
  { forEach, sse, versioning, publicBlock, bucketKey, policyExtra = [] },
) {
  const meta = forEach ? { for_each: forEach } : {};
  const id = forEach ? ref(`${bucket}[each.key].id`) : ref(`${bucket}.id`);
  const arnOf = forEach ? `${bucket}[each.key]` : bucket;
  return [
    {
      type: "aws_s3_bucket_server_side_encryption_configuration",
      name: "this",
      body: {
        ...meta,
        bucket: id,
        rule: block({
          bucket_key_enabled: bucketKey,
          apply_server_side_encryption_by_default: block(sse),
        }),
      },
    },
    {
      type: "aws_s3_bucket_versioning",
      name: "this",
      body: { ...meta, bucket: id, versioning_configuration: block({ status: versioning }) },
    },
    {
      type: "aws_s3_bucket_public_access_block",
      name: "this",
      body: {
        ...meta,
        bucket: id,
        block_public_acls: publicBlock,
        block_public_policy: publicBlock,
        ignore_public_acls: publicBlock,
        restrict_public_buckets: publicBlock,
      },
    },
    {
      type: "aws_s3_bucket_ownership_controls",
      name: "this",
      body: { ...meta, bucket: id, rule: block({ object_ownership: "BucketOwnerEnforced" }) },
    },
    {
      type: "aws_s3_bucket_policy",
      name: "this",
      body: {
        ...meta,
        bucket: id,
        policy: policyDoc(
          denyInsecureTransport(bucketResources(arnOf)),
          denyOldTls(bucketResources(arnOf)),
          ...policyExtra,
        ),
      },
    },
  ];
}

const lifecycleRule = (expireDays, transitions) => ({
  id: "retention",
  status: "Enabled",
  filter: block({ prefix: "" }),
  expiration: block({ days: expireDays }),
  ...(transitions
    ? {
        transition: dynamic(transitions, {
          days: ref("transition.value.days"),
          storage_class: ref("transition.value.storage_class"),
        }),
      }
    : {}),
  noncurrent_version_expiration: block({ noncurrent_days: 90 }),
  abort_incomplete_multipart_upload: block({ days_after_initiation: 7 }),
});

const MODULES = {
  kms_key: {
    variables: {
      name: { type: raw("string"), description: "Alias name, without alias/" },
      description: { type: raw("string"), description: "What the key protects" },
      account_id: { type: raw("string"), description: "The account that administers the key" },
      enable_key_rotation: {
        type: raw("bool"),
        description: "Rotate key material yearly",
        default: true,
      },
      deletion_window_in_days: {
        type: raw("number"),
        description: "Days before deletion",
        default: 30,
      },
      allow_everyone_decrypt: {
        type: raw("bool"),
        description: "Lab only: let any principal decrypt (never in production)",
        default: false,
      },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_kms_key",
        name: "this",
        body: {
          description: v("description"),
          enable_key_rotation: v("enable_key_rotation"),
          deletion_window_in_days: v("deletion_window_in_days"),
          policy: call("jsonencode", {
            Version: "2012-10-17",
            Statement: call(
              "concat",
              [
                {
                  Sid: "RootAdministers",
                  Effect: "Allow",
                  Principal: { AWS: tpl("arn:aws:iam::${var.account_id}:root") },
                  Action: "kms:*",
                  Resource: "*",
                },
              ],
              cond(
                v("allow_everyone_decrypt"),
                [
                  {
                    Sid: "EveryoneDecrypts",
                    Effect: "Allow",
                    Principal: "*",
                    Action: ["kms:Decrypt"],
                    Resource: "*",
                  },
                ],
                [],
              ),
            ),
          }),
          ...tags,
        },
      },
      {
        type: "aws_kms_alias",
        name: "this",
        body: { name: tpl("alias/${var.name}"), target_key_id: ref("aws_kms_key.this.key_id") },
      },
    ],
    outputs: { key_arn: ref("aws_kms_key.this.arn"), key_id: ref("aws_kms_key.this.key_id") },
  },

  access_log_bucket: {
    variables: {
      bucket_name: { type: raw("string"), description: "The log bucket's name" },
      account_id: { type: raw("string"), description: "Account whose buckets log here" },
      expire_days: { type: raw("number"), description: "Days logs are kept", default: 2555 },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_s3_bucket",
        name: "this",
        body: {
          bucket: v("bucket_name"),
          force_destroy: false,
          tags: call("merge", v("tags"), { "imgsec:purpose": "access-logs" }),
        },
      },
      // AWS delivers no server access logs to an SSE-KMS bucket: SSE-S3 here, by necessity.
      ...bucketControls("aws_s3_bucket.this", {
        sse: { sse_algorithm: "AES256" },
        bucketKey: false,
        versioning: "Enabled",
        publicBlock: true,
        policyExtra: [
          {
            Sid: "AllowServerAccessLogDelivery",
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: tpl("${aws_s3_bucket.this.arn}/*"),
            Condition: { StringEquals: { "aws:SourceAccount": v("account_id") } },
          },
        ],
      }),
      {
        type: "aws_s3_bucket_lifecycle_configuration",
        name: "this",
        body: {
          bucket: ref("aws_s3_bucket.this.id"),
          rule: block(lifecycleRule(v("expire_days"))),
        },
      },
    ],
    outputs: { bucket_id: ref("aws_s3_bucket.this.id"), bucket_arn: ref("aws_s3_bucket.this.arn") },
  },

  phi_buckets: {
    variables: {
      name_prefix: { type: raw("string"), description: "Prefix of every bucket name" },
      purpose: { type: raw("string"), description: "imgsec:purpose tag", default: "images" },
      buckets: {
        type: raw(
          "map(object({\n    sse_algorithm = string\n    bucket_key    = bool\n    versioning    = string\n    logging       = bool\n    block_public  = bool\n    expire_days   = number\n  }))",
        ),
        description: "One entry per bucket: its controls",
      },
      kms_key_arn: { type: raw("string"), description: "Key for SSE-KMS" },
      log_bucket: { type: raw("string"), description: "Server access log target bucket" },
      transitions: {
        type: raw("list(object({ days = number, storage_class = string }))"),
        description: "Lifecycle transitions",
        default: [
          { days: 90, storage_class: "STANDARD_IA" },
          { days: 180, storage_class: "GLACIER" },
        ],
      },
      tags: tagsVariable,
    },
    locals: {
      logged: forMap(["name", "b"], v("buckets"), ref("name"), ref("b"), ref("b.logging")),
      expiring: forMap(
        ["name", "b"],
        v("buckets"),
        ref("name"),
        ref("b"),
        gt(ref("b.expire_days"), 0),
      ),
    },
    resources: [
      {
        type: "aws_s3_bucket",
        name: "this",
        body: {
          for_each: v("buckets"),
          bucket: tpl("${var.name_prefix}-${each.key}"),
          force_destroy: false,
          tags: call("merge", v("tags"), { "imgsec:purpose": v("purpose") }),
        },
      },
      ...bucketControls("aws_s3_bucket.this", {
        forEach: v("buckets"),
        sse: {
          sse_algorithm: each("value.sse_algorithm"),
          kms_master_key_id: cond(
            eq(each("value.sse_algorithm"), "aws:kms"),
            v("kms_key_arn"),
            null,
          ),
        },
        bucketKey: each("value.bucket_key"),
        versioning: each("value.versioning"),
        publicBlock: each("value.block_public"),
      }),
      {
        type: "aws_s3_bucket_logging",
        name: "this",
        body: {
          for_each: ref("local.logged"),
          bucket: ref("aws_s3_bucket.this[each.key].id"),
          target_bucket: v("log_bucket"),
          target_prefix: tpl("${each.key}/"),
        },
      },
      {
        type: "aws_s3_bucket_lifecycle_configuration",
        name: "this",
        body: {
          for_each: ref("local.expiring"),
          bucket: ref("aws_s3_bucket.this[each.key].id"),
          rule: block(lifecycleRule(each("value.expire_days"), v("transitions"))),
        },
      },
    ],
    outputs: {
      bucket_arns: forList(["b"], ref("aws_s3_bucket.this"), ref("b.arn")),
      bucket_ids: forMap(["k", "b"], ref("aws_s3_bucket.this"), ref("k"), ref("b.id")),
    },
  },

  legacy_buckets: {
    variables: {
      name_prefix: { type: raw("string"), description: "Prefix of every bucket name" },
      bucket_count: { type: raw("number"), description: "How many buckets" },
      kms_key_arn: { type: raw("string"), description: "Key for SSE-KMS" },
      log_bucket: { type: raw("string"), description: "Server access log target bucket" },
      tags: tagsVariable,
    },
    resources: [
      {
        // Written before AWS provider v4 split a bucket's controls into resources: inline blocks.
        type: "aws_s3_bucket",
        name: "this",
        body: {
          count: v("bucket_count"),
          bucket: tpl("${var.name_prefix}-${count.index}"),
          tags: call("merge", v("tags"), { "imgsec:purpose": "archive" }),
          versioning: block({ enabled: ne(mod(ref("count.index"), 3), 0) }),
          server_side_encryption_configuration: block({
            rule: block({
              apply_server_side_encryption_by_default: block({
                sse_algorithm: cond(eq(mod(ref("count.index"), 4), 1), "AES256", "aws:kms"),
                kms_master_key_id: cond(eq(mod(ref("count.index"), 4), 1), null, v("kms_key_arn")),
              }),
            }),
          }),
          logging: dynamic(cond(eq(mod(ref("count.index"), 5), 2), [], [v("log_bucket")]), {
            target_bucket: ref("logging.value"),
            target_prefix: tpl("legacy-${count.index}/"),
          }),
          lifecycle_rule: block({ id: "expire", enabled: true, expiration: block({ days: 2555 }) }),
        },
      },
      {
        type: "aws_s3_bucket_public_access_block",
        name: "this",
        body: {
          count: v("bucket_count"),
          bucket: ref("aws_s3_bucket.this[count.index].id"),
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        },
      },
    ],
    outputs: { bucket_ids: ref("aws_s3_bucket.this[*].id") },
  },

  audit_bucket: {
    variables: {
      bucket_name: { type: raw("string"), description: "The audit bucket's name" },
      kms_key_arn: { type: raw("string"), description: "Key for SSE-KMS" },
      log_bucket: { type: raw("string"), description: "Server access log target bucket" },
      account_id: { type: raw("string"), description: "The account" },
      region: { type: raw("string"), description: "The trail's region" },
      trail_name: { type: raw("string"), description: "The trail that writes here" },
      retention_days: { type: raw("number"), description: "Object Lock retention", default: 2192 },
      tags: tagsVariable,
    },
    locals: {
      trail_arn: tpl("arn:aws:cloudtrail:${var.region}:${var.account_id}:trail/${var.trail_name}"),
    },
    resources: [
      {
        type: "aws_s3_bucket",
        name: "this",
        body: {
          bucket: v("bucket_name"),
          object_lock_enabled: true,
          tags: call("merge", v("tags"), { "imgsec:purpose": "audit" }),
        },
      },
      ...bucketControls("aws_s3_bucket.this", {
        sse: { sse_algorithm: "aws:kms", kms_master_key_id: v("kms_key_arn") },
        bucketKey: true,
        versioning: "Enabled",
        publicBlock: true,
        policyExtra: [
          {
            Sid: "CloudTrailAclCheck",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:GetBucketAcl",
            Resource: ref("aws_s3_bucket.this.arn"),
            Condition: { StringEquals: { "aws:SourceArn": ref("local.trail_arn") } },
          },
          {
            Sid: "CloudTrailWrite",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: tpl("${aws_s3_bucket.this.arn}/AWSLogs/${var.account_id}/*"),
            Condition: {
              StringEquals: {
                "aws:SourceArn": ref("local.trail_arn"),
                "s3:x-amz-acl": "bucket-owner-full-control",
              },
            },
          },
        ],
      }),
      {
        type: "aws_s3_bucket_logging",
        name: "this",
        body: {
          bucket: ref("aws_s3_bucket.this.id"),
          target_bucket: v("log_bucket"),
          target_prefix: "audit/",
        },
      },
      {
        type: "aws_s3_bucket_object_lock_configuration",
        name: "this",
        body: {
          bucket: ref("aws_s3_bucket.this.id"),
          rule: block({
            default_retention: block({ mode: "COMPLIANCE", days: v("retention_days") }),
          }),
        },
      },
      {
        type: "aws_s3_bucket_lifecycle_configuration",
        name: "this",
        body: { bucket: ref("aws_s3_bucket.this.id"), rule: block(lifecycleRule(2555)) },
      },
    ],
    outputs: { bucket_id: ref("aws_s3_bucket.this.id"), bucket_arn: ref("aws_s3_bucket.this.arn") },
  },

  cloudtrail: {
    variables: {
      name: { type: raw("string"), description: "Trail name" },
      s3_bucket_name: { type: raw("string"), description: "Delivery bucket" },
      kms_key_arn: { type: raw("string"), description: "Key for the trail's logs", default: null },
      multi_region: { type: raw("bool"), description: "Record every region", default: true },
      log_file_validation: { type: raw("bool"), description: "Digest files", default: true },
      log_group_kms_key_arn: {
        type: raw("string"),
        description: "Key for the log group",
        default: null,
      },
      retention_days: { type: raw("number"), description: "Log group retention", default: 2192 },
      data_event_buckets: {
        type: raw("list(string)"),
        description: "Bucket ARNs for S3 data events",
        default: [],
      },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_cloudwatch_log_group",
        name: "trail",
        body: {
          name: tpl("/aws/cloudtrail/${var.name}"),
          retention_in_days: v("retention_days"),
          kms_key_id: v("log_group_kms_key_arn"),
          ...tags,
        },
      },
      {
        type: "aws_iam_role",
        name: "trail_logs",
        body: {
          name: tpl("${var.name}-cloudwatch"),
          assume_role_policy: assumeRole("cloudtrail.amazonaws.com"),
          ...tags,
        },
      },
      {
        type: "aws_iam_role_policy",
        name: "trail_logs",
        body: {
          name: "deliver-to-cloudwatch",
          role: ref("aws_iam_role.trail_logs.id"),
          policy: policyDoc({
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: tpl("${aws_cloudwatch_log_group.trail.arn}:*"),
          }),
        },
      },
      {
        type: "aws_cloudtrail",
        name: "this",
        body: {
          name: v("name"),
          s3_bucket_name: v("s3_bucket_name"),
          kms_key_id: v("kms_key_arn"),
          is_multi_region_trail: v("multi_region"),
          enable_log_file_validation: v("log_file_validation"),
          include_global_service_events: true,
          enable_logging: true,
          cloud_watch_logs_group_arn: tpl("${aws_cloudwatch_log_group.trail.arn}:*"),
          cloud_watch_logs_role_arn: ref("aws_iam_role.trail_logs.arn"),
          ...tags,
          event_selector: block({
            read_write_type: "All",
            include_management_events: true,
            data_resource: dynamic(cond(gt(call("length", v("data_event_buckets")), 0), [1], []), {
              type: "AWS::S3::Object",
              values: forList(["arn"], v("data_event_buckets"), tpl("${arn}/")),
            }),
          }),
        },
      },
    ],
    outputs: {
      trail_arn: ref("aws_cloudtrail.this.arn"),
      log_group_name: ref("aws_cloudwatch_log_group.trail.name"),
    },
  },

  log_groups: {
    variables: {
      prefix: { type: raw("string"), description: "Log group name prefix" },
      groups: {
        type: raw("map(object({ retention = number, encrypted = bool }))"),
        description: "One entry per log group",
      },
      kms_key_arn: { type: raw("string"), description: "Key for encrypted groups" },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_cloudwatch_log_group",
        name: "this",
        body: {
          for_each: v("groups"),
          name: tpl("/${var.prefix}/${each.key}"),
          retention_in_days: each("value.retention"),
          kms_key_id: cond(each("value.encrypted"), v("kms_key_arn"), null),
          ...tags,
        },
      },
    ],
    outputs: { names: forList(["g"], ref("aws_cloudwatch_log_group.this"), ref("g.name")) },
  },

  trail_alarms: {
    variables: {
      log_group_name: { type: raw("string"), description: "The trail's log group" },
      alarm_topic_arn: { type: raw("string"), description: "Where alarms notify" },
      namespace: { type: raw("string"), description: "Metric namespace", default: "CISBenchmark" },
      silenced: { type: raw("list(string)"), description: "Alarms without an action", default: [] },
      tags: tagsVariable,
    },
    locals: {
      // The CIS AWS Foundations metric filters, one alarm each.
      filters: {
        unauthorized_api_calls:
          '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        console_signin_without_mfa:
          '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
        root_account_usage:
          '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
        iam_policy_changes:
          "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = PutRolePolicy) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) }",
        cloudtrail_changes:
          "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
        console_signin_failures:
          '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
        kms_key_disable_or_deletion:
          "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
        s3_bucket_policy_changes:
          "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketPolicy) || ($.eventName = DeleteBucketPolicy)) }",
        security_group_changes:
          "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
        network_gateway_changes:
          "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) }",
      },
    },
    resources: [
      {
        type: "aws_cloudwatch_log_metric_filter",
        name: "this",
        body: {
          for_each: ref("local.filters"),
          name: each("key"),
          log_group_name: v("log_group_name"),
          pattern: each("value"),
          metric_transformation: block({
            name: each("key"),
            namespace: v("namespace"),
            value: "1",
          }),
        },
      },
      {
        type: "aws_cloudwatch_metric_alarm",
        name: "this",
        body: {
          for_each: ref("local.filters"),
          alarm_name: each("key"),
          comparison_operator: "GreaterThanOrEqualToThreshold",
          evaluation_periods: 1,
          metric_name: ref(
            "aws_cloudwatch_log_metric_filter.this[each.key].metric_transformation[0].name",
          ),
          namespace: v("namespace"),
          period: 300,
          statistic: "Sum",
          threshold: 1,
          alarm_actions: cond(
            call("contains", v("silenced"), each("key")),
            [],
            [v("alarm_topic_arn")],
          ),
          ...tags,
        },
      },
    ],
    outputs: { alarm_arns: forList(["a"], ref("aws_cloudwatch_metric_alarm.this"), ref("a.arn")) },
  },

  sns_topic: {
    variables: {
      name: { type: raw("string"), description: "Topic name" },
      kms_key_arn: { type: raw("string"), description: "Key for the topic", default: null },
      account_id: { type: raw("string"), description: "Account whose alarms publish" },
      public_publish: {
        type: raw("bool"),
        description: "Lab only: anyone may publish",
        default: false,
      },
      emails: { type: raw("list(string)"), description: "Subscribers", default: [] },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_sns_topic",
        name: "this",
        body: { name: v("name"), kms_master_key_id: v("kms_key_arn"), ...tags },
      },
      {
        type: "aws_sns_topic_policy",
        name: "this",
        body: {
          arn: ref("aws_sns_topic.this.arn"),
          policy: call("jsonencode", {
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "AlarmsPublish",
                Effect: "Allow",
                Principal: cond(v("public_publish"), "*", { Service: "cloudwatch.amazonaws.com" }),
                Action: "sns:Publish",
                Resource: ref("aws_sns_topic.this.arn"),
                Condition: cond(
                  v("public_publish"),
                  {},
                  { StringEquals: { "aws:SourceAccount": v("account_id") } },
                ),
              },
              {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sns:Publish",
                Resource: ref("aws_sns_topic.this.arn"),
                Condition: { Bool: { "aws:SecureTransport": "false" } },
              },
            ],
          }),
        },
      },
      {
        type: "aws_sns_topic_subscription",
        name: "email",
        body: {
          for_each: call("toset", v("emails")),
          topic_arn: ref("aws_sns_topic.this.arn"),
          protocol: "email",
          endpoint: each("value"),
        },
      },
    ],
    outputs: { topic_arn: ref("aws_sns_topic.this.arn") },
  },

  sqs_queues: {
    variables: {
      prefix: { type: raw("string"), description: "Queue name prefix" },
      queues: {
        type: raw(
          "map(object({ encryption = string, tls_only = bool, retention_seconds = number }))",
        ),
        description: 'One entry per queue; encryption is "cmk", "sqs" (SQS-managed) or "none"',
      },
      kms_key_arn: { type: raw("string"), description: "Key for cmk queues" },
      account_id: { type: raw("string"), description: "Account whose EventBridge sends" },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_sqs_queue",
        name: "this",
        body: {
          for_each: v("queues"),
          name: tpl("${var.prefix}-${each.key}"),
          kms_master_key_id: cond(eq(each("value.encryption"), "cmk"), v("kms_key_arn"), null),
          kms_data_key_reuse_period_seconds: 300,
          sqs_managed_sse_enabled: eq(each("value.encryption"), "sqs"),
          message_retention_seconds: each("value.retention_seconds"),
          ...tags,
        },
      },
      {
        type: "aws_sqs_queue_policy",
        name: "this",
        body: {
          for_each: v("queues"),
          queue_url: ref("aws_sqs_queue.this[each.key].id"),
          policy: call("jsonencode", {
            Version: "2012-10-17",
            Statement: call(
              "concat",
              [
                {
                  Sid: "EventBridgeSends",
                  Effect: "Allow",
                  Principal: { Service: "events.amazonaws.com" },
                  Action: "sqs:SendMessage",
                  Resource: ref("aws_sqs_queue.this[each.key].arn"),
                  Condition: { StringEquals: { "aws:SourceAccount": v("account_id") } },
                },
              ],
              cond(
                each("value.tls_only"),
                [
                  {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "sqs:*",
                    Resource: ref("aws_sqs_queue.this[each.key].arn"),
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                  },
                ],
                [],
              ),
            ),
          }),
        },
      },
    ],
    outputs: {
      queue_arns: forMap(["k", "q"], ref("aws_sqs_queue.this"), ref("k"), ref("q.arn")),
    },
  },

  lambda_function: {
    variables: {
      name: { type: raw("string"), description: "Function name" },
      runtime: { type: raw("string"), description: "Runtime", default: "nodejs22.x" },
      handler: { type: raw("string"), description: "Handler", default: "index.handler" },
      artifact_bucket: { type: raw("string"), description: "Where the zip is" },
      kms_key_arn: {
        type: raw("string"),
        description: "Key for environment variables",
        default: null,
      },
      tracing: { type: raw("bool"), description: "Active X-Ray tracing", default: true },
      reserved_concurrency: { type: raw("number"), description: "-1: unreserved", default: -1 },
      dlq_arn: { type: raw("string"), description: "Dead-letter queue", default: null },
      environment: { type: raw("map(string)"), description: "Environment variables", default: {} },
      subnet_ids: { type: raw("list(string)"), description: "VPC subnets", default: [] },
      security_group_ids: {
        type: raw("list(string)"),
        description: "VPC security groups",
        default: [],
      },
      log_retention_days: { type: raw("number"), description: "Log retention", default: 2192 },
      log_kms_key_arn: { type: raw("string"), description: "Key for the log group", default: null },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_iam_role",
        name: "this",
        body: {
          name: tpl("${var.name}-role"),
          assume_role_policy: assumeRole("lambda.amazonaws.com"),
          ...tags,
        },
      },
      {
        type: "aws_iam_role_policy_attachment",
        name: "basic",
        body: {
          role: ref("aws_iam_role.this.name"),
          policy_arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        },
      },
      {
        type: "aws_cloudwatch_log_group",
        name: "this",
        body: {
          name: tpl("/aws/lambda/${var.name}"),
          retention_in_days: v("log_retention_days"),
          kms_key_id: v("log_kms_key_arn"),
          ...tags,
        },
      },
      {
        type: "aws_lambda_function",
        name: "this",
        body: {
          function_name: v("name"),
          role: ref("aws_iam_role.this.arn"),
          runtime: v("runtime"),
          handler: v("handler"),
          s3_bucket: v("artifact_bucket"),
          s3_key: tpl("lambda/${var.name}.zip"),
          memory_size: 1024,
          timeout: 300,
          kms_key_arn: v("kms_key_arn"),
          reserved_concurrent_executions: v("reserved_concurrency"),
          ...tags,
          tracing_config: block({ mode: cond(v("tracing"), "Active", "PassThrough") }),
          environment: block({ variables: v("environment") }),
          dead_letter_config: dynamic(cond(eq(v("dlq_arn"), null), [], [v("dlq_arn")]), {
            target_arn: ref("dead_letter_config.value"),
          }),
          vpc_config: dynamic(cond(gt(call("length", v("subnet_ids")), 0), [1], []), {
            subnet_ids: v("subnet_ids"),
            security_group_ids: v("security_group_ids"),
          }),
        },
      },
      {
        type: "aws_lambda_function_event_invoke_config",
        name: "this",
        body: {
          count: cond(eq(v("dlq_arn"), null), 0, 1),
          function_name: ref("aws_lambda_function.this.function_name"),
          maximum_retry_attempts: 2,
          destination_config: block({ on_failure: block({ destination: v("dlq_arn") }) }),
        },
      },
    ],
    outputs: {
      function_name: ref("aws_lambda_function.this.function_name"),
      function_arn: ref("aws_lambda_function.this.arn"),
    },
  },

  iam_roles: {
    variables: {
      roles: {
        type: raw(
          "map(object({\n    principal           = map(string)\n    actions             = list(string)\n    resources           = list(string)\n    managed_policy_arns = list(string)\n  }))",
        ),
        description: "One entry per role: who assumes it, its inline permissions, managed policies",
      },
      tags: tagsVariable,
    },
    locals: {
      attachments: call(
        "flatten",
        forList(
          ["role", "cfg"],
          v("roles"),
          forList(["arn"], ref("cfg.managed_policy_arns"), {
            role: ref("role"),
            policy_arn: ref("arn"),
          }),
        ),
      ),
    },
    resources: [
      {
        type: "aws_iam_role",
        name: "this",
        body: {
          for_each: v("roles"),
          name: each("key"),
          assume_role_policy: policyDoc({
            Effect: "Allow",
            Principal: each("value.principal"),
            Action: "sts:AssumeRole",
          }),
          ...tags,
        },
      },
      {
        type: "aws_iam_role_policy",
        name: "this",
        body: {
          for_each: v("roles"),
          name: "permissions",
          role: ref("aws_iam_role.this[each.key].id"),
          policy: policyDoc({
            Effect: "Allow",
            Action: each("value.actions"),
            Resource: each("value.resources"),
          }),
        },
      },
      {
        type: "aws_iam_role_policy_attachment",
        name: "this",
        body: {
          for_each: forMap(
            ["a"],
            ref("local.attachments"),
            tpl("${a.role}/${a.policy_arn}"),
            ref("a"),
          ),
          role: ref("aws_iam_role.this[each.value.role].name"),
          policy_arn: each("value.policy_arn"),
        },
      },
    ],
    outputs: { role_arns: forMap(["k", "r"], ref("aws_iam_role.this"), ref("k"), ref("r.arn")) },
  },

  iam_policies: {
    variables: {
      path: { type: raw("string"), description: "IAM path", default: "/imaging/" },
      policies: {
        type: raw(
          "map(object({\n    description = string\n    statements = list(object({\n      effect    = string\n      actions   = list(string)\n      resources = list(string)\n    }))\n  }))",
        ),
        description: "One entry per managed policy",
      },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_iam_policy",
        name: "this",
        body: {
          for_each: v("policies"),
          name: each("key"),
          path: v("path"),
          description: each("value.description"),
          policy: call("jsonencode", {
            Version: "2012-10-17",
            Statement: forList(["s"], each("value.statements"), {
              Effect: ref("s.effect"),
              Action: ref("s.actions"),
              Resource: ref("s.resources"),
            }),
          }),
          ...tags,
        },
      },
    ],
    outputs: {
      policy_arns: forMap(["k", "p"], ref("aws_iam_policy.this"), ref("k"), ref("p.arn")),
    },
  },

  secrets: {
    variables: {
      prefix: { type: raw("string"), description: "Secret name prefix" },
      secrets: {
        type: raw("map(object({ cmk = bool, rotate_days = number }))"),
        description: "One entry per secret; rotate_days 0: not rotated",
      },
      kms_key_arn: { type: raw("string"), description: "Key for cmk secrets" },
      rotation_lambda_arn: { type: raw("string"), description: "Rotation function" },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_secretsmanager_secret",
        name: "this",
        body: {
          for_each: v("secrets"),
          name: tpl("${var.prefix}/${each.key}"),
          kms_key_id: cond(each("value.cmk"), v("kms_key_arn"), null),
          recovery_window_in_days: 30,
          ...tags,
        },
      },
      {
        type: "aws_secretsmanager_secret_rotation",
        name: "this",
        body: {
          for_each: forMap(
            ["k", "s"],
            v("secrets"),
            ref("k"),
            ref("s"),
            gt(ref("s.rotate_days"), 0),
          ),
          secret_id: ref("aws_secretsmanager_secret.this[each.key].id"),
          rotation_lambda_arn: v("rotation_lambda_arn"),
          rotation_rules: block({ automatically_after_days: each("value.rotate_days") }),
        },
      },
    ],
    outputs: {
      secret_arns: forMap(
        ["k", "s"],
        ref("aws_secretsmanager_secret.this"),
        ref("k"),
        ref("s.arn"),
      ),
    },
  },

  vpc: {
    variables: {
      name: { type: raw("string"), description: "VPC name" },
      cidr_block: { type: raw("string"), description: "VPC CIDR" },
      azs: { type: raw("list(string)"), description: "One private subnet per zone" },
      flow_logs: { type: raw("bool"), description: "Record traffic in flow logs", default: true },
      flow_log_kms_key_arn: {
        type: raw("string"),
        description: "Key for the flow log group",
        default: null,
      },
      ssh_from: { type: raw("list(string)"), description: "Who may reach the bastion on 22" },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_vpc",
        name: "this",
        body: {
          cidr_block: v("cidr_block"),
          enable_dns_support: true,
          enable_dns_hostnames: true,
          tags: call("merge", v("tags"), { Name: v("name") }),
        },
      },
      {
        type: "aws_subnet",
        name: "private",
        body: {
          count: call("length", v("azs")),
          vpc_id: ref("aws_vpc.this.id"),
          cidr_block: call("cidrsubnet", v("cidr_block"), 4, ref("count.index")),
          availability_zone: ref("var.azs[count.index]"),
          map_public_ip_on_launch: false,
          tags: call("merge", v("tags"), { Name: tpl("${var.name}-private-${count.index}") }),
        },
      },
      {
        type: "aws_default_security_group",
        name: "this",
        body: { vpc_id: ref("aws_vpc.this.id"), ...tags },
      },
      {
        type: "aws_cloudwatch_log_group",
        name: "flow",
        body: {
          count: cond(v("flow_logs"), 1, 0),
          name: tpl("/vpc/${var.name}/flow-logs"),
          retention_in_days: 2192,
          kms_key_id: v("flow_log_kms_key_arn"),
          ...tags,
        },
      },
      {
        type: "aws_iam_role",
        name: "flow",
        body: {
          count: cond(v("flow_logs"), 1, 0),
          name: tpl("${var.name}-flow-logs"),
          assume_role_policy: assumeRole("vpc-flow-logs.amazonaws.com"),
          ...tags,
        },
      },
      {
        type: "aws_flow_log",
        name: "this",
        body: {
          count: cond(v("flow_logs"), 1, 0),
          vpc_id: ref("aws_vpc.this.id"),
          traffic_type: "ALL",
          log_destination: ref("aws_cloudwatch_log_group.flow[0].arn"),
          iam_role_arn: ref("aws_iam_role.flow[0].arn"),
          ...tags,
        },
      },
      {
        type: "aws_security_group",
        name: "bastion",
        body: {
          name: tpl("${var.name}-bastion"),
          description: "SSH to the bastion",
          vpc_id: ref("aws_vpc.this.id"),
          ...tags,
          ingress: block({
            description: "SSH",
            from_port: 22,
            to_port: 22,
            protocol: "tcp",
            cidr_blocks: v("ssh_from"),
          }),
          egress: block({
            description: "HTTPS out",
            from_port: 443,
            to_port: 443,
            protocol: "tcp",
            cidr_blocks: [v("cidr_block")],
          }),
        },
      },
    ],
    outputs: {
      vpc_id: ref("aws_vpc.this.id"),
      private_subnet_ids: ref("aws_subnet.private[*].id"),
    },
  },

  vpc_endpoints: {
    variables: {
      vpc_id: { type: raw("string"), description: "The VPC" },
      subnet_ids: { type: raw("list(string)"), description: "Interface endpoint subnets" },
      cidr_block: { type: raw("string"), description: "Who may use the endpoints" },
      region: { type: raw("string"), description: "Region" },
      services: { type: raw("list(string)"), description: "Endpoint services" },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_security_group",
        name: "endpoints",
        body: {
          name: "vpc-endpoints",
          description: "HTTPS from the VPC to the interface endpoints",
          vpc_id: v("vpc_id"),
          ...tags,
          ingress: block({
            description: "HTTPS",
            from_port: 443,
            to_port: 443,
            protocol: "tcp",
            cidr_blocks: [v("cidr_block")],
          }),
        },
      },
      {
        type: "aws_vpc_endpoint",
        name: "this",
        body: {
          for_each: call("toset", v("services")),
          vpc_id: v("vpc_id"),
          service_name: tpl("com.amazonaws.${var.region}.${each.value}"),
          vpc_endpoint_type: cond(eq(each("value"), "s3"), "Gateway", "Interface"),
          subnet_ids: cond(eq(each("value"), "s3"), null, v("subnet_ids")),
          security_group_ids: cond(eq(each("value"), "s3"), null, [
            ref("aws_security_group.endpoints.id"),
          ]),
          private_dns_enabled: ne(each("value"), "s3"),
          ...tags,
        },
      },
    ],
    outputs: {
      endpoint_ids: forMap(["k", "e"], ref("aws_vpc_endpoint.this"), ref("k"), ref("e.id")),
      security_group_id: ref("aws_security_group.endpoints.id"),
    },
  },

  state_machine: {
    variables: {
      name: { type: raw("string"), description: "State machine name" },
      lambda_arn: { type: raw("string"), description: "The function each execution invokes" },
      kms_key_arn: { type: raw("string"), description: "Key for execution data", default: null },
      tracing: { type: raw("bool"), description: "X-Ray tracing", default: true },
      log_level: { type: raw("string"), description: "ALL, ERROR, FATAL or OFF", default: "ALL" },
      include_execution_data: {
        type: raw("bool"),
        description: "Log execution data (may hold PHI)",
        default: false,
      },
      log_kms_key_arn: { type: raw("string"), description: "Key for the log group", default: null },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_cloudwatch_log_group",
        name: "this",
        body: {
          name: tpl("/aws/states/${var.name}"),
          retention_in_days: 2192,
          kms_key_id: v("log_kms_key_arn"),
          ...tags,
        },
      },
      {
        type: "aws_iam_role",
        name: "this",
        body: {
          name: tpl("${var.name}-sfn"),
          assume_role_policy: assumeRole("states.amazonaws.com"),
          ...tags,
        },
      },
      {
        type: "aws_iam_role_policy",
        name: "this",
        body: {
          name: "invoke-and-log",
          role: ref("aws_iam_role.this.id"),
          policy: policyDoc(
            {
              Sid: "Invoke",
              Effect: "Allow",
              Action: "lambda:InvokeFunction",
              Resource: v("lambda_arn"),
            },
            {
              // CloudWatch Logs delivery actions support no resource-level permissions.
              Sid: "LogDelivery",
              Effect: "Allow",
              Action: [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
              ],
              Resource: "*",
            },
          ),
        },
      },
      {
        type: "aws_sfn_state_machine",
        name: "this",
        body: {
          name: v("name"),
          role_arn: ref("aws_iam_role.this.arn"),
          definition: call("jsonencode", {
            Comment: "One object through the job",
            StartAt: "Process",
            States: {
              Process: {
                Type: "Task",
                Resource: "arn:aws:states:::lambda:invoke",
                Parameters: { FunctionName: v("lambda_arn"), "Payload.$": "$" },
                Retry: [
                  {
                    ErrorEquals: ["Lambda.TooManyRequestsException"],
                    MaxAttempts: 6,
                    BackoffRate: 2,
                  },
                ],
                End: true,
              },
            },
          }),
          ...tags,
          logging_configuration: block({
            log_destination: tpl("${aws_cloudwatch_log_group.this.arn}:*"),
            include_execution_data: v("include_execution_data"),
            level: v("log_level"),
          }),
          tracing_configuration: block({ enabled: v("tracing") }),
          encryption_configuration: block({
            type: cond(eq(v("kms_key_arn"), null), "AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY"),
            kms_key_id: v("kms_key_arn"),
            kms_data_key_reuse_period_seconds: cond(eq(v("kms_key_arn"), null), null, 300),
          }),
        },
      },
    ],
    outputs: { state_machine_arn: ref("aws_sfn_state_machine.this.arn") },
  },

  eventbridge: {
    variables: {
      rules: {
        type: raw("map(object({ bucket = string, target_arn = string, dlq_arn = string }))"),
        description: 'One rule per bucket; dlq_arn "" for none',
      },
      role_arn: { type: raw("string"), description: "Role EventBridge uses for targets" },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_cloudwatch_event_rule",
        name: "this",
        body: {
          for_each: v("rules"),
          name: each("key"),
          event_pattern: call("jsonencode", {
            source: ["aws.s3"],
            "detail-type": ["Object Created"],
            detail: {
              bucket: { name: [each("value.bucket")] },
              object: { key: [{ prefix: "incoming/" }] },
            },
          }),
          ...tags,
        },
      },
      {
        type: "aws_cloudwatch_event_target",
        name: "this",
        body: {
          for_each: v("rules"),
          rule: ref("aws_cloudwatch_event_rule.this[each.key].name"),
          arn: each("value.target_arn"),
          role_arn: v("role_arn"),
          retry_policy: block({ maximum_event_age_in_seconds: 3600, maximum_retry_attempts: 10 }),
          dead_letter_config: dynamic(
            cond(eq(each("value.dlq_arn"), ""), [], [each("value.dlq_arn")]),
            {
              arn: ref("dead_letter_config.value"),
            },
          ),
        },
      },
    ],
    outputs: {
      rule_arns: forMap(["k", "r"], ref("aws_cloudwatch_event_rule.this"), ref("k"), ref("r.arn")),
    },
  },

  lambda_access: {
    variables: {
      function_name: { type: raw("string"), description: "The function" },
      account_id: { type: raw("string"), description: "Account of the source bucket" },
      source_bucket_arn: { type: raw("string"), description: "Bucket that invokes the function" },
      public_url: {
        type: raw("bool"),
        description: "Demo only: an unauthenticated URL",
        default: false,
      },
    },
    resources: [
      {
        type: "aws_lambda_permission",
        name: "s3",
        body: {
          statement_id: "AllowS3Invoke",
          action: "lambda:InvokeFunction",
          function_name: v("function_name"),
          principal: "s3.amazonaws.com",
          source_arn: v("source_bucket_arn"),
          source_account: v("account_id"),
        },
      },
      {
        type: "aws_lambda_permission",
        name: "url",
        body: {
          count: cond(v("public_url"), 1, 0),
          statement_id: "AllowPublicUrl",
          action: "lambda:InvokeFunctionUrl",
          function_name: v("function_name"),
          principal: "*",
          function_url_auth_type: "NONE",
        },
      },
      {
        type: "aws_lambda_function_url",
        name: "this",
        body: {
          function_name: v("function_name"),
          authorization_type: cond(v("public_url"), "NONE", "AWS_IAM"),
        },
      },
    ],
    outputs: { url: ref("aws_lambda_function_url.this.function_url") },
  },

  security_rules: {
    variables: {
      name: { type: raw("string"), description: "Security group name" },
      vpc_id: { type: raw("string"), description: "The VPC" },
      ingress: {
        type: raw("map(object({ port = number, cidr = string }))"),
        description: "One ingress rule per entry",
      },
      tags: tagsVariable,
    },
    resources: [
      {
        type: "aws_security_group",
        name: "this",
        body: {
          name: v("name"),
          description: "Viewer and DICOM gateway",
          vpc_id: v("vpc_id"),
          ...tags,
        },
      },
      {
        type: "aws_vpc_security_group_ingress_rule",
        name: "this",
        body: {
          for_each: v("ingress"),
          security_group_id: ref("aws_security_group.this.id"),
          description: each("key"),
          ip_protocol: "tcp",
          from_port: each("value.port"),
          to_port: each("value.port"),
          cidr_ipv4: each("value.cidr"),
          ...tags,
        },
      },
      {
        type: "aws_vpc_security_group_egress_rule",
        name: "https",
        body: {
          security_group_id: ref("aws_security_group.this.id"),
          description: "HTTPS out",
          ip_protocol: "tcp",
          from_port: 443,
          to_port: 443,
          cidr_ipv4: "0.0.0.0/0",
        },
      },
    ],
    outputs: { security_group_id: ref("aws_security_group.this.id") },
  },
};

// ---- the root module ----------------------------------------------------------------------------

const MODALITIES = ["ct", "mr", "us", "xr", "nm", "pt", "mg", "dx"];

/** The controls of bucket i of a set: a deterministic minority of each kind off. */
function bucketSettings(i, seed) {
  const n = i + seed;
  const kms = n % 7 !== 3;
  return {
    sse_algorithm: kms ? "aws:kms" : "AES256",
    bucket_key: kms && n % 4 !== 2,
    versioning: n % 5 === 4 ? "Suspended" : "Enabled",
    logging: n % 6 !== 5,
    block_public: n % 11 !== 7,
    expire_days: n % 9 === 8 ? 0 : 2555,
  };
}

function bucketSet(count, seed) {
  const out = {};
  for (let i = 0; i < count; i++) {
    const name = `${MODALITIES[i % MODALITIES.length]}-site${String(Math.floor(i / MODALITIES.length) + 1).padStart(2, "0")}`;
    out[name] = bucketSettings(i, seed);
  }
  return out;
}

/** The root module: variables with their tfvars values, locals, and the module calls, in order. */
function rootModule(bucketsPerSet) {
  const variables = {
    organization: { type: raw("string"), description: "Organization short name" },
    environment: { type: raw("string"), description: "Environment" },
    region: { type: raw("string"), description: "AWS region", default: REGION },
    account_id: { type: raw("string"), description: "AWS account id" },
    raw_buckets: {
      type: raw("map(any)"),
      description: "Identified-image buckets and their controls",
    },
    processed_buckets: {
      type: raw("map(any)"),
      description: "De-identified package buckets and their controls",
    },
    archive_bucket_count: {
      type: raw("number"),
      description: "Older archive buckets",
      default: 10,
    },
    log_groups: { type: raw("map(any)"), description: "Application log groups" },
    queues: { type: raw("map(any)"), description: "Pipeline queues" },
    alarm_emails: { type: raw("list(string)"), description: "Who alarms e-mail", default: [] },
    roles: { type: raw("any"), description: "Workload roles" },
    policies: { type: raw("any"), description: "Managed policies" },
    secrets: { type: raw("map(any)"), description: "Secrets" },
  };
  const tfvars = {
    organization: "mercy",
    environment: "prod",
    account_id: ACCOUNT,
    raw_buckets: bucketSet(bucketsPerSet, 0),
    processed_buckets: bucketSet(bucketsPerSet, 3),
    log_groups: Object.fromEntries(
      [
        "ingest",
        "deid",
        "encrypt",
        "router",
        "viewer",
        "gateway",
        "audit",
        "report",
        "backfill",
        "pacs-bridge",
        "hl7",
        "admin",
      ].map((g, i) => [
        g,
        {
          retention: [2192, 2192, 3653, 30, 2192, 90, 2192, 0, 2192, 400, 2192, 14][i],
          encrypted: i % 5 !== 3,
        },
      ]),
    ),
    queues: Object.fromEntries(
      ["incoming", "deid", "encrypt", "route", "quarantine", "notify", "report", "backfill"].map(
        (q, i) => [
          q,
          {
            encryption: ["cmk", "cmk", "cmk", "sqs", "cmk", "none", "cmk", "sqs"][i],
            tls_only: i % 4 !== 1,
            retention_seconds: 1209600,
          },
        ],
      ),
    ),
    roles: {
      "deid-worker": {
        principal: { Service: "lambda.amazonaws.com" },
        actions: ["s3:GetObject", "s3:PutObject"],
        resources: [`arn:aws:s3:::mercy-prod-raw-ct-site01/*`],
        managed_policy_arns: [],
      },
      "package-writer": {
        principal: { Service: "lambda.amazonaws.com" },
        actions: ["s3:PutObject", "kms:GenerateDataKey"],
        resources: ["arn:aws:s3:::mercy-prod-processed-ct-site01/*"],
        managed_policy_arns: ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"],
      },
      "viewer-app": {
        principal: { Service: "ecs-tasks.amazonaws.com" },
        actions: ["s3:GetObject"],
        resources: ["*"],
        managed_policy_arns: [],
      },
      "data-science": {
        principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        actions: ["s3:*"],
        resources: ["*"],
        managed_policy_arns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
      },
      "break-glass": {
        principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        actions: ["*"],
        resources: ["*"],
        managed_policy_arns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      },
      "ci-deployer": {
        principal: { Service: "codebuild.amazonaws.com" },
        actions: ["iam:PassRole", "lambda:UpdateFunctionCode"],
        resources: ["*"],
        managed_policy_arns: [],
      },
      "key-user": {
        principal: { Service: "lambda.amazonaws.com" },
        actions: ["kms:Decrypt", "kms:ReEncrypt*"],
        resources: ["*"],
        managed_policy_arns: [],
      },
      "vendor-support": {
        principal: { AWS: "*" },
        actions: ["s3:ListBucket"],
        resources: ["arn:aws:s3:::mercy-prod-raw-ct-site01"],
        managed_policy_arns: [],
      },
      "report-builder": {
        principal: { Service: "lambda.amazonaws.com" },
        actions: ["s3:GetObject", "logs:PutLogEvents"],
        resources: ["arn:aws:s3:::mercy-prod-processed-ct-site01/*"],
        managed_policy_arns: ["arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess"],
      },
      "backup-operator": {
        principal: { Service: "backup.amazonaws.com" },
        actions: ["s3:GetObject", "s3:ListBucket"],
        resources: [
          "arn:aws:s3:::mercy-prod-raw-ct-site01",
          "arn:aws:s3:::mercy-prod-raw-ct-site01/*",
        ],
        managed_policy_arns: [
          "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForS3Backup",
        ],
      },
    },
    policies: {
      "read-packages": {
        description: "Read de-identified packages",
        statements: [
          {
            effect: "Allow",
            actions: ["s3:GetObject"],
            resources: ["arn:aws:s3:::mercy-prod-processed-*/*"],
          },
        ],
      },
      "write-incoming": {
        description: "Upload to incoming/",
        statements: [
          {
            effect: "Allow",
            actions: ["s3:PutObject"],
            resources: ["arn:aws:s3:::mercy-prod-raw-*/incoming/*"],
          },
        ],
      },
      "ops-admin": {
        description: "Operations (too broad)",
        statements: [{ effect: "Allow", actions: ["*"], resources: ["*"] }],
      },
      "s3-everything": {
        description: "Legacy S3 access",
        statements: [{ effect: "Allow", actions: ["s3:*"], resources: ["*"] }],
      },
      "kms-decrypt-any": {
        description: "Decrypt with any key",
        statements: [{ effect: "Allow", actions: ["kms:Decrypt"], resources: ["*"] }],
      },
      "pass-any-role": {
        description: "Deploy functions",
        statements: [{ effect: "Allow", actions: ["iam:PassRole"], resources: ["*"] }],
      },
      "read-logs": {
        description: "Read logs",
        statements: [
          {
            effect: "Allow",
            actions: ["logs:GetLogEvents", "logs:FilterLogEvents"],
            resources: [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/mercy/*`],
          },
        ],
      },
      "sqs-consume": {
        description: "Consume pipeline queues",
        statements: [
          {
            effect: "Allow",
            actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
            resources: [`arn:aws:sqs:${REGION}:${ACCOUNT}:mercy-prod-*`],
          },
        ],
      },
      "deny-unencrypted": {
        description: "Guardrail",
        statements: [{ effect: "Deny", actions: ["s3:PutObject"], resources: ["*"] }],
      },
      "secrets-read": {
        description: "Read pipeline secrets",
        statements: [
          {
            effect: "Allow",
            actions: ["secretsmanager:GetSecretValue"],
            resources: [`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:mercy/prod/*`],
          },
        ],
      },
    },
    secrets: Object.fromEntries(
      [
        "pseudonym-key",
        "audit-hmac",
        "pacs-password",
        "hl7-token",
        "viewer-oauth",
        "smtp",
        "vendor-api",
        "db-admin",
        "db-app",
        "signing-key",
      ].map((s, i) => [s, { cmk: i % 4 !== 2, rotate_days: i % 3 === 1 ? 0 : 30 }]),
    ),
  };
  const autoTfvars = { alarm_emails: ["secops@example.org", "imaging-oncall@example.org"] };
  const locals = {
    prefix: tpl("${var.organization}-${var.environment}"),
    tags: { Environment: v("environment"), Owner: "imaging-platform", "imgsec:data-class": "phi" },
  };
  const T = { tags: ref("local.tags") };
  const A = { account_id: v("account_id") };
  const calls = [
    [
      "kms_phi",
      "kms_key",
      { name: tpl("${local.prefix}-phi"), description: "PHI buckets, logs, queues", ...A, ...T },
    ],
    [
      "kms_logs",
      "kms_key",
      {
        name: tpl("${local.prefix}-logs"),
        description: "Lab logs",
        ...A,
        enable_key_rotation: false,
        deletion_window_in_days: 7,
        ...T,
      },
    ],
    [
      "kms_lab",
      "kms_key",
      {
        name: tpl("${local.prefix}-lab"),
        description: "Research lab",
        ...A,
        allow_everyone_decrypt: true,
        ...T,
      },
    ],
    [
      "access_logs",
      "access_log_bucket",
      { bucket_name: tpl("${local.prefix}-access-logs"), ...A, ...T },
    ],
    [
      "raw_buckets",
      "phi_buckets",
      {
        name_prefix: tpl("${local.prefix}-raw"),
        buckets: v("raw_buckets"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        log_bucket: ref("module.access_logs.bucket_id"),
        ...T,
      },
    ],
    [
      "processed_buckets",
      "phi_buckets",
      {
        name_prefix: tpl("${local.prefix}-processed"),
        purpose: "packages",
        buckets: v("processed_buckets"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        log_bucket: ref("module.access_logs.bucket_id"),
        ...T,
      },
    ],
    [
      "archive",
      "legacy_buckets",
      {
        name_prefix: tpl("${local.prefix}-archive"),
        bucket_count: v("archive_bucket_count"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        log_bucket: ref("module.access_logs.bucket_id"),
        ...T,
      },
    ],
    [
      "audit",
      "audit_bucket",
      {
        bucket_name: tpl("${local.prefix}-audit"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        log_bucket: ref("module.access_logs.bucket_id"),
        ...A,
        region: v("region"),
        trail_name: tpl("${local.prefix}-trail"),
        ...T,
      },
    ],
    [
      "trail",
      "cloudtrail",
      {
        name: tpl("${local.prefix}-trail"),
        s3_bucket_name: ref("module.audit.bucket_id"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        log_group_kms_key_arn: ref("module.kms_phi.key_arn"),
        data_event_buckets: call(
          "concat",
          ref("module.raw_buckets.bucket_arns"),
          ref("module.processed_buckets.bucket_arns"),
        ),
        ...T,
      },
    ],
    [
      "lab_trail",
      "cloudtrail",
      {
        name: tpl("${local.prefix}-lab-trail"),
        s3_bucket_name: ref("module.audit.bucket_id"),
        multi_region: false,
        log_file_validation: false,
        retention_days: 30,
        ...T,
      },
    ],
    [
      "alerts",
      "sns_topic",
      {
        name: tpl("${local.prefix}-alerts"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        ...A,
        emails: v("alarm_emails"),
        ...T,
      },
    ],
    [
      "lab_alerts",
      "sns_topic",
      { name: tpl("${local.prefix}-lab-alerts"), ...A, public_publish: true, ...T },
    ],
    [
      "log_groups",
      "log_groups",
      {
        prefix: ref("local.prefix"),
        groups: v("log_groups"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        ...T,
      },
    ],
    [
      "trail_alarms",
      "trail_alarms",
      {
        log_group_name: ref("module.trail.log_group_name"),
        alarm_topic_arn: ref("module.alerts.topic_arn"),
        silenced: ["network_gateway_changes"],
        ...T,
      },
    ],
    [
      "queues",
      "sqs_queues",
      {
        prefix: ref("local.prefix"),
        queues: v("queues"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        ...A,
        ...T,
      },
    ],
    [
      "vpc",
      "vpc",
      {
        name: tpl("${local.prefix}-vpc"),
        cidr_block: "10.20.0.0/16",
        azs: ["us-east-1a", "us-east-1b", "us-east-1c"],
        flow_log_kms_key_arn: ref("module.kms_phi.key_arn"),
        ssh_from: ["10.20.0.0/16"],
        ...T,
      },
    ],
    [
      "lab_vpc",
      "vpc",
      {
        name: tpl("${local.prefix}-lab-vpc"),
        cidr_block: "10.99.0.0/16",
        azs: ["us-east-1a", "us-east-1b"],
        flow_logs: false,
        ssh_from: ["0.0.0.0/0"],
        ...T,
      },
    ],
    [
      "endpoints",
      "vpc_endpoints",
      {
        vpc_id: ref("module.vpc.vpc_id"),
        subnet_ids: ref("module.vpc.private_subnet_ids"),
        cidr_block: "10.20.0.0/16",
        region: v("region"),
        services: ["s3", "kms", "secretsmanager", "sts", "logs", "states"],
        ...T,
      },
    ],
    [
      "viewer_sg",
      "security_rules",
      {
        name: tpl("${local.prefix}-viewer"),
        vpc_id: ref("module.vpc.vpc_id"),
        ingress: {
          https: { port: 443, cidr: "10.0.0.0/8" },
          dicom: { port: 11112, cidr: "10.20.0.0/16" },
          "public-https": { port: 443, cidr: "0.0.0.0/0" },
          rdp: { port: 3389, cidr: "0.0.0.0/0" },
        },
        ...T,
      },
    ],
    [
      "fn_deid",
      "lambda_function",
      {
        name: tpl("${local.prefix}-deid"),
        artifact_bucket: ref("module.access_logs.bucket_id"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        reserved_concurrency: 20,
        dlq_arn: ref('module.queues.queue_arns["quarantine"]'),
        environment: { DATASET: "mercy-prod", LOG_LEVEL: "info" },
        subnet_ids: ref("module.vpc.private_subnet_ids"),
        security_group_ids: [ref("module.endpoints.security_group_id")],
        log_kms_key_arn: ref("module.kms_phi.key_arn"),
        ...T,
      },
    ],
    [
      "fn_router",
      "lambda_function",
      {
        name: tpl("${local.prefix}-router"),
        artifact_bucket: ref("module.access_logs.bucket_id"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        tracing: false,
        environment: { ROUTE_TABLE: "default" },
        log_kms_key_arn: ref("module.kms_phi.key_arn"),
        ...T,
      },
    ],
    [
      "fn_report",
      "lambda_function",
      {
        name: tpl("${local.prefix}-report"),
        runtime: "python3.8",
        handler: "report.handler",
        artifact_bucket: ref("module.access_logs.bucket_id"),
        environment: { SMTP_HOST: "smtp.example.org" },
        log_retention_days: 30,
        ...T,
      },
    ],
    [
      "fn_access",
      "lambda_access",
      {
        function_name: ref("module.fn_report.function_name"),
        ...A,
        source_bucket_arn: ref("module.raw_buckets.bucket_arns[0]"),
        public_url: true,
      },
    ],
    [
      "deid_access",
      "lambda_access",
      {
        function_name: ref("module.fn_deid.function_name"),
        ...A,
        source_bucket_arn: ref("module.raw_buckets.bucket_arns[1]"),
      },
    ],
    ["roles", "iam_roles", { roles: v("roles"), ...T }],
    ["policies", "iam_policies", { policies: v("policies"), ...T }],
    [
      "secrets",
      "secrets",
      {
        prefix: tpl("${var.organization}/${var.environment}"),
        secrets: v("secrets"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        rotation_lambda_arn: ref("module.fn_router.function_arn"),
        ...T,
      },
    ],
    [
      "sfn_process",
      "state_machine",
      {
        name: tpl("${local.prefix}-process-object"),
        lambda_arn: ref("module.fn_deid.function_arn"),
        kms_key_arn: ref("module.kms_phi.key_arn"),
        log_kms_key_arn: ref("module.kms_phi.key_arn"),
        ...T,
      },
    ],
    [
      "sfn_backfill",
      "state_machine",
      {
        name: tpl("${local.prefix}-backfill"),
        lambda_arn: ref("module.fn_deid.function_arn"),
        tracing: false,
        log_level: "ERROR",
        include_execution_data: true,
        ...T,
      },
    ],
    [
      "events",
      "eventbridge",
      {
        rules: forMap(
          ["name", "id"],
          ref("module.raw_buckets.bucket_ids"),
          tpl("${local.prefix}-${name}-created"),
          {
            bucket: ref("id"),
            target_arn: ref("module.sfn_process.state_machine_arn"),
            dlq_arn: cond(
              eq(ref("name"), "ct-site01"),
              "",
              ref('module.queues.queue_arns["quarantine"]'),
            ),
          },
        ),
        role_arn: ref('module.roles.role_arns["deid-worker"]'),
        ...T,
      },
    ],
  ];
  const outputs = {
    phi_key_arn: ref("module.kms_phi.key_arn"),
    trail_arn: ref("module.trail.trail_arn"),
    state_machine_arn: ref("module.sfn_process.state_machine_arn"),
  };
  return { variables, tfvars, autoTfvars, locals, calls, outputs };
}

// ---- rendering both forms -----------------------------------------------------------------------

function printVariables(variables) {
  return Object.entries(variables)
    .map(([name, d]) =>
      printBlock("variable", [name], {
        type: d.type,
        description: d.description,
        ...(d.default !== undefined ? { default: d.default } : {}),
      }),
    )
    .join("\n\n");
}

const printOutputs = (outputs) =>
  Object.entries(outputs)
    .map(([name, value]) => printBlock("output", [name], { value }))
    .join("\n\n");

const printTfvars = (values) =>
  Object.entries(values)
    .map(([k, x]) => `${k} = ${printExpr(x, 0)}`)
    .join("\n\n");

function moduleFiles(name, m) {
  const parts = [];
  if (m.locals) parts.push(printBlock("locals", [], m.locals));
  for (const r of m.resources) {
    const { count, for_each: forEach, ...rest } = r.body;
    const meta =
      count !== undefined ? { count } : forEach !== undefined ? { for_each: forEach } : {};
    parts.push(printBlock("resource", [r.type, r.name], { ...meta, ...rest }));
  }
  return {
    [`modules/${name}/main.tf`]: parts.join("\n\n") + "\n",
    [`modules/${name}/variables.tf`]: printVariables(m.variables) + "\n",
    [`modules/${name}/outputs.tf`]: printOutputs(m.outputs) + "\n",
  };
}

function rootFiles(root) {
  const head = [
    printBlock("terraform", [], {
      required_version: ">= 1.6.0",
      required_providers: block({ aws: { source: "hashicorp/aws", version: "~> 5.80" } }),
    }),
    printBlock("provider", ["aws"], {
      region: v("region"),
      default_tags: block({ tags: ref("local.tags") }),
    }),
    printBlock("locals", [], root.locals),
  ];
  const calls = root.calls.map(([name, source, args]) =>
    printBlock("module", [name], { source: `./modules/${source}`, ...args }),
  );
  return {
    "main.tf": [...head, ...calls].join("\n\n") + "\n",
    "variables.tf": printVariables(root.variables) + "\n",
    "outputs.tf": printOutputs(root.outputs) + "\n",
    "terraform.tfvars": printTfvars(root.tfvars) + "\n",
    "notifications.auto.tfvars": printTfvars(root.autoTfvars) + "\n",
  };
}

/** Terraform's references of an expression (configuration JSON): traversals, resource ones with
 * their resource, as `terraform show -json` lists them. */
function referencesOf(e, out = new Set()) {
  if (e === null || typeof e !== "object") return out;
  if (Array.isArray(e)) e.forEach((x) => referencesOf(x, out));
  else if (e instanceof Ref) {
    const names = [];
    for (const s of e.steps) {
      if (s.name === undefined) {
        if (typeof s.index === "object") referencesOf(s.index, out);
        break;
      }
      names.push(s.name);
    }
    const root = names[0];
    if (["var", "local", "each", "count"].includes(root)) out.add(names.slice(0, 2).join("."));
    else if (root === "module")
      out.add(names.slice(0, 3).join(".")).add(names.slice(0, 2).join("."));
    else if (names.length >= 2) {
      if (names.length >= 3) out.add(names.slice(0, 3).join("."));
      out.add(names.slice(0, 2).join("."));
    }
  } else if (e instanceof Tpl) e.parts.forEach((p) => referencesOf(p, out));
  else if (e instanceof Call) e.args.forEach((a) => referencesOf(a, out));
  else if (e instanceof Cond) [e.test, e.then, e.otherwise].forEach((x) => referencesOf(x, out));
  else if (e instanceof Bin) [e.a, e.b].forEach((x) => referencesOf(x, out));
  else if (e instanceof For) {
    const bound = new Set(e.vars);
    const inner = new Set();
    [e.coll, e.key, e.val, e.cond].forEach((x) => referencesOf(x, inner));
    for (const r of inner) if (!bound.has(r.split(".")[0])) out.add(r);
  } else if (!(e instanceof Raw || e instanceof Block || e instanceof Dynamic))
    Object.values(e).forEach((x) => referencesOf(x, out));
  return out;
}

/** An expression in configuration JSON: a constant, or the references it makes. */
function expressionJson(e, env) {
  const refs = [...referencesOf(e)];
  if (refs.length) return { references: refs };
  return { constant_value: evaluate(e, env) };
}

function bodyExpressions(body, env) {
  const out = {};
  for (const [k, x] of Object.entries(body)) {
    if (k === "count" || k === "for_each" || x instanceof Dynamic) continue;
    if (x instanceof Block) out[k] = x.bodies.map((b) => bodyExpressions(b, env));
    else out[k] = expressionJson(x, env);
  }
  return out;
}

/** Evaluates one module instance: its resources (planned values) and outputs. */
function evaluateModule(callName, m, inputs) {
  const vars = {};
  for (const [name, d] of Object.entries(m.variables)) {
    if (name in inputs) vars[name] = inputs[name];
    else if (d.default !== undefined) vars[name] = d.default;
    else throw new Error(`gen-hcl: module.${callName}: variable ${name} is not set`);
  }
  const env = { vars, locals: {}, scope: {}, resources: {}, modules: {} };
  for (const [k, e] of Object.entries(m.locals ?? {})) env.locals[k] = evaluate(e, env);
  const instances = [];
  for (const r of m.resources) {
    const { count, for_each: forEach, ...body } = r.body;
    const base = `module.${callName}.${r.type}.${r.name}`;
    const one = (key, scope) => {
      const address = key === undefined ? base : `${base}[${JSON.stringify(key)}]`;
      const values = evaluateBody(body, { ...env, scope });
      const state = { ...computed(r.type, values, address), ...values };
      instances.push({ address, type: r.type, name: r.name, index: key, values: state });
      return state;
    };
    if (count !== undefined) {
      const n = evaluate(count, env);
      env.resources[`${r.type}.${r.name}`] = Array.from({ length: n }, (_, i) =>
        one(i, { count: { index: i } }),
      );
    } else if (forEach !== undefined) {
      const coll = evaluate(forEach, env);
      const entries = Array.isArray(coll) ? coll.map((x) => [x, x]) : Object.entries(coll);
      env.resources[`${r.type}.${r.name}`] = Object.fromEntries(
        entries.map(([key, value]) => [key, one(key, { each: { key, value } })]),
      );
    } else env.resources[`${r.type}.${r.name}`] = one(undefined, {});
  }
  const outputs = {};
  for (const [k, e] of Object.entries(m.outputs)) outputs[k] = evaluate(e, env);
  return { instances, outputs, env };
}

/** Both forms of the estate: {files: {relative path: text}, plan, model}. */
function generateEstate({ bucketsPerSet = 18 } = {}) {
  const root = rootModule(bucketsPerSet);
  const vars = {};
  for (const [name, d] of Object.entries(root.variables)) {
    const value = root.autoTfvars[name] ?? root.tfvars[name] ?? d.default;
    if (value === undefined) throw new Error(`gen-hcl: root variable ${name} is not set`);
    vars[name] = value;
  }
  const rootEnv = { vars, locals: {}, scope: {}, resources: {}, modules: {} };
  for (const [k, e] of Object.entries(root.locals)) rootEnv.locals[k] = evaluate(e, rootEnv);

  const files = rootFiles(root);
  for (const [name, m] of Object.entries(MODULES)) Object.assign(files, moduleFiles(name, m));

  const plannedModules = [];
  const changes = [];
  const moduleCalls = {};
  const model = [];
  let updated = 0;
  for (const [callName, source, args] of root.calls) {
    const m = MODULES[source];
    const inputs = Object.fromEntries(
      Object.entries(args).map(([k, e]) => [k, evaluate(e, rootEnv)]),
    );
    const { instances, outputs, env } = evaluateModule(callName, m, inputs);
    rootEnv.modules[callName] = outputs;
    const resources = instances.map((x) => ({
      address: x.address,
      mode: "managed",
      type: x.type,
      name: x.name,
      ...(x.index !== undefined ? { index: x.index } : {}),
      provider_name: "registry.terraform.io/hashicorp/aws",
      schema_version: 0,
      values: x.values,
      sensitive_values: {},
    }));
    plannedModules.push({ address: `module.${callName}`, resources });
    for (const x of resources) {
      // A few resources change their tags in this plan; the rest are unchanged.
      const update = x.values.tags && updated < 5 && x.type === "aws_s3_bucket";
      if (update) updated++;
      const before = update
        ? { ...x.values, tags: { ...x.values.tags, CostCenter: "old" } }
        : x.values;
      changes.push({
        address: x.address,
        module_address: `module.${callName}`,
        mode: "managed",
        type: x.type,
        name: x.name,
        ...(x.index !== undefined ? { index: x.index } : {}),
        provider_name: x.provider_name,
        change: {
          actions: [update ? "update" : "no-op"],
          before,
          after: x.values,
          after_unknown: {},
          before_sensitive: {},
          after_sensitive: {},
        },
      });
    }
    moduleCalls[callName] = {
      source: `./modules/${source}`,
      expressions: Object.fromEntries(
        Object.entries(args).map(([k, e]) => [k, expressionJson(e, rootEnv)]),
      ),
      module: {
        outputs: Object.fromEntries(
          Object.entries(m.outputs).map(([k, e]) => [k, { expression: expressionJson(e, env) }]),
        ),
        resources: m.resources.map((r) => ({
          address: `${r.type}.${r.name}`,
          mode: "managed",
          type: r.type,
          name: r.name,
          provider_config_key: `${callName}:aws`,
          expressions: bodyExpressions(r.body, env),
          schema_version: 0,
          ...(r.body.count !== undefined
            ? { count_expression: expressionJson(r.body.count, env) }
            : {}),
          ...(r.body.for_each !== undefined
            ? { for_each_expression: expressionJson(r.body.for_each, env) }
            : {}),
        })),
        variables: Object.fromEntries(
          Object.entries(m.variables).map(([k, d]) => [
            k,
            {
              description: d.description,
              ...(d.default !== undefined ? { default: d.default } : {}),
            },
          ]),
        ),
      },
    };
    for (const x of instances)
      model.push({ address: x.address, type: x.type, module: callName, source });
  }
  const plan = {
    format_version: "1.2",
    terraform_version: "1.9.8",
    variables: Object.fromEntries(Object.entries(vars).map(([k, x]) => [k, { value: x }])),
    planned_values: {
      outputs: Object.fromEntries(
        Object.entries(root.outputs).map(([k, e]) => [
          k,
          { sensitive: false, value: evaluate(e, rootEnv) },
        ]),
      ),
      root_module: { child_modules: plannedModules },
    },
    resource_changes: changes,
    configuration: {
      provider_config: {
        aws: {
          name: "aws",
          full_name: "registry.terraform.io/hashicorp/aws",
          version_constraint: "~> 5.80",
          expressions: { region: { references: ["var.region"] } },
        },
      },
      root_module: {
        outputs: Object.fromEntries(
          Object.entries(root.outputs).map(([k, e]) => [
            k,
            { expression: expressionJson(e, rootEnv) },
          ]),
        ),
        module_calls: moduleCalls,
        variables: Object.fromEntries(
          Object.entries(root.variables).map(([k, d]) => [
            k,
            {
              description: d.description,
              ...(d.default !== undefined ? { default: d.default } : {}),
            },
          ]),
        ),
      },
    },
    timestamp: "2026-01-15T09:00:00Z",
    errored: false,
  };
  return { files, plan, model };
}

// ---- the cache ----------------------------------------------------------------------------------

const CACHE = join(__dirname, "..", ".tools", "bench-cache", "checkov");

/** Writes the estate into `dir` (hcl/, plan.json, meta.json last); returns meta. */
function writeEstate(dir, opts) {
  const { files, plan, model } = generateEstate(opts);
  let bytes = 0;
  let lines = 0;
  for (const [rel, text] of Object.entries(files)) {
    const file = join(dir, "hcl", rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    bytes += Buffer.byteLength(text);
    lines += text.split("\n").length - 1;
  }
  const planText = JSON.stringify(plan);
  writeFileSync(join(dir, "plan.json"), planText);
  const byType = {};
  for (const r of model) byType[r.type] = (byType[r.type] ?? 0) + 1;
  const meta = {
    version: GEN_VERSION,
    bucketsPerSet: opts.bucketsPerSet,
    resources: model.length,
    modules: Object.keys(MODULES).length,
    moduleCalls: new Set(model.map((r) => r.module)).size,
    files: Object.keys(files).length,
    hclBytes: bytes,
    hclLines: lines,
    planBytes: Buffer.byteLength(planText),
    byType,
    addresses: model.map((r) => r.address),
  };
  writeFileSync(join(dir, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
  return meta;
}

/** The cached estate for these options, made first when it is not there (stale ones removed). */
function estateData({ bucketsPerSet = 18 } = {}) {
  const key = `${GEN_VERSION}-b${bucketsPerSet}`;
  const dir = join(CACHE, key);
  const paths = { dir, hcl: join(dir, "hcl"), plan: join(dir, "plan.json") };
  if (existsSync(join(dir, "meta.json")))
    return { ...paths, meta: JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) };
  mkdirSync(CACHE, { recursive: true });
  for (const name of readdirSync(CACHE)) {
    const tmp = /\.tmp-(\d+)$/.exec(name);
    if (name === key || (tmp && alive(Number(tmp[1])))) continue;
    rmSync(join(CACHE, name), { recursive: true, force: true });
  }
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const meta = writeEstate(work, { bucketsPerSet });
    renameSync(work, dir);
    return { ...paths, meta };
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

module.exports = { generateEstate, estateData, writeEstate, GEN_VERSION, MODULES };

if (require.main === module) {
  const out = process.argv[2];
  if (out) {
    if (existsSync(out)) throw new Error(`gen-hcl: ${out} exists`);
    mkdirSync(out, { recursive: true });
    const meta = writeEstate(out, { bucketsPerSet: 18 });
    process.stdout.write(`${JSON.stringify({ ...meta, addresses: undefined })}\n`);
  } else {
    const d = estateData();
    process.stdout.write(`${d.dir}\n`);
  }
}
