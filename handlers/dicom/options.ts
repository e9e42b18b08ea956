import profilesJson from "./data/profiles.json";

export const OPTION_NAMES = [
  "retain-safe-private",
  "retain-uids",
  "retain-device-identity",
  "retain-institution-identity",
  "retain-patient-characteristics",
  "retain-longitudinal-full-dates",
  "retain-longitudinal-modified-dates",
  "clean-descriptors",
  "clean-structured-content",
  "clean-graphics",
] as const;

export type OptionName = (typeof OPTION_NAMES)[number];

/** CID 7050 code recorded for each option (113100, the Basic Profile, is always recorded). */
export const OPTION_CODES: Record<OptionName, string> = {
  "clean-graphics": "113103",
  "clean-structured-content": "113104",
  "clean-descriptors": "113105",
  "retain-longitudinal-full-dates": "113106",
  "retain-longitudinal-modified-dates": "113107",
  "retain-patient-characteristics": "113108",
  "retain-device-identity": "113109",
  "retain-uids": "113110",
  "retain-safe-private": "113111",
  "retain-institution-identity": "113112",
};

/** Named option sets (data/profiles.json): "strict" (no option, the default), "research". */
export const PROFILES: Record<string, OptionName[]> = profilesJson.profiles as Record<
  string,
  OptionName[]
>;

export const isOptionName = (s: string): s is OptionName =>
  (OPTION_NAMES as readonly string[]).includes(s);

/** An option set as a number (bit i: OPTION_NAMES[i]): how audit records name it compactly. */
export const optionBits = (options: readonly OptionName[]): number =>
  options.reduce((bits, o) => bits | (1 << OPTION_NAMES.indexOf(o)), 0);

/** The option set a number from optionBits names; undefined for bits no option has. */
export function optionsOfBits(bits: number): OptionName[] | undefined {
  if (!Number.isInteger(bits) || bits < 0 || bits >= 1 << OPTION_NAMES.length) return undefined;
  return OPTION_NAMES.filter((_, i) => (bits & (1 << i)) !== 0);
}
