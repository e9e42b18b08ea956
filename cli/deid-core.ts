import {
  deidentify,
  fileSource,
  outputName,
  OptionName,
  PseudonymMapping,
} from "../handlers/dicom";
import { writeResult } from "./deid-files";

export interface WorkerConfig {
  outDir: string;
  options: OptionName[];
  pseudonymizationKey: Buffer;
}

export interface FileOutcome {
  status: "deidentified" | "quarantined" | "rejected";
  reason?: string;
  output?: string;
  /** For the audit record: the new (2.25) UID and the patient pseudonym, never input values. */
  sopInstanceUid?: string;
  patientPseudonym?: string;
  bytesIn: number;
  bytesOut: number;
}

/** De-identifies one file and writes its output; never throws for bad input (a reason instead). */
export async function deidentifyPath(
  path: string,
  config: WorkerConfig,
  mapping?: PseudonymMapping,
): Promise<FileOutcome> {
  let src;
  try {
    src = await fileSource(path);
  } catch {
    return { status: "rejected", reason: "cannot read the file", bytesIn: 0, bytesOut: 0 };
  }
  try {
    const result = await deidentify(src, {
      options: config.options,
      pseudonymizationKey: config.pseudonymizationKey,
      patientIdentity: mapping ? { mode: "mapping", mapping } : { mode: "hmac" },
    });
    if (result.status !== "deidentified") {
      return { status: result.status, reason: result.reason, bytesIn: src.size, bytesOut: 0 };
    }
    const name = outputName(result.sopInstanceUid);
    const bytesOut = await writeResult(path, result, config.outDir, name);
    return {
      status: "deidentified",
      output: name,
      sopInstanceUid: result.sopInstanceUid,
      patientPseudonym: result.patientPseudonym,
      bytesIn: src.size,
      bytesOut,
    };
  } catch (e) {
    // An output that could not be written is a failure of this file, not of the run.
    const code = (e as NodeJS.ErrnoException).code;
    return {
      status: "rejected",
      reason: `cannot write the output${code ? ` (${code})` : ""}`,
      bytesIn: src.size,
      bytesOut: 0,
    };
  } finally {
    await src.close();
  }
}
