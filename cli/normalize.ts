import { ruleInput } from "../policies/engine/engine";
import { loadChecked, loaderNotes, loadParams, VariableOptions } from "./check";

export interface NormalizeOptions extends VariableOptions {
  params?: string;
  today?: Date;
}

/**
 * `imgsec normalize`: the document the rules read for each stack under `path`, exactly as the
 * gate builds it, as JSON Lines: one compact JSON object per stack, one per line. A single stack
 * is then one JSON document (`opa eval -I`, `conftest test -` read it as is); several split by
 * line (`sed -n 2p`, `jq -c 'select(.stack == "imgsec-prod")'`) without holding them all in an
 * array.
 */
export function runNormalize(
  path: string,
  opts: NormalizeOptions = {},
): { lines: string[]; notes: string[] } {
  const { stacks } = loadChecked(path, opts);
  const params = loadParams(opts.params);
  // The loader's notes are for people, not for the rules: left out of the document.
  return {
    lines: stacks.map(({ notes: _notes, ...s }) =>
      JSON.stringify(ruleInput(s, params, opts.today)),
    ),
    notes: loaderNotes(stacks),
  };
}
