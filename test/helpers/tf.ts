import { Testing } from "cdktf";
import { Construct } from "constructs";

export type Block = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Synthesizes what `build` adds to a scope and returns the parsed Terraform JSON. */
export function synthJson(build: (scope: Construct) => void): Block {
  return JSON.parse(Testing.synthScope(build));
}

/** The resources of one type, as an array of their blocks. */
export function resources(tf: Block, type: string): Block[] {
  return Object.values(tf.resource?.[type] ?? {});
}

export function only(tf: Block, type: string): Block {
  const all = resources(tf, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

export interface Statement {
  Sid: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export function statements(policyJson: string): Statement[] {
  return JSON.parse(policyJson).Statement;
}

export function statement(policyJson: string, sid: string): Statement {
  const s = statements(policyJson).find((x) => x.Sid === sid);
  if (!s) throw new Error(`no statement ${sid}`);
  return s;
}

export const COMMON = { accountId: "111122223333", partition: "aws", region: "us-east-1" };

/** A data bucket's minimal props, for tests that need one real SecureBucket. */
export const SAMPLE_BUCKET = {
  ...COMMON,
  bucketName: "phi-raw",
  kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/abc",
  accessLogs: { targetBucketName: "logs" },
};
