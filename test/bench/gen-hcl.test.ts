// The Checkov benchmark's input (bench/gen-hcl.js): one configuration written as HCL modules and
// as the plan of the same configuration. Both forms must describe the same resources, and the mix
// must hold both verdicts for every pair of checks bench/checkov.js compares.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadStacks } from "../../policies/engine/normalize";
/* eslint-disable @typescript-eslint/no-require-imports */
const { generateEstate, writeEstate } = require("../../bench/gen-hcl.js");
const { PAIRS, configurationFacts } = require("../../bench/checkov.js");
/* eslint-enable @typescript-eslint/no-require-imports */

const configAddress = (a: string) => a.replace(/\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]/g, "");

describe("bench/gen-hcl.js", () => {
  const dir = mkdtempSync(join(tmpdir(), "imgsec-gen-hcl-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const meta = writeEstate(dir, { bucketsPerSet: 18 });
  const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8"));

  test("is deterministic: the same files and the same plan every time", () => {
    const a = generateEstate({ bucketsPerSet: 5 });
    const b = generateEstate({ bucketsPerSet: 5 });
    expect(a.files).toEqual(b.files);
    expect(JSON.stringify(a.plan)).toBe(JSON.stringify(b.plan));
  });

  test("has 500+ resources across 20 local modules, some called more than once", () => {
    expect(meta.resources).toBeGreaterThanOrEqual(500);
    const modules = readdirSync(join(dir, "hcl", "modules"));
    expect(modules).toHaveLength(20);
    for (const m of modules)
      expect(readdirSync(join(dir, "hcl", "modules", m)).sort()).toEqual([
        "main.tf",
        "outputs.tf",
        "variables.tf",
      ]);
    const root = readFileSync(join(dir, "hcl", "main.tf"), "utf8");
    const sources = [...root.matchAll(/source\s+=\s+"\.\/modules\/(\w+)"/g)].map((x) => x[1]);
    expect(new Set(sources).size).toBe(20);
    expect(sources.length).toBeGreaterThan(20);
    const hcl = readdirSync(join(dir, "hcl"));
    expect(hcl).toEqual(expect.arrayContaining(["terraform.tfvars", "notifications.auto.tfvars"]));
    const all = modules
      .flatMap((m) =>
        ["main.tf", "outputs.tf"].map((f) =>
          readFileSync(join(dir, "hcl", "modules", m, f), "utf8"),
        ),
      )
      .join("\n");
    for (const construct of ["for_each", "count", "dynamic ", "jsonencode(", "[*]", " for "])
      expect(all).toContain(construct);
  });

  test("the plan is in terraform show -json shape, one planned resource per instance", () => {
    expect(plan.format_version).toBe("1.2");
    const planned = plan.planned_values.root_module.child_modules.flatMap(
      (m: { resources: { address: string }[] }) => m.resources.map((r) => r.address),
    );
    expect(planned).toEqual(meta.addresses);
    expect(plan.resource_changes.map((c: { address: string }) => c.address)).toEqual(planned);
    expect(Object.keys(plan.configuration.root_module.module_calls)).toHaveLength(meta.moduleCalls);
    const [stack] = loadStacks(join(dir, "plan.json"));
    expect(Object.keys(stack.resources).sort()).toEqual([...meta.addresses].sort());
  });

  test("the HCL describes the same resources as the plan", () => {
    const [stack] = loadStacks(join(dir, "hcl"));
    const fromHcl = Object.keys(stack.resources);
    // The same blocks; instances the same wherever the loader can know the count or keys.
    expect(new Set(fromHcl.map(configAddress))).toEqual(new Set(meta.addresses.map(configAddress)));
    const known = fromHcl.filter((a) => !a.includes("[?]"));
    expect(meta.addresses).toEqual(expect.arrayContaining(known));
    expect(known.length).toBeGreaterThanOrEqual(meta.addresses.length - 5);
    // A value written as a literal in a module, evaluated the same way in both forms.
    const trail = stack.resources["module.lab_trail.aws_cloudtrail.this"];
    expect(trail.values.is_multi_region_trail).toBe(false);
    expect(trail.values.enable_log_file_validation).toBe(false);
  });

  test("every pair bench/checkov.js compares has resources that should pass and that should fail", () => {
    const facts = configurationFacts(join(dir, "plan.json"));
    // Pairs where the estate has no failing case on purpose: the default security groups are
    // closed in every VPC (a failure there would be copied from no real estate).
    const allPass = new Set(["IMGSEC-VPC-002", "IMGSEC-CT-004"]);
    for (const p of PAIRS) {
      const rows = p.types.flatMap((t: string) => facts.ofType(t));
      const verdicts = new Set(rows.map((r: unknown) => p.expected(r, facts)));
      expect({ rule: p.rule, resources: rows.length > 0 }).toEqual({
        rule: p.rule,
        resources: true,
      });
      expect({ rule: p.rule, pass: verdicts.has(true) }).toEqual({ rule: p.rule, pass: true });
      if (!allPass.has(p.rule))
        expect({ rule: p.rule, fail: verdicts.has(false) }).toEqual({ rule: p.rule, fail: true });
    }
  });
});
