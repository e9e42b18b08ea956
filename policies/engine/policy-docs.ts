/** IAM policy documents, parsed once for every rule (see normalize.ts). */
import { isObj, Json, Obj, strings, UNKNOWN } from "./document";

export const POLICY_ATTRIBUTES = new Set(["policy", "assume_role_policy"]);

/** The data source that renders a policy document from HCL blocks. */
export const POLICY_DOCUMENT_DATA_SOURCE = "aws_iam_policy_document";

// ---- policy documents -------------------------------------------------------------------------

/**
 * The policy documents a resource holds, by attribute: `policy`, `assume_role_policy`, the
 * `inline_policy.<i>` blocks of aws_iam_role, the `inline_policy` string of
 * aws_ssoadmin_permission_set_inline_policy, and `json` for an aws_iam_policy_document data source
 * (its statement blocks as the document the provider renders). Callers that know the resource type
 * pass it; without it a data source is recognized by its attributes (see
 * isPolicyDocumentDataSource).
 */
export function policiesOf(values: Obj, type?: string): Record<string, Obj | null> {
  const out: Record<string, Obj | null> = {};
  for (const [attr, v] of Object.entries(values)) {
    if (POLICY_ATTRIBUTES.has(attr)) out[attr] = parsePolicy(v);
  }
  const inline = values.inline_policy;
  if (typeof inline === "string") {
    // aws_ssoadmin_permission_set_inline_policy: the document itself.
    out.inline_policy = parsePolicy(inline);
  } else {
    // aws_iam_role inline_policy blocks: inline_policy.<i>
    (Array.isArray(inline) ? inline : isObj(inline) ? [inline] : []).forEach((p, i) => {
      if (isObj(p) && "policy" in p) out[`inline_policy.${i}`] = parsePolicy(p.policy);
    });
  }
  const dataSource =
    type === undefined ? isPolicyDocumentDataSource(values) : type === POLICY_DOCUMENT_DATA_SOURCE;
  if (dataSource) out.json = documentFromDataSource(values);
  return out;
}

const ARRAY_KEYS = ["Action", "NotAction", "Resource", "NotResource"];
/** A whole value that is one reference (`${data.aws_iam_policy_document.p.json}`). */
const REFERENCE_ONLY = /^\$\{[^{}]*\}$/;

/** A policy document whose content is not known: rules report UNKNOWN for it. */
export const unknownDocument = (): Obj => ({ unknown: true, Statement: [] });

export function parsePolicy(v: Json): Obj | null {
  let doc: Json = v;
  if (typeof v === "string") {
    try {
      doc = JSON.parse(v) as Json;
    } catch {
      // A document built by an expression (a variable, jsonencode(...), a data source's json)
      // is unknown, not malformed.
      return v.includes(UNKNOWN) || REFERENCE_ONLY.test(v) ? unknownDocument() : null;
    }
  }
  if (!isObj(doc)) return null;
  const st = doc.Statement;
  const raw = Array.isArray(st) ? st : st === undefined ? [] : [st];
  // A statement that is itself an expression ("Statement": ["${var.s}"]) is unknown, not absent:
  // dropping it with the other non-objects would let the rest of the document pass.
  if (raw.some((x) => !isObj(x) && [...strings(x)].some((t) => t.includes(UNKNOWN))))
    return unknownDocument();
  const statements = raw.filter(isObj).map((s) => {
    const n: Obj = { ...s };
    for (const k of ARRAY_KEYS) if (k in n) n[k] = Array.isArray(n[k]) ? n[k] : [n[k]];
    return n;
  });
  return { ...doc, Statement: statements };
}

// ---- aws_iam_policy_document data sources ------------------------------------------------------

const DATA_SOURCE_KEYS = new Set([
  "statement",
  "version",
  "policy_id",
  "source_policy_documents",
  "override_policy_documents",
  "source_json",
  "override_json",
  // computed (a plan shows them), and meta-arguments the loader may keep
  "id",
  "json",
  "minified_json",
  "count",
  "for_each",
]);

const STATEMENT_KEYS = new Set([
  "sid",
  "effect",
  "actions",
  "not_actions",
  "resources",
  "not_resources",
  "principals",
  "not_principals",
  "condition",
]);

/** The blocks of a nested block value: Terraform JSON writes one block as an object or a list. */
const blocks = (v: Json | undefined): Json[] =>
  Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];

/**
 * Values shaped as an aws_iam_policy_document data source: statement blocks (or source/override
 * documents) and nothing else; each statement block holds only the data source's statement keys.
 * Other resources with `statement` blocks (WAF rules) have keys of their own.
 */
export function isPolicyDocumentDataSource(values: Obj): boolean {
  const keys = Object.keys(values);
  if (!keys.some((k) => ["statement", "source_policy_documents", "source_json"].includes(k)))
    return false;
  if (!keys.every((k) => DATA_SOURCE_KEYS.has(k))) return false;
  return blocks(values.statement).every(
    (s) => !isObj(s) || Object.keys(s).every((k) => STATEMENT_KEYS.has(k)),
  );
}

