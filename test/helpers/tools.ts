import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./cli";

/**
 * The path of an outside tool installed by the project's setup script, or undefined. Where it is
 * missing, tests using it skip loudly, naming the tool; under CI=true they fail instead, so CI
 * never passes on skipped tests.
 */
export function tool(name: "opa" | "regal"): string | undefined {
  const path = join(ROOT, ".tools", "bin", name);
  return existsSync(path) ? path : undefined;
}

/** `describe` that runs only when `name` is installed; otherwise skips loudly or fails in CI. */
export function describeWithTool(
  name: "opa" | "regal",
  title: string,
  body: (path: string) => void,
): void {
  const path = tool(name);
  if (path) {
    describe(title, () => body(path));
    return;
  }
  if (process.env.CI === "true") {
    describe(title, () => {
      test(`${name} is installed (scripts/setup-tools.sh)`, () => {
        throw new Error(
          `${name} is missing: scripts/setup-tools.sh could not install it, and CI=true does not allow skipping`,
        );
      });
    });
    return;
  }

  console.warn(`SKIPPED: ${title}: ${name} is not installed (run scripts/setup-tools.sh)`);
  describe.skip(`${title} [SKIPPED: ${name} not installed]`, () => body(""));
}
