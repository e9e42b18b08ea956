import type { SingleBar } from "cli-progress";

/** The progress bar of a terminal (`<label> [bar] n/total files`): cli-progress loads only then. */
export function progressBar(label: string): SingleBar {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SingleBar: Bar, Presets } = require("cli-progress") as typeof import("cli-progress");
  return new Bar(
    { format: `${label} [{bar}] {value}/{total} files | {eta_formatted} left`, hideCursor: true },
    Presets.shades_classic,
  );
}
