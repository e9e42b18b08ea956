import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers/cli";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CONVERSIONS, render, SHARED } = require("../scripts/convert-reference.js");

const haveShared = existsSync(SHARED);
if (!haveShared && process.env.CI !== "true") {
  console.warn(`SKIPPED: reference data checks: ${SHARED} is not there`);
}

(haveShared || process.env.CI === "true" ? describe : describe.skip)(
  // The marker names what is missing in the end-of-run list (test/reporters/skipped-tools.js).
  "shipped reference data matches ../shared" +
    (haveShared || process.env.CI === "true" ? "" : " [SKIPPED: ../shared reference data missing]"),
  () => {
    for (const c of CONVERSIONS as { target: string }[]) {
      test(c.target, () => {
        expect(readFileSync(join(ROOT, c.target), "utf8")).toBe(render(c));
      });
    }
  },
);
