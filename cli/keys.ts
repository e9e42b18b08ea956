import { Command, Option } from "commander";
import { initKeyFile, keyFilePath } from "../handlers/keys/keyfile";

/** `imgsec keys init`: a local key file of separate, purpose-bound keys (mode 0600). */
export function keysCommand(setExit: (code: number) => void): Command {
  const keys = new Command("keys").description("manage the local key file (.imgsec/keys.json)");
  keys
    .command("init")
    .description("create a key file with a fresh key for each purpose (never printed)")
    .option("--keys <file>", "key file path (default: $IMGSEC_KEYS, then .imgsec/keys.json)")
    .option("--force", "replace an existing key file (every pseudonym changes)")
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "json"]).default("text"),
    )
    .action((opts: { keys?: string; force?: boolean; format: string }) => {
      const result = initKeyFile(keyFilePath(opts.keys), { force: opts.force });
      if (opts.format === "json") process.stdout.write(JSON.stringify(result) + "\n");
      else {
        process.stdout.write(`created ${result.path} (mode 0600)\n`);
        for (const k of result.created)
          process.stdout.write(`  ${k.purpose.padEnd(18)} key id ${k.id}\n`);
      }
      setExit(0);
    });
  return keys;
}
