/**
 * cdktf `cdk.tf.json` and plain `*.tf.json`: read and evaluated by the configuration loader
 * (config/), the same one that reads HCL, so that every valid Terraform JSON form (objects or
 * arrays of objects at every level, `"//"` comments, templates) gives the same resources.
 */
import { Obj } from "./document";
import { loadJsonDocument, LoadedConfig, LoadOptions } from "./config/load";

export interface TfJsonSource {
  /** The file as the user named it (messages, source locations). */
  file: string;
  /** The document's text, for source lines; without it no lines are known. */
  text?: string;
  /** What source locations are relative to: the checked path (default: the file). */
  base?: string;
  opts?: LoadOptions;
}

export function fromTfJson(doc: Obj, src: TfJsonSource = { file: "main.tf.json" }): LoadedConfig {
  return loadJsonDocument(
    src.file,
    src.text === undefined ? { doc } : { text: src.text },
    src.base ?? src.file,
    src.opts,
  );
}
