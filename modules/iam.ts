/** Minimal IAM policy document types, rendered with JSON.stringify so that the synthesized JSON
 * holds a literal policy (with `${...}` references) that policy checks can parse. */
export type Principal = "*" | { AWS?: string | string[]; Service?: string | string[] };

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: Principal;
  Action: string | string[];
  /** Absent only in trust (assume-role) policies. */
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export function policyDocument(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** A trust policy that lets one AWS service assume a role, under conditions. */
export function serviceTrustPolicy(
  service: string,
  condition: PolicyStatement["Condition"],
): string {
  return policyDocument([
    {
      Sid: "TrustService",
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      Condition: condition,
    },
  ]);
}
