/**
 * `terraform show -json` and `tofu show -json` plans (format 1.x, the same for both tools): planned
 * values, references from the configuration (see normalize.ts).
 *
 * What is checked is what will exist after apply: the planned values, or for a resource change
 * that planned_values lacks, its `after` with `after_unknown`. A resource being deleted
 * (`["delete"]`), forgotten (`["forget"]`) or a deposed object is not checked; a replacement is
 * checked as its new object whichever order it runs in (`["delete","create"]`, or
 * `["create","delete"]` under create_before_destroy). Provider addresses are not read, so
 * `registry.opentofu.org/hashicorp/aws` and `registry.terraform.io/hashicorp/aws` are alike.
 */
import { isObj, Json, NormalizedResource, Obj, UNKNOWN, UnusableInputError } from "./document";
import { POLICY_ATTRIBUTES, policiesOf, unknownDocument } from "./policy-docs";

// ---- plan JSON --------------------------------------------------------------------------------

/** Actions after which the object no longer exists: nothing to check. */
const GONE = new Set(["delete", "forget"]);

/** Will the change leave an object in place? Not when every action removes it. */
const remains = (actions: Json | undefined) =>
  !Array.isArray(actions) || !actions.every((a) => typeof a === "string" && GONE.has(a));

/** "module.a[0].aws_s3_bucket.b[\"x\"]" → "module.a.aws_s3_bucket.b": instance keys dropped,
 * quoted keys that hold a "]" included. */
export const configAddressOf = (address: string) =>
  address.replace(/\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]/g, "");

function normalized(r: Obj, values: Obj): NormalizedResource {
  const address = r.address as string;
  return {
    address,
    config_address: configAddressOf(address),
    type: r.type as string,
    name: String(r.name ?? ""),
    mode: r.mode === "data" ? "data" : "managed",
    values,
    refs: {},
    referenced_by: {},
    policies: policiesOf(values, r.type as string),
  };
}

export function fromPlan(doc: Obj): Record<string, NormalizedResource> {
  if (doc.errored === true)
    throw new UnusableInputError(
      "plan: the plan errored (errored: true), so it does not say what will exist: fix the plan and check it again",
    );
  const changes = (Array.isArray(doc.resource_changes) ? doc.resource_changes : []).filter(
    (c): c is Obj =>
      isObj(c) && typeof c.address === "string" && isObj(c.change) && c.deposed === undefined,
  );
  if (!isObj(doc.planned_values) && !Array.isArray(doc.resource_changes)) {
    throw new UnusableInputError(
      isObj(doc.values)
        ? "plan: this is a state (terraform show -json of a state), not a plan: check the JSON of a plan file (terraform show -json plan.out)"
        : "plan: neither planned_values nor resource_changes: nothing says what will exist",
    );
  }
  const out: Record<string, NormalizedResource> = {};
  const planned = isObj(doc.planned_values) ? doc.planned_values.root_module : undefined;
  const walkPlanned = (mod: Json | undefined) => {
    if (!isObj(mod)) return;
    for (const r of Array.isArray(mod.resources) ? mod.resources : []) {
      if (!isObj(r) || typeof r.address !== "string" || typeof r.type !== "string") {
        throw new UnusableInputError("plan: a planned resource has no address or type");
      }
      out[r.address] = normalized(r, isObj(r.values) ? r.values : {});
    }
    for (const child of Array.isArray(mod.child_modules) ? mod.child_modules : [])
      walkPlanned(child);
  };
  walkPlanned(planned);
  for (const c of changes) {
    const change = c.change as Obj;
    const address = c.address as string;
    if (!remains(change.actions)) {
      // Never checked, even where a hand-made plan lists it among planned values.
      delete out[address];
      continue;
    }
    if (out[address]) continue;
    // A change planned_values does not show (a plan trimmed to its changes): its `after`.
    if (typeof c.type !== "string")
      throw new UnusableInputError(`plan: the resource change ${address} has no type`);
    out[address] = normalized(c, isObj(change.after) ? change.after : {});
  }

  // References live in the configuration, keyed by config address (module path + type.name).
  const byConfigAddress = new Map<string, NormalizedResource[]>();
  for (const r of Object.values(out)) {
    const list = byConfigAddress.get(r.config_address);
    if (list) list.push(r);
    else byConfigAddress.set(r.config_address, [r]);
  }
  const configAddresses = new Set(byConfigAddress.keys());
  // The attributes each resource's configuration sets: only those can be unknown values of the
  // user's; other after_unknown attributes are ones the provider computes (a new role's arn).
  const configured = new Map<string, Set<string>>();
  const walkConfig = (mod: Json | undefined, prefix: string) => {
    if (!isObj(mod)) return;
    for (const c of Array.isArray(mod.resources) ? mod.resources : []) {
      if (!isObj(c) || typeof c.address !== "string") continue;
      const configAddress = prefix + c.address;
      const refs: Record<string, string[]> = {};
      const expressions = isObj(c.expressions) ? c.expressions : {};
      configured.set(configAddress, new Set(Object.keys(expressions)));
      for (const [attr, expr] of Object.entries(expressions)) {
        const found = new Set<string>();
        for (const ref of references(expr)) {
          const target = resolveReference(prefix, ref, configAddresses);
          if (target) found.add(target);
        }
        if (found.size) refs[attr] = [...found];
      }
      for (const r of byConfigAddress.get(configAddress) ?? []) r.refs = refs;
    }
    const calls = isObj(mod.module_calls) ? mod.module_calls : {};
    for (const [name, call] of Object.entries(calls)) {
      if (isObj(call)) walkConfig(call.module, `${prefix}module.${name}.`);
    }
  };
  walkConfig(isObj(doc.configuration) ? doc.configuration.root_module : undefined, "");
  markPlanUnknowns(doc, out, configured);
  return out;
}

