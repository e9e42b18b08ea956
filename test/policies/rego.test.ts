import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
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
  test("one rule per file: every rule file is one catalog entry", () => {
    expect(loadCatalog().length).toBe(ruleFiles().length);
    const packageCatalog = loadCatalog(join(ROOT, "policies", "dist", "package-catalog.json"));
    expect(packageCatalog.length).toBe(packageRuleFiles().length);
  });

  test.each(loadCatalog().map((m) => [m.id, m]))(
    "%s names the attributes its verdict depends on (METADATA custom.inputs)",
    (_id, meta) => {
      expect(meta.inputs?.length ?? 0).toBeGreaterThan(0);
    },
  );
});

/** One opa test case as `opa test --format json` reports it. */
interface OpaTestCase {
  package: string;
  name: string;
  fail?: boolean;
  error?: unknown;
  skip?: boolean;
}

/** `policy.Principal` → `policy_principal`: the name part of its unknown-value test. */
export const unknownTestName = (input: string): string =>
  `test_unknown_${input.replace(/[^A-Za-z0-9]+/g, "_").toLowerCase()}`;

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

  // One run, read as JSON: every case must pass, and each rule's own cases are judged by name.
  const cases = (): OpaTestCase[] => {
    // Data files are left out: tests build their own inputs, and the two catalogs in
    // policies/dist (JSON lists) cannot both be loaded as data.dist.
    const r = run(opa, ["test", "--ignore", "*.json", "--format", "json", "policies"]);
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout) as OpaTestCase[];
  };
  let all: OpaTestCase[] = [];
  beforeAll(() => {
    // opa quotes a path segment that is a keyword: data.imgsec["package"].rules...
    all = cases().map((c) => ({ ...c, package: c.package.replace(/\["([^"]+)"\]/g, ".$1") }));
  });

  test("opa test: every case passes (deployment and package rules, helpers)", () => {
    expect(all.length).toBeGreaterThan(100);
    expect(
      all.filter((c) => c.fail || c.error || c.skip).map((c) => `${c.package}.${c.name}`),
    ).toEqual([]);
  });

  const passingCases = (pkg: string) =>
    all
      .filter((c) => c.package === `data.${pkg}_test` && !c.fail && !c.error && !c.skip)
      .map((c) => c.name);

  const everyRule = [
    ...loadCatalog(),
    ...loadCatalog(join(ROOT, "policies", "dist", "package-catalog.json")),
  ];
  test.each(everyRule.map((m) => [m.id, m]))(
    "%s: its test package has passing PASS and FAIL cases",
    (_id, meta) => {
      const names = passingCases(meta.package);
      expect(names.filter((n) => /pass/.test(n))).not.toEqual([]);
      expect(names.filter((n) => /fail/.test(n))).not.toEqual([]);
    },
  );

  test.each(loadCatalog().map((m) => [m.id, m]))(
    "%s: a passing UNKNOWN case for each attribute its verdict depends on",
    (_id, meta) => {
      const names = passingCases(meta.package);
      const missing = (meta.inputs ?? []).filter(
        (input) =>
          !names.some(
            (n) => n === unknownTestName(input) || n.startsWith(`${unknownTestName(input)}_`),
          ),
      );
      expect(missing).toEqual([]);
    },
  );

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
