/**
 * Mutation tests for the deployment gate: each entry breaks the project's own synthesized stack
 * (a deep copy of cdktf.out/stacks/<stack>/cdk.tf.json) the way one rule targets, and the harness
 * (test/policies/mutations.test.ts) checks that this rule, and only this rule, then fails.
 */
export type Tf = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Mutation {
  /** The one rule id that must fail after `apply`. */
  rule: string;
  /** Which stack to break: a synthesized project stack (default imgsec-dev), or "fixture", the
   * pipeline fixture (test/policies/pipeline-fixture.ts) for resources the project has not yet. */
  stack?: "imgsec-dev" | "imgsec-prod" | "fixture";
  /** How the stack is broken, for the test name. */
  what: string;
  /** Mutates the stack JSON in place. */
  apply(tf: Tf): void;
  /** The resource address the failure must name (e.g. /^aws_s3_bucket\.raw_bucket_/). */
  resource?: RegExp;
  /** Thresholds to evaluate with, over policies/params.json (e.g. lambda_require_vpc: true). */
  params?: Record<string, unknown>;
  /**
   * Rules that, by design, fail on the same break too: a stricter rule that covers the target's
   * case (IMGSEC-IAM-005 reports every service-wide grant, IMGSEC-IAM-002's on PHI resources
   * included). Listed, so that any other rule failing still fails the test.
   */
  alsoFails?: string[];
}

/** [logical id, block] of every resource of a type. */
export function resourcesOf(tf: Tf, type: string): [string, Tf][] {
  return Object.entries(tf.resource?.[type] ?? {});
}

/** The one resource of `type` whose logical id starts with `idPrefix` (e.g. "raw_bucket"). */
export function findResource(tf: Tf, type: string, idPrefix: string): Tf {
  const hits = resourcesOf(tf, type).filter(([id]) => id.startsWith(idPrefix));
  if (hits.length !== 1)
    throw new Error(`expected one ${type} starting ${idPrefix}, found ${hits.length}`);
  return hits[0][1];
}

export function removeResource(tf: Tf, type: string, idPrefix: string): void {
  const [id] = resourcesOf(tf, type).find(([i]) => i.startsWith(idPrefix)) ?? [];
  if (!id) throw new Error(`no ${type} starting ${idPrefix}`);
  delete tf.resource[type][id];
}

export function addResource(tf: Tf, type: string, name: string, block: Tf): void {
  tf.resource[type] ??= {};
  tf.resource[type][name] = block;
}

/** Rewrites a JSON policy attribute (a string) through `edit`. */
export function editPolicy(block: Tf, attr: string, edit: (doc: Tf) => void): void {
  const doc = JSON.parse(block[attr]);
  edit(doc);
  block[attr] = JSON.stringify(doc);
}