/**
 * Writes UNKNOWN where a plan says a value the configuration sets is not known until apply
 * (`after_unknown`) and no resolvable reference explains it: the attribute is then neither absent (which rules would read
 * as the provider's default) nor a reference a rule can resolve. Unknown policy documents are
 * marked whatever their references, since no rule can read a document it cannot see.
 */
function markPlanUnknowns(
  doc: Obj,
  resources: Record<string, NormalizedResource>,
  configured: Map<string, Set<string>>,
): void {
  for (const change of Array.isArray(doc.resource_changes) ? doc.resource_changes : []) {
    if (!isObj(change) || typeof change.address !== "string" || !isObj(change.change)) continue;
    // A deposed object is the old half of a replacement: it will be deleted, not checked.
    if (change.deposed !== undefined || !remains(change.change.actions)) continue;
    const r = resources[change.address];
    const unknown = change.change.after_unknown;
    if (!r || !isObj(unknown)) continue;
    // Without the resource's configuration (a plan without it), every unknown counts: fail closed.
    const set = configured.get(r.config_address);
    for (const [attr, u] of Object.entries(unknown)) {
      if (set && !set.has(attr)) continue;
      if (POLICY_ATTRIBUTES.has(attr) && u === true) {
        r.policies[attr] = unknownDocument();
        continue;
      }
      if (attr === "inline_policy") markInlinePolicies(r, u);
      if (r.refs[attr]?.length) continue;
      const merged = withUnknown(r.values[attr], u);
      if (merged !== undefined) r.values[attr] = merged;
    }
  }
}

/** `value` with UNKNOWN written at every `true` leaf of the after_unknown tree `u`. */
function withUnknown(value: Json | undefined, u: Json): Json | undefined {
  if (u === true) return value === undefined || value === null ? UNKNOWN : value;
  if (Array.isArray(u)) {
    const base = Array.isArray(value) ? [...value] : [];
    let changed = false;
    u.forEach((x, i) => {
      const m = withUnknown(base[i], x);
      if (m !== undefined && m !== base[i]) {
        while (base.length < i) base.push(null);
        base[i] = m;
        changed = true;
      }
    });
    return changed ? base : value;
  }
  if (isObj(u)) {
    const base: Obj = isObj(value) ? { ...value } : {};
    let changed = false;
    for (const [k, x] of Object.entries(u)) {
      const m = withUnknown(base[k], x);
      if (m !== undefined && m !== base[k]) {
        base[k] = m;
        changed = true;
      }
    }
    return changed ? base : value;
  }
  return value;
}

function markInlinePolicies(r: NormalizedResource, u: Json): void {
  (Array.isArray(u) ? u : []).forEach((block, i) => {
    if (block === true || (isObj(block) && block.policy === true))
      r.policies[`inline_policy.${i}`] = unknownDocument();
  });
}

function* references(expr: Json): Generator<string> {
  if (Array.isArray(expr)) for (const e of expr) yield* references(e);
  else if (isObj(expr)) {
    if (Array.isArray(expr.references))
      for (const r of expr.references) if (typeof r === "string") yield r;
    for (const [k, v] of Object.entries(expr))
      if (k !== "references" && k !== "constant_value") yield* references(v);
  }
}

/** "aws_s3_bucket.raw.id" → "aws_s3_bucket.raw" (the longest prefix that is a resource). */
function resolveReference(prefix: string, ref: string, known: Set<string>): string | undefined {
  const parts = ref.replace(/\[[^\]]*\]/g, "").split(".");
  for (let n = parts.length; n >= 2; n--) {
    const candidate = prefix + parts.slice(0, n).join(".");
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}
