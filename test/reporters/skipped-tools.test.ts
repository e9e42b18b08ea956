import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../helpers/cli";

/**
 * A jest run whose only test file skips every test because a tool is missing still names the tool
 * and the file at the end of the run (outside CI as well as in it).
 */
describe("skipped-tools reporter", () => {
  const dir = mkdtempSync(join(tmpdir(), "imgsec-reporter-"));
  const helper = join(ROOT, "test", "helpers", "tools.ts").replace(/\\/g, "/");
  writeFileSync(
    join(dir, "needs-tool.test.ts"),
    `import { describeIfAvailable } from ${JSON.stringify(helper)};
describeIfAvailable({ name: "faketool", available: false, setup: "scripts/setup-faketool.sh" }, "needs faketool", () => {
  test("one", () => expect(1).toBe(1));
  test("two", () => expect(2).toBe(2));
});
`,
  );
  writeFileSync(
    join(dir, "jest.config.js"),
    `module.exports = ${JSON.stringify({
      rootDir: dir,
      testMatch: ["**/*.test.ts"],
      transform: { "^.+\\.ts$": [require.resolve("ts-jest"), { diagnostics: false }] },
      reporters: ["default", join(ROOT, "test", "reporters", "skipped-tools.js")],
    })};`,
  );
  const jest = (env: Record<string, string>) =>
    spawnSync(
      process.execPath,
      [require.resolve("jest/bin/jest"), "--config", join(dir, "jest.config.js")],
      { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } },
    );

  test("outside CI: the run passes and its end names the tool, the file and the count", () => {
    const r = jest({ CI: "false" });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/SKIPPED because an outside tool is missing/);
    expect(r.stderr).toMatch(/- faketool: needs-tool\.test\.ts \(needs faketool\): 2 tests/);
  });

  test("under CI=true the missing tool fails the run instead", () => {
    const r = jest({ CI: "true" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/faketool is missing/);
  });
});
