import { Command, CommanderError, Option } from "commander";
import { synth } from "./synth";
import { formatSummary } from "../stacks/summary";
import { EXIT_OK, EXIT_UNUSABLE, UsageError, isExpected, oneLine } from "./errors";

const formatOption = () =>
  new Option("--format <format>", "output format").choices(["text", "json"]).default("text");

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("imgsec")
    .description(
      "HIPAA-grade medical imaging on AWS: infrastructure, policy checks, de-identification, encryption, audit",
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("synth")
    .description("synthesize the CDKTF app (every environment) to Terraform JSON, offline")
    .option("--out <dir>", "output directory", "cdktf.out")
    .option(
      "--config <file>",
      "JSON config file (default: $IMGSEC_CONFIG, then ./imgsec.config.json)",
    )
    .addOption(formatOption())
    .action((opts: { out: string; config?: string; format: string }) => {
      const summaries = synth(opts);
      if (opts.format === "json")
        process.stdout.write(JSON.stringify({ stacks: summaries }, null, 2) + "\n");
      else {
        process.stderr.write(
          `Terraform JSON written to ${opts.out}/ (one cdk.tf.json per stack)\n\n`,
        );
        process.stdout.write(summaries.map(formatSummary).join("\n\n") + "\n");
      }
      setExit(EXIT_OK);
    });

  program
    .command("demo")
    .description(
      "the quick start: run the whole job on the embedded default (local keys and files)",
    )
    .option("--out <dir>", "synth output directory", "cdktf.out")
    .action((opts: { out: string }) => {
      process.stderr.write("== 1. synth: CDKTF app → Terraform JSON (offline)\n");
      const summaries = synth({ out: opts.out });
      process.stderr.write(`Terraform JSON written to ${opts.out}/\n\n`);
      process.stdout.write(summaries.map(formatSummary).join("\n\n") + "\n");
      setExit(EXIT_OK);
    });
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version print and exit 0; everything else commander refuses is a usage error.
      return e.exitCode === 0 ? EXIT_OK : EXIT_UNUSABLE;
    }
    if (isExpected(e)) {
      process.stderr.write(`imgsec: ${oneLine(e)}\n`);
      return EXIT_UNUSABLE;
    }
    if (e instanceof UsageError) return EXIT_UNUSABLE;
    process.stderr.write(`imgsec: internal error: ${oneLine(e)}\n`);
    if (process.env.IMGSEC_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return EXIT_UNUSABLE;
  }
}
