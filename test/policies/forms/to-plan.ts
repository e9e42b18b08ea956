/**
 * A cdktf / Terraform JSON document (object form) as the plan `terraform show -json` would print
 * for it (format 1.2), without running Terraform:
 *
 * - `planned_values.root_module.resources`: every resource and data source with its planned
 *   values: blocks as lists (a plan writes every nested block as a list), unset attributes `null`
 *   and unset blocks `[]` as Terraform writes them, values known only after apply left out.
 * - `resource_changes`: each managed resource's `after` and `after_unknown` (`true` at every value
 *   known only after apply, `false` for known list elements, as Terraform's unknownAsBool writes it).
 * - `configuration.root_module.resources`: each attribute's expression, `constant_value` or the
 *   `references` it makes (`["aws_kms_key.k.arn", "aws_kms_key.k"]`).
 *
 * What is known at plan time follows Terraform. With `state: "create"` (a first deployment)
 * nothing exists yet: an attribute the provider computes (an ARN, an id) is unknown, and so is
 * every value made from one: a string with an unknown part is wholly unknown (a policy document
 * naming a new key's ARN is `(known after apply)`). A reference to an attribute the configuration
 * sets is known (`${aws_sqs_queue.q.name}`). Data sources without unknown arguments are read while
 * planning (the account is 111122223333 in us-east-1, partition aws). With `state: "existing"` the
 * resources are deployed and this plan changes nothing: computed attributes have the values state
 * holds (made up here, in AWS's formats), so every value is known.
 *
 * Only what the project's stacks and the mutation cases use is modelled: templates of literal text
 * and references; anything else (functions, `%{` directives, count, variables) throws, so that a
 * new case that needs more says so instead of giving a wrong plan.
 */
import { createHash } from "node:crypto";
import { BodySchema, bodySchema } from "./schema";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** A value known only after apply. */
const U = Symbol("known after apply");
type Planned = null | boolean | number | string | typeof U | Planned[] | { [k: string]: Planned };
type PlannedObj = { [k: string]: Planned };

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isPlannedObj = (v: Planned): v is PlannedObj =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export const ACCOUNT = "111122223333";
export const REGION = "us-east-1";
const PROVIDER = "registry.terraform.io/hashicorp/aws";

export interface PlanOptions {
  /** "create": nothing is deployed yet; "existing": everything is, and the plan changes nothing. */
  state: "create" | "existing";
}

// ---- templates ----------------------------------------------------------------------------------

type Part = { text: string } | { expr: string };

/** The index of the `}` that closes an interpolation starting at `from`, or -1. */
function closing(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === "\\") i++;
    } else if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** A Terraform JSON string as a template: literal text (escapes undone) and interpolations. */
export function templateParts(s: string): Part[] {
  const parts: Part[] = [];
  let text = "";
  for (let i = 0; i < s.length; ) {
    const c = s[i];
    if ((c === "$" || c === "%") && s[i + 1] === c && s[i + 2] === "{") {
      text += `${c}{`;
      i += 3;
    } else if (c === "%" && s[i + 1] === "{") {
      throw new Error(`template directives are not modelled: ${s}`);
    } else if (c === "$" && s[i + 1] === "{") {
      const end = closing(s, i + 2);
      if (end < 0) throw new Error(`unterminated interpolation: ${s}`);
      if (text) parts.push({ text });
      text = "";
      parts.push({ expr: s.slice(i + 2, end).trim() });
      i = end + 1;
    } else {
      text += c;
      i++;
    }
  }
  if (text) parts.push({ text });
  return parts;
}

