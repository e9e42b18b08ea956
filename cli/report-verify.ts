/** `imgsec report verify <dir>`: loads the key to check with, verifies, prints. */
import { createPublicKey, KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { VerifyReportResult } from "../compliance/report/integrity";
import { ReportUsageError } from "../compliance/report/errors";

export async function runReportVerify(
  dir: string,
  opts: { pubkey?: string; keys?: string; base?: string },
): Promise<VerifyReportResult> {
  const { verifyReportDir } = await import("../compliance/report/integrity");
  return verifyReportDir(dir, { publicKey: await publicKey(opts), base: opts.base });
}

async function publicKey(opts: { pubkey?: string; keys?: string }): Promise<KeyObject | undefined> {
  if (opts.pubkey) {
    let pem: string;
    try {
      pem = readFileSync(opts.pubkey, "utf8");
    } catch (e) {
      throw new ReportUsageError(
        `cannot read --pubkey ${opts.pubkey}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
    try {
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType !== "ed25519") throw new Error();
      return key;
    } catch {
      throw new ReportUsageError(`--pubkey ${opts.pubkey} is not an Ed25519 public key (PEM)`);
    }
  }
  const { keyFilePath, signingPublicKeyPem } = await import("../handlers/keys/keyfile");
  const path = keyFilePath(opts.keys);
  if (!existsSync(path)) {
    if (opts.keys) throw new ReportUsageError(`no key file at ${opts.keys}`);
    return undefined;
  }
  return createPublicKey(signingPublicKeyPem(path));
}

export function formatVerifyText(r: VerifyReportResult): string {
  const lines = r.results
    .filter((x) => x.status !== "PASS")
    .map((x) => `${x.status} ${x.rule} ${x.resource}: ${x.message}`);
  const count = (s: string) => r.results.filter((x) => x.status === s).length;
  lines.push(
    `report verify: ${r.manifest.files.length} output(s), ${r.manifest.inputs.length} evidence input(s): ${count("PASS")} passed, ${count("FAIL")} failed, ${count("WARN")} warnings`,
  );
  return lines.join("\n") + "\n";
}
