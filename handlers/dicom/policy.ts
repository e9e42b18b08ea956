import { createHash } from "node:crypto";
import burnedIn from "./data/burned-in.json";
import cleanWords from "./data/clean-words.json";
import iods from "./data/iods.json";
import pixelMasks from "./data/pixel-masks.json";
import profile from "./data/profile.json";
import safeText from "./data/safe-text.json";
import safePrivate from "./data/safe-private.json";
import { OptionName, optionBits, PROFILES } from "./options";

/**
 * The policy hash: SHA-256 over the de-identification rules the engine ships (Table E.1-1 and our
 * lists) and the options applied. It goes into every package's encryption context, so a reader can
 * refuse content produced under a policy it has not accepted; any change to the rules or the
 * options changes it.
 */
let rulesDigest: string | undefined;
/** Computed on first use: a command that never asks for a policy hash never pays for it. */
const RULES_DIGEST = (): string =>
  (rulesDigest ??= createHash("sha256")
    .update(
      JSON.stringify({
        profile,
        safeText,
        safePrivate,
        cleanWords,
        iods,
        pixelMasks,
        burnedIn,
      }),
    )
    .digest("hex"));

export function policyHash(options: readonly OptionName[]): string {
  const sorted = [...new Set(options)].sort();
  return createHash("sha256")
    .update(JSON.stringify({ policy: "imgsec-deid/1", rules: RULES_DIGEST(), options: sorted }))
    .digest("hex");
}

/** Policy hash of a named profile (strict, research). */
export function profilePolicyHash(name: string): string {
  const options = PROFILES[name];
  if (!options) throw new Error(`unknown profile ${name}`);
  return policyHash(options);
}

const recorded = new Map<string, { policy: string; optionBits: number }>();
/**
 * What a de-identification audit record says of the policy it ran under: the policy hash (which
 * rules, which options) and the option set, so an auditor's report can name the profile, the
 * options and the CID 7050 codes of every run from the log alone.
 */
export function policyDetails(options: readonly OptionName[]): {
  policy: string;
  optionBits: number;
} {
  const key = [...new Set(options)].sort().join(",");
  let d = recorded.get(key);
  if (!d) recorded.set(key, (d = { policy: policyHash(options), optionBits: optionBits(options) }));
  return d;
}
