import { Command, Option } from "commander";
import { initKeyFile, keyFilePath, signingPublicKeyPem } from "../handlers/keys/keyfile";
import { writeOutFile } from "./fs-atomic";

/** `imgsec keys init`: a local key file of separate, purpose-bound keys (mode 0600). */
export function keysCommand(setExit: (code: number) => void): Command {
  // exitOverride: an added command does not inherit it, and usage errors must exit 2, not 1.
  const keys = new Command("keys")
    .description("manage the local key file (.imgsec/keys.json)")
    .exitOverride();
  keys
    .command("init")
    .description(
      "create the key file, or add the purposes it lacks (existing keys are kept; never printed)",
    )
    .option("--keys <file>", "key file path (default: $IMGSEC_KEYS, then .imgsec/keys.json)")
    .option(
      "--force",
      "replace every key (pseudonyms change; earlier packages and logs no longer verify)",
    )
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "json"]).default("text"),
    )
    .action((opts: { keys?: string; force?: boolean; format: string }) => {
      const result = initKeyFile(keyFilePath(opts.keys), { force: opts.force });
      if (opts.format === "json") process.stdout.write(JSON.stringify(result) + "\n");
      else if (result.created.length === 0) {
        process.stdout.write(`${result.path} already has a key for every purpose (unchanged)\n`);
      } else {
        process.stdout.write(`wrote ${result.path} (mode 0600)\n`);
        for (const k of result.created)
          process.stdout.write(`  ${k.purpose.padEnd(18)} key id ${k.id}\n`);
      }
      setExit(0);
    });
  keys
    .command("public")
    .description("print (or write) the audit checkpoint public key, PEM, for auditors")
    .option("--keys <file>", "key file path (default: $IMGSEC_KEYS, then .imgsec/keys.json)")
    .option("--out <file>", "write the PEM to this file instead of stdout")
    .option("--show-paths", "name the --out file in errors (default: not named)")
    .action((opts: { keys?: string; out?: string; showPaths?: boolean }) => {
      const pem = signingPublicKeyPem(keyFilePath(opts.keys));
      if (opts.out) {
        writeOutFile(opts.out, pem, opts.showPaths);
      } else process.stdout.write(pem);
      setExit(0);
    });
  return keys;
}