const TRAVERSAL = /^([A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*|\.\d+|\[\d+\]|\["[^"]*"\])*)$/;
const STEP = /\.([A-Za-z_][\w-]*)|\.(\d+)|\[(\d+)\]|\["([^"]*)"\]/g;

interface Reference {
  /** `aws_kms_key.k` or `data.aws_partition.p`. */
  address: string;
  /** The steps after the address (`["arn"]`). */
  path: (string | number)[];
  /** As Terraform lists it in `references`: the traversal, then the resource. */
  references: string[];
}

function reference(expr: string): Reference {
  const m = TRAVERSAL.exec(expr);
  if (!m) throw new Error(`only plain references are modelled, not: ${expr}`);
  const steps: (string | number)[] = [m[1]];
  for (const s of m[2].matchAll(STEP)) steps.push(s[1] ?? s[4] ?? Number(s[2] ?? s[3]));
  const data = steps[0] === "data";
  const n = data ? 3 : 2;
  if (steps.length < n || steps.slice(0, n).some((x) => typeof x !== "string"))
    throw new Error(`not a reference to a resource or data source: ${expr}`);
  if (
    !data &&
    ["var", "local", "module", "each", "count", "path", "self", "terraform"].includes(
      steps[0] as string,
    )
  )
    throw new Error(`${steps[0]}.* is not modelled: ${expr}`);
  const address = steps.slice(0, n).join(".");
  return {
    address,
    path: steps.slice(n),
    references: steps.length > n ? [expr, address] : [address],
  };
}

/** Every reference a value makes, in order, once each. */
function referencesIn(v: Json, out = new Set<string>()): Set<string> {
  if (typeof v === "string") {
    for (const p of templateParts(v))
      if ("expr" in p) reference(p.expr).references.forEach((r) => out.add(r));
  } else if (Array.isArray(v)) v.forEach((x) => referencesIn(x, out));
  else if (isObj(v)) Object.values(v).forEach((x) => referencesIn(x, out));
  return out;
}

// ---- the configuration --------------------------------------------------------------------------

const META = new Set(["//", "depends_on", "provider", "lifecycle", "provisioner", "connection"]);

interface Declared {
  address: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  body: Obj;
  schema: BodySchema;
}

const bodiesOf = (v: Json): Obj[] | undefined =>
  isObj(v) ? [v] : Array.isArray(v) && v.every(isObj) ? (v as Obj[]) : undefined;

function declarations(doc: Obj): Map<string, Declared> {
  const out = new Map<string, Declared>();
  for (const mode of ["resource", "data"] as const) {
    const byType = doc[mode];
    if (byType === undefined) continue;
    if (!isObj(byType)) throw new Error(`${mode} must be in the object form`);
    for (const [type, byName] of Object.entries(byType)) {
      if (type === "//" || !isObj(byName)) continue;
      for (const [name, body] of Object.entries(byName)) {
        if (name === "//") continue;
        if (!isObj(body)) throw new Error(`${type}.${name} must be an object`);
        if ("count" in body || "for_each" in body || "dynamic" in body)
          throw new Error(`${type}.${name}: count, for_each and dynamic blocks are not modelled`);
        const address = `${mode === "data" ? "data." : ""}${type}.${name}`;
        out.set(address, {
          address,
          mode: mode === "data" ? "data" : "managed",
          type,
          name,
          body,
          schema: bodySchema(type, mode === "data" ? "data" : "resource"),
        });
      }
    }
  }
  return out;
}

// ---- values ------------------------------------------------------------------------------------

const digest = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);
const uuid = (s: string) => {
  const h = digest(s, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** A string value of the configured body, when it is known (for names inside made-up ARNs). */
const str = (v: Planned | undefined): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * What state holds for an attribute the provider computes, for a deployed resource: made up in
 * AWS's formats, from the resource's own values. Undefined where nothing is made up.
 */
function stateValue(r: Declared, attr: string, own: (a: string) => Planned): Planned | undefined {
  const arnOf = (service: string, resource: string, region = REGION) =>
    `arn:aws:${service}:${region}:${ACCOUNT}:${resource}`;
  const name =
    str(own("name")) ??
    (str(own("name_prefix")) !== undefined
      ? `${str(own("name_prefix"))}20261202000000000000000001`
      : undefined) ??
    `${r.name}-${digest(r.address, 8)}`;
  switch (r.type) {
    case "aws_s3_bucket": {
      const bucket = str(own("bucket")) ?? `${r.name.toLowerCase()}-${digest(r.address, 8)}`;
      return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}` }[attr];
    }
    case "aws_kms_key": {
      const keyId = uuid(r.address);
      return { id: keyId, key_id: keyId, arn: arnOf("kms", `key/${keyId}`) }[attr];
    }
    case "aws_iam_role":
      return {
        id: name,
        name,
        arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
        unique_id: `AROA${digest(r.address, 17).toUpperCase()}`,
      }[attr];
    case "aws_iam_policy":
      return {
        id: `arn:aws:iam::${ACCOUNT}:policy/${name}`,
        arn: `arn:aws:iam::${ACCOUNT}:policy/${name}`,
        name,
      }[attr];
    case "aws_sqs_queue": {
      const url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
      return { id: url, url, name, arn: arnOf("sqs", name) }[attr];
    }
    case "aws_sns_topic": {
      const arn = arnOf("sns", name);
      return { id: arn, arn, name }[attr];
    }
    case "aws_cloudwatch_log_group":
      return { id: name, name, arn: arnOf("logs", `log-group:${name}`) }[attr];
    case "aws_lambda_function": {
      const fn = str(own("function_name")) ?? name;
      const arn = arnOf("lambda", `function:${fn}`);
      return {
        id: fn,
        function_name: fn,
        arn,
        qualified_arn: `${arn}:$LATEST`,
        invoke_arn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arn}/invocations`,
      }[attr];
    }
    case "aws_secretsmanager_secret": {
      const arn = arnOf("secretsmanager", `secret:${name}-${digest(r.address, 6)}`);
      return { id: arn, arn, name }[attr];
    }
    case "aws_sfn_state_machine": {
      const arn = arnOf("states", `stateMachine:${name}`);
      return { id: arn, arn, name }[attr];
    }
    case "aws_cloudwatch_event_rule":
      return { id: name, name, arn: arnOf("events", `rule/${name}`) }[attr];
    case "aws_cloudwatch_event_bus":
      return { id: name, name, arn: arnOf("events", `event-bus/${name}`) }[attr];
    case "aws_lambda_function_url":
      return { function_url: `https://${digest(r.address, 32)}.lambda-url.${REGION}.on.aws/` }[
        attr
      ];
    case "aws_vpc":
    case "aws_subnet":
    case "aws_security_group":
    case "aws_route_table":
    case "aws_internet_gateway": {
      const prefix = {
        aws_vpc: "vpc",
        aws_subnet: "subnet",
        aws_security_group: "sg",
        aws_route_table: "rtb",
        aws_internet_gateway: "igw",
      }[r.type];
      const id = `${prefix}-0${digest(r.address, 16)}`;
      return { id, arn: arnOf("ec2", `${r.type.replace(/^aws_/, "").replace(/_/g, "-")}/${id}`) }[
        attr
      ];
    }
    default:
      return attr === "id" ? `${r.type}-${digest(r.address, 12)}` : undefined;
  }
}

