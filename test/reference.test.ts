import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OSCAL_SCHEMA_FILE } from "../compliance/report/oscal";
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

    test("the OSCAL schema the report validates against is NIST's AR 1.1.3 schema, byte for byte", () => {
      const sha256 = (file: string) =>
        createHash("sha256").update(readFileSync(file)).digest("hex");
      const shipped = join(ROOT, OSCAL_SCHEMA_FILE);
      expect(
        (CONVERSIONS as { target: string; verbatim?: boolean }[]).find(
          (c) => c.target === OSCAL_SCHEMA_FILE,
        )?.verbatim,
      ).toBe(true);
      expect(sha256(shipped)).toBe(sha256(join(SHARED, "oscal", "oscal-ar-1.1.3_schema.json")));
      const schema = JSON.parse(readFileSync(shipped, "utf8"));
      expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
      expect(schema.$id).toMatch(/oscal-ar-1\.1\.3-schema\.json$/);
      expect(schema.required).toEqual(["assessment-results"]);
    });
  },
);
