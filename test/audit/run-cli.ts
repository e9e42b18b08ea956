import { Command, CommanderError } from "commander";
import { auditCommand } from "../../cli/audit";
import { isExpected, oneLine } from "../../cli/errors";
import { AuditLogError } from "../../handlers/audit";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The audit command under a program like cli/main.ts's, with its error handling. */
export async function run(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  let code = 0;
  let stdout = "";
  let stderr = "";
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  const out = jest.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += s), true));
  const err = jest.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += s), true));
  try {
    const program = new Command("imgsec").exitOverride();
    program.addCommand(auditCommand((c) => (code = c)));
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else if (isExpected(e) || e instanceof AuditLogError) {
      process.stderr.write(`imgsec: ${oneLine(e)}\n`);
      code = 2;
    } else throw e;
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env = saved;
  }
  return { code, stdout, stderr };
}