/** A policy document as the aws_iam_policy_document data source renders it. */
function renderPolicyDocument(values: PlannedObj): Planned {
  if (
    ["source_policy_documents", "override_policy_documents", "source_json", "override_json"].some(
      (k) =>
        values[k] !== null &&
        values[k] !== undefined &&
        !(Array.isArray(values[k]) && (values[k] as Planned[]).length === 0),
    )
  )
    throw new Error("aws_iam_policy_document: source and override documents are not modelled");
  const one = (v: Planned): Planned => (Array.isArray(v) && v.length === 1 ? v[0] : v);
  const principals = (blocks: Planned): Planned | undefined => {
    if (!Array.isArray(blocks) || blocks.length === 0) return undefined;
    const out: PlannedObj = {};
    for (const b of blocks as PlannedObj[]) {
      if (b.type === "*") return "*";
      out[b.type as string] = one(b.identifiers);
    }
    return out;
  };
  const statements = (Array.isArray(values.statement) ? values.statement : []).map((raw) => {
    const s = raw as PlannedObj;
    const out: PlannedObj = {};
    if (s.sid) out.Sid = s.sid;
    out.Effect = s.effect ?? "Allow";
    const lists: [string, string][] = [
      ["actions", "Action"],
      ["not_actions", "NotAction"],
      ["resources", "Resource"],
      ["not_resources", "NotResource"],
    ];
    for (const [k, key] of lists)
      if (Array.isArray(s[k]) && (s[k] as Planned[]).length) out[key] = one(s[k]);
    const p = principals(s.principals);
    if (p !== undefined) out.Principal = p;
    const np = principals(s.not_principals);
    if (np !== undefined) out.NotPrincipal = np;
    if (Array.isArray(s.condition) && s.condition.length) {
      const cond: PlannedObj = {};
      for (const c of s.condition as PlannedObj[]) {
        const test = (cond[c.test as string] ??= {}) as PlannedObj;
        test[c.variable as string] = one(c.values);
      }
      out.Condition = cond;
    }
    return out;
  });
  return JSON.stringify({ Version: values.version ?? "2012-10-17", Statement: statements });
}

