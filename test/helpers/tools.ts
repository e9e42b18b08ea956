import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./cli";

/** The path of `cmd` on PATH (as the shell finds it), or undefined. */
export function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * The path of an outside tool installed by the project's setup script, or undefined. Where it is
 * missing, tests using it skip loudly, naming the tool; under CI=true they fail instead, so CI
 * never passes on skipped tests.
 */
export function tool(name: "opa" | "regal"): string | undefined {
  const path = join(ROOT, ".tools", "bin", name);
  return existsSync(path) ? path : undefined;
}

/**
 * `describe` that runs only when an outside tool is available. Where it is missing the block
 * skips loudly, naming the tool and the script that installs it; under CI=true it fails instead,
 * so CI never passes on skipped tests.
 */
export function describeIfAvailable(
  tool: { name: string; available: boolean; setup: string },
  title: string,
  body: () => void,
): void {
  if (tool.available) {
    describe(title, body);
    return;
  }
  if (process.env.CI === "true") {
    describe(title, () => {
      test(`${tool.name} is installed (${tool.setup})`, () => {
        throw new Error(
          `${tool.name} is missing: ${tool.setup} could not install it, and CI=true does not allow skipping`,
        );
      });
    });
    return;
  }
  console.warn(`SKIPPED: ${title}: ${tool.name} is not installed (run ${tool.setup})`);
  describe.skip(`${title} [SKIPPED: ${tool.name} not installed]`, body);
}

/** `describe` that runs only when `name` is installed; otherwise skips loudly or fails in CI. */
export function describeWithTool(
  name: "opa" | "regal",
  title: string,
  body: (path: string) => void,
): void {
  const path = tool(name) ?? "";
  describeIfAvailable(
    { name, available: path !== "", setup: "scripts/setup-tools.sh" },
    title,
    () => body(path),
  );
}
