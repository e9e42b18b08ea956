/**
 * From what a de-identification record says (policy hash, option set, pixels masked) to what an
 * auditor reads: the named profile, the PS3.15 options and the CID 7050 codes the objects carry.
 */
import cid7050 from "../../handlers/dicom/data/cid-7050.json";
import { OPTION_CODES, OptionName, PROFILES, optionsOfBits } from "../../handlers/dicom/options";
import { policyHash } from "../../handlers/dicom/policy";

export const CID_7050_MEANINGS = cid7050.codes as Record<string, string>;

const BASIC_PROFILE = "113100";
const CLEAN_PIXEL_DATA = "113101";

/** The codes the engine records in (0012,0064) for these options (as handlers/dicom does). */
export function methodCodesOf(options: readonly OptionName[], masked: boolean): string[] {
  const codes = [BASIC_PROFILE, ...options.map((o) => OPTION_CODES[o])];
  if (masked) codes.push(CLEAN_PIXEL_DATA);
  return [...new Set(codes)].sort();
}

/**
 * The profile a recorded option set is: a named one (strict, research) or "custom". When the
 * policy hash is not this imgsec's for those options, the run used other rules (another version):
 * said so, since its output may differ from what this version's profile table describes.
 */
export function profileOf(
  bits: number | undefined,
  policy: string,
): { profile: string; options: OptionName[] } | undefined {
  if (bits === undefined) return undefined;
  const options = optionsOfBits(bits);
  if (!options) return undefined;
  const key = [...options].sort().join(",");
  const name =
    Object.entries(PROFILES).find(([, o]) => [...o].sort().join(",") === key)?.[0] ?? "custom";
  const current = policyHash(options) === policy;
  return { profile: current ? name : `${name} (other rules version)`, options };
}