/** Values a data source returns when read while planning. */
function dataSourceValues(r: Declared, args: PlannedObj): PlannedObj {
  switch (r.type) {
    case "aws_caller_identity":
      return {
        ...args,
        account_id: ACCOUNT,
        arn: `arn:aws:iam::${ACCOUNT}:user/ci`,
        id: ACCOUNT,
        user_id: "AIDAEXAMPLECIUSER",
      };
    case "aws_partition":
      return {
        ...args,
        partition: "aws",
        dns_suffix: "amazonaws.com",
        id: "aws",
        reverse_dns_prefix: "com.amazonaws",
      };
    case "aws_region":
      return {
        ...args,
        name: REGION,
        region: REGION,
        id: REGION,
        endpoint: `ec2.${REGION}.amazonaws.com`,
        description: "US East (N. Virginia)",
      };
    case "aws_iam_policy_document": {
      const json = renderPolicyDocument(args);
      return { ...args, json, minified_json: json, id: String(digest(String(json), 10)) };
    }
    default:
      throw new Error(`no plan-time values are modelled for data source ${r.type}`);
  }
}

const hasUnknown = (v: Planned): boolean =>
  v === U ||
  (Array.isArray(v)
    ? v.some(hasUnknown)
    : isPlannedObj(v)
      ? Object.values(v).some(hasUnknown)
      : false);

class Planner {
  private readonly values = new Map<string, PlannedObj>();
  private readonly evaluating = new Set<string>();

  constructor(
    readonly declared: Map<string, Declared>,
    readonly opts: PlanOptions,
  ) {}

  /** The planned values of a resource or data source (U for what is known after apply). */
  planned(address: string): PlannedObj {
    let v = this.values.get(address);
    if (v) return v;
    const r = this.declared.get(address);
    if (!r) throw new Error(`a reference to ${address}, which the configuration does not declare`);
    if (this.evaluating.has(address)) throw new Error(`a reference cycle through ${address}`);
    this.evaluating.add(address);
    const args = this.body(r.body, r.schema, r, true);
    if (r.mode === "data") {
      if (hasUnknown(args))
        throw new Error(
          `${address} would be read during apply: deferred data sources are not modelled`,
        );
      v = dataSourceValues(r, args);
    } else v = args;
    this.evaluating.delete(address);
    this.values.set(address, v);
    return v;
  }

  /**
   * A body's values: configured keys evaluated, the provider's other keys as a plan shows them.
   * `objects` is true inside an attribute written as blocks (a security group's `egress`): the
   * bindings mark every field of those computed, but a field the configuration leaves out is null.
   */
  body(b: Obj, schema: BodySchema, r: Declared, top: boolean, objects = false): PlannedObj {
    const out: PlannedObj = {};
    for (const [k, v] of Object.entries(b)) {
      if (META.has(k)) continue;
      const key = schema.key(k);
      const bodies = key?.block ? bodiesOf(v) : undefined;
      if (key?.block && bodies)
        out[k] = bodies.map((x) => this.body(x, key.body, r, false, schema.computed(k)));
      else if (key?.block && v === null) out[k] = [];
      else out[k] = this.evaluate(v);
    }
    for (const k of schema.keys()) {
      if (k in out) continue;
      const key = schema.key(k);
      if (schema.computed(k) && !objects) {
        // A data source's computed values are its result (dataSourceValues).
        if (r.mode === "data") continue;
        if (this.opts.state === "create") out[k] = U;
        else if (top) {
          const s = stateValue(r, k, (a) => out[a]);
          if (s !== undefined) out[k] = s;
        }
      } else out[k] = key?.block ? [] : null;
    }
    return out;
  }

  evaluate(v: Json): Planned {
    if (typeof v === "string") return this.template(v);
    if (Array.isArray(v)) return v.map((x) => this.evaluate(x));
    if (isObj(v)) {
      const out: PlannedObj = {};
      for (const [k, x] of Object.entries(v)) {
        if (k.includes("${") || k.includes("%{"))
          throw new Error(`template keys are not modelled: ${k}`);
        out[k] = this.evaluate(x);
      }
      return out;
    }
    return v;
  }

  template(s: string): Planned {
    const parts = templateParts(s);
    if (parts.length === 1 && "expr" in parts[0]) return this.resolve(reference(parts[0].expr));
    let out = "";
    for (const p of parts) {
      if ("text" in p) {
        out += p.text;
        continue;
      }
      const v = this.resolve(reference(p.expr));
      if (v === U) return U; // a string with an unknown part is unknown as a whole
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean")
        out += String(v);
      else
        throw new Error(`a ${v === null ? "null" : "collection"} interpolated into a string: ${s}`);
    }
    return out;
  }

