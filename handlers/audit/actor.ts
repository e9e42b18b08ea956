import { userInfo } from "node:os";
import { AuditLogError } from "./errors";
import { ACTOR_RE } from "./schema";

/**
 * Who acts, for every record: IMGSEC_ACTOR; else, in AWS (Lambda or another AWS execution
 * environment), the caller's ARN from STS GetCallerIdentity; else `local:<os user>`. An actor that
 * cannot be determined stops the operation (an audit record without a "who" is not one).
 */
export async function resolveActor(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.IMGSEC_ACTOR !== undefined) return checkActor(env.IMGSEC_ACTOR, "IMGSEC_ACTOR");
  if (env.AWS_LAMBDA_FUNCTION_NAME || env.AWS_EXECUTION_ENV) {
    const { STSClient, GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
    const client = new STSClient({
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
      ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    });
    try {
      const r = await client.send(new GetCallerIdentityCommand({}));
      if (!r.Arn) throw new AuditLogError("STS GetCallerIdentity returned no ARN");
      return checkActor(r.Arn, "the STS caller ARN");
    } catch (e) {
      if (e instanceof AuditLogError) throw e;
      throw new AuditLogError(
        `cannot determine the audit actor: STS GetCallerIdentity failed (${(e as Error).name})`,
      );
    } finally {
      client.destroy();
    }
  }
  // OS user names may hold characters the record format refuses (spaces): replace them.
  const user =
    userInfo()
      .username.replace(/[^A-Za-z0-9_.@+=,-]/g, "_")
      .slice(0, 190) || "unknown";
  return `local:${user}`;
}

export function checkActor(actor: string, source = "actor"): string {
  if (!ACTOR_RE.test(actor))
    throw new AuditLogError(
      `${source} is not a valid audit actor (an IAM ARN or local:<user>: letters, digits and _.:@/+=,- only, at most 200)`,
    );
  return actor;
}