/**
 * The document an aws_iam_policy_document data source renders, parsed like any other (Statement,
 * Action, NotAction, Resource and NotResource arrays). A plan's rendered `json` is used when it is
 * known. Otherwise it is built from the statement blocks: effect defaults to "Allow" as the
 * provider's does; principals {type, identifiers} and conditions {test, variable, values} of the
 * same type or test and variable are merged, as the provider merges them; source documents come
 * first, the data source's own statements and then override documents replace statements with the
 * same sid. A document that cannot be known (a statement block, or a source or override document,
 * that is an expression) is unknown; an unknown list element (null in a plan) is the unknown marker.
 */
export function documentFromDataSource(values: Obj): Obj {
  if (typeof values.json === "string" && !values.json.includes(UNKNOWN)) {
    const rendered = parsePolicy(values.json);
    if (rendered) return rendered;
  }
  const statements: Obj[] = [];
  for (const block of blocks(values.statement)) {
    if (!isObj(block)) return unknownDocument();
    statements.push(statementFromBlock(block));
  }
  const sources = [...blocks(values.source_policy_documents), ...blocks(values.source_json)];
  const overrides = [...blocks(values.override_policy_documents), ...blocks(values.override_json)];
  const parsed = (docs: Json[]): Obj[][] | undefined => {
    const out: Obj[][] = [];
    for (const d of docs) {
      const doc = typeof d === "string" ? parsePolicy(d) : null;
      if (!doc || doc.unknown === true) return undefined;
      out.push((doc.Statement as Obj[]) ?? []);
    }
    return out;
  };
  const sourceStatements = parsed(sources);
  const overrideStatements = parsed(overrides);
  if (!sourceStatements || !overrideStatements) return unknownDocument();

  let merged: Obj[] = sourceStatements.flat();
  for (const s of [...statements, ...overrideStatements.flat()]) merged = withStatement(merged, s);
  const doc: Obj = { Version: typeof values.version === "string" ? values.version : "2012-10-17" };
  if (typeof values.policy_id === "string" && values.policy_id !== "") doc.Id = values.policy_id;
  doc.Statement = merged;
  return parsePolicy(doc) ?? unknownDocument();
}

/** `statements` with `s` added, replacing the statement with the same non-empty Sid. */
function withStatement(statements: Obj[], s: Obj): Obj[] {
  const sid = typeof s.Sid === "string" && s.Sid !== "" ? s.Sid : undefined;
  const at = sid === undefined ? -1 : statements.findIndex((x) => x.Sid === sid);
  return at < 0 ? [...statements, s] : statements.map((x, i) => (i === at ? s : x));
}

function statementFromBlock(block: Obj): Obj {
  const s: Obj = {};
  if (typeof block.sid === "string" && block.sid !== "") s.Sid = block.sid;
  s.Effect = block.effect === undefined || block.effect === null ? "Allow" : block.effect;
  const lists: [string, string][] = [
    ["actions", "Action"],
    ["not_actions", "NotAction"],
    ["resources", "Resource"],
    ["not_resources", "NotResource"],
  ];
  for (const [from, to] of lists) {
    if (block[from] !== undefined && block[from] !== null) s[to] = stringList(block[from]);
  }
  const principal = principals(block.principals);
  if (principal !== undefined) s.Principal = principal;
  const notPrincipal = principals(block.not_principals);
  if (notPrincipal !== undefined) s.NotPrincipal = notPrincipal;
  const condition = conditions(block.condition);
  if (condition !== undefined) s.Condition = condition;
  return s;
}

/** A list of strings as written; a single value is a list of one, and an element that is not a
 * string (null where a plan does not know it yet) is the unknown marker. */
function stringList(v: Json): Json[] {
  return (Array.isArray(v) ? v : [v]).map((x) =>
    typeof x === "string" || typeof x === "number" || typeof x === "boolean" ? x : UNKNOWN,
  );
}

/** principals blocks as a Principal: {"AWS": [...], "Service": [...]}; the provider renders
 * type "*" with identifiers ["*"] as "*". A block that is an expression is unknown. */
function principals(v: Json | undefined): Json | undefined {
  const list = blocks(v);
  if (list.length === 0) return undefined;
  if (list.some((b) => !isObj(b))) return UNKNOWN;
  const byType: Obj = {};
  for (const b of list as Obj[]) {
    const type = typeof b.type === "string" ? b.type : UNKNOWN;
    const ids = b.identifiers === undefined || b.identifiers === null ? [] : b.identifiers;
    byType[type] = [...((byType[type] as Json[]) ?? []), ...stringList(ids)];
  }
  const star = byType["*"] as Json[] | undefined;
  if (Object.keys(byType).length === 1 && star && star.length > 0 && star.every((x) => x === "*"))
    return "*";
  return byType;
}

/** condition blocks as a Condition: {test: {variable: values}}. A block that is an expression is
 * unknown. */
function conditions(v: Json | undefined): Json | undefined {
  const list = blocks(v);
  if (list.length === 0) return undefined;
  if (list.some((b) => !isObj(b))) return UNKNOWN;
  const out: Obj = {};
  for (const b of list as Obj[]) {
    const test = typeof b.test === "string" ? b.test : UNKNOWN;
    const variable = typeof b.variable === "string" ? b.variable : UNKNOWN;
    const byVariable = (isObj(out[test]) ? out[test] : (out[test] = {})) as Obj;
    const values = b.values === undefined || b.values === null ? [UNKNOWN] : stringList(b.values);
    byVariable[variable] = [...((byVariable[variable] as Json[]) ?? []), ...values];
  }
  return out;
}
