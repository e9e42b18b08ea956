import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/cli";
import { describeWithTool } from "../helpers/tools";
import { loadCatalog } from "../../policies/engine/catalog";

const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });

const regoRules = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".rego") && !f.endsWith("_test.rego"))
    .map((f) => join(dir, f));

/** Deployment rules: policies/rules/<service>/<rule>.rego. */
const ruleFiles = (): string[] => {
  const base = join(ROOT, "policies", "rules");
  return readdirSync(base).flatMap((svc) => regoRules(join(base, svc)));
};

/** Package rules: policies/package/rules/<rule>.rego. */
const packageRuleFiles = (): string[] => regoRules(join(ROOT, "policies", "package", "rules"));

describe("rule files", () => {
  test.each([...ruleFiles(), ...packageRuleFiles()].map((f) => [f.slice(ROOT.length + 1), f]))(
    "%s has a test file with passing and failing cases",
    (_rel, file) => {
      const test = readFileSync(file.replace(/\.rego$/, "_test.rego"), "utf8");
      expect((test.match(/^test_\w+ if/gm) ?? []).length).toBeGreaterThanOrEqual(2);
      expect(test).toMatch(/"PASS"/);
      expect(test).toMatch(/"FAIL"/);
    },
  );

  test("one rule per file: every rule file is one catalog entry", () => {
    expect(loadCatalog().length).toBe(ruleFiles().length);
    const packageCatalog = loadCatalog(join(ROOT, "policies", "dist", "package-catalog.json"));
    expect(packageCatalog.length).toBe(packageRuleFiles().length);
  });
});

describeWithTool("opa", "opa (pinned, scripts/setup-tools.sh)", (opa) => {
  test("opa check --strict: the policies compile cleanly", () => {
    const r = run(opa, ["check", "--strict", "policies"]);
    expect(r.stderr + r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  test("opa fmt: the policies are formatted", () => {
    const r = run(opa, ["fmt", "--list", "--fail", "policies"]);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  test("opa test: every rule's cases pass (deployment and package rules)", () => {
    // Data files are left out: tests build their own inputs, and the two catalogs in
    // policies/dist (JSON lists) cannot both be loaded as data.dist.
    const r = run(opa, ["test", "--ignore", "*.json", "policies"]);
    expect(r.stdout).toMatch(/^PASS: (\d+)\/\1$/m);
    expect(r.status).toBe(0);
  });

  test("policies/dist (both WASM bundles and catalogs) and the RULES.md tables are what the sources build to", () => {
    const r = run(process.execPath, [join(ROOT, "scripts", "build-policies.js"), "--check"], {
      OPA: opa,
    });
    expect(r.stderr).toMatch(/policies\/dist is up to date/);
    expect(r.status).toBe(0);
  });
});

describeWithTool("regal", "regal lint (pinned, scripts/setup-tools.sh)", (regal) => {
  test("regal lint policies: no violations", () => {
    const r = run(regal, ["lint", "--format", "compact", "policies"], {
      REGAL_DISABLE_VERSION_CHECK: "1",
    });
    expect(r.stdout.trim()).toMatch(/no violations|^$/i);
    expect(r.status).toBe(0);
  });
});