  resolve(ref: Reference): Planned {
    const r = this.declared.get(ref.address);
    if (!r)
      throw new Error(`a reference to ${ref.address}, which the configuration does not declare`);
    let v: Planned = this.planned(ref.address);
    if (ref.path.length === 0)
      throw new Error(`a reference to a whole resource is not modelled: ${ref.address}`);
    for (const step of ref.path) {
      if (v === U) return U;
      if (Array.isArray(v) && typeof step === "number") v = v[step];
      else if (isPlannedObj(v) && typeof step === "string") v = v[step];
      else throw new Error(`${ref.references[0]}: cannot take ${step} of this value`);
      if (v === undefined) {
        if (r.mode === "managed" && this.opts.state === "existing")
          throw new Error(`${ref.references[0]}: no state value is made up for it (stateValue)`);
        throw new Error(`${ref.references[0]}: the provider has no such attribute`);
      }
    }
    return v;
  }
}

// ---- the plan document --------------------------------------------------------------------------

/** The value with unknowns left out (Terraform's omitUnknowns: null in lists, absent in objects). */
function known(v: Planned): Json {
  if (v === U) return null;
  if (Array.isArray(v)) return v.map(known);
  if (isPlannedObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (x !== U) out[k] = known(x);
    return out;
  }
  return v;
}

/** Terraform's unknownAsBool: true where unknown, false for known list elements, known keys left out. */
function unknownTree(v: Planned): Json {
  if (v === U) return true;
  if (Array.isArray(v)) return v.map(unknownTree);
  if (isPlannedObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      const u = unknownTree(x);
      if (u !== false) out[k] = u;
    }
    return out;
  }
  return false;
}

/** A configured body's expressions: constants, references, nested blocks as lists of bodies. */
function expressions(b: Obj, schema: BodySchema, planner: Planner): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(b)) {
    if (META.has(k)) continue;
    const key = schema.key(k);
    const bodies = key?.block ? bodiesOf(v) : undefined;
    if (key?.block && bodies) {
      out[k] = bodies.map((x) => expressions(x, key.body, planner));
      continue;
    }
    const refs = [...referencesIn(v)];
    out[k] = refs.length ? { references: refs } : { constant_value: known(planner.evaluate(v)) };
  }
  return out;
}

/** The plan of applying `doc`, as `terraform show -json` prints it. */
export function toPlan(doc: Obj, opts: PlanOptions = { state: "create" }): Obj {
  const declared = declarations(doc);
  const planner = new Planner(declared, opts);
  const planned: Obj[] = [];
  const changes: Obj[] = [];
  const config: Obj[] = [];
  for (const r of declared.values()) {
    const v = planner.planned(r.address);
    const base = {
      address: r.address,
      mode: r.mode,
      type: r.type,
      name: r.name,
      provider_name: PROVIDER,
    };
    planned.push({ ...base, schema_version: 0, values: known(v), sensitive_values: {} });
    if (r.mode === "managed") {
      const after = known(v);
      changes.push({
        ...base,
        change: {
          actions: [opts.state === "create" ? "create" : "no-op"],
          before: opts.state === "create" ? null : after,
          after,
          after_unknown: unknownTree(v),
          before_sensitive: opts.state === "create" ? false : {},
          after_sensitive: {},
        },
      });
    }
    const provider =
      typeof r.body.provider === "string" ? r.body.provider.replace(/^\$\{|\}$/g, "") : "aws";
    config.push({
      address: r.address,
      mode: r.mode,
      type: r.type,
      name: r.name,
      provider_config_key: provider,
      expressions: expressions(r.body, r.schema, planner),
      schema_version: 0,
      ...(Array.isArray(r.body.depends_on)
        ? { depends_on: r.body.depends_on.map((d) => String(d).replace(/^\$\{|\}$/g, "")) }
        : {}),
    });
  }
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: { resources: planned } },
    resource_changes: changes,
    configuration: {
      provider_config: { aws: { name: "aws", full_name: PROVIDER } },
      root_module: { resources: config },
    },
    timestamp: "2026-12-02T10:00:00Z",
    applyable: true,
    complete: true,
    errored: false,
  };
}
