import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectOneLineError, runCli } from "../helpers/cli";

const work = () => mkdtempSync(join(tmpdir(), "imgsec-synth-"));

describe("imgsec synth", () => {
  const dir = work();
  const out = join(dir, "cdktf.out");
  const r = runCli(["synth", "--out", out], { env: { IMGSEC_CONFIG: undefined } });

  test("writes Terraform JSON for every stack and a manifest", () => {
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(["imgsec-dev", "imgsec-prod"]);
    for (const s of ["imgsec-dev", "imgsec-prod"]) {
      const tf = JSON.parse(readFileSync(join(out, "stacks", s, "cdk.tf.json"), "utf8"));
      expect(Object.keys(tf.resource)).toContain("aws_cloudtrail");
    }
  });

  test("says where the JSON went and summarizes each stack on one screen", () => {
    expect(r.stderr).toContain(`Terraform JSON written to ${out}/`);
    expect(r.stdout).toMatch(/^imgsec-dev {2}\(us-east-1, \d+ resources, local state\)/m);
    expect(r.stdout).toMatch(
      /KMS key {5}alias\/imgsec-dev-phi \[us-east-1\]: rotation, deletion window 30 d/,
    );
    expect(r.stdout).toMatch(
      /Bucket {6}audit .*SSE-KMS \+ bucket key, .*Object Lock COMPLIANCE 2192 d/,
    );
    expect(r.stdout).toMatch(
      /CloudTrail {2}imgsec-prod-audit-trail: multi-region, log file validation, KMS, S3 data events on 6 buckets/,
    );
    expect(r.stdout).toMatch(/Alarms {6}13 alarms, 13 notify the SNS topic/);
    expect(r.stdout).toContain("Relaxed     none (strict defaults)");
    expect(r.stdout.split("\n").length).toBeLessThan(40);
  });

  test("--format json gives the same summary as data", () => {
    const j = runCli(["synth", "--out", join(dir, "j"), "--format", "json"]);
    expect(j.code).toBe(0);
    const { stacks } = JSON.parse(j.stdout);
    expect(stacks.map((s: { stack: string }) => s.stack)).toEqual(["imgsec-dev", "imgsec-prod"]);
    expect(stacks[0].buckets).toHaveLength(4);
    expect(
      stacks[0].logGroups.every(
        (g: { kms: boolean; retentionDays: number }) => g.kms && g.retentionDays === 2192,
      ),
    ).toBe(true);
  });

  test("config precedence: --config over IMGSEC_CONFIG", () => {
    const envCfg = join(dir, "env.json");
    const flagCfg = join(dir, "flag.json");
    writeFileSync(envCfg, JSON.stringify({ environments: { dev: { region: "eu-west-1" } } }));
    writeFileSync(flagCfg, JSON.stringify({ environments: { dev: { region: "eu-central-1" } } }));
    const viaEnv = runCli(["synth", "--out", join(dir, "e")], { env: { IMGSEC_CONFIG: envCfg } });
    expect(viaEnv.stdout).toMatch(/^imgsec-dev {2}\(eu-west-1,/m);
    const viaFlag = runCli(["synth", "--out", join(dir, "f"), "--config", flagCfg], {
      env: { IMGSEC_CONFIG: envCfg },
    });
    expect(viaFlag.stdout).toMatch(/^imgsec-dev {2}\(eu-central-1,/m);
  });

  test("a relaxed configuration is refused with one line, exit 2, and the old output is left alone", () => {
    const keep = join(dir, "keep");
    mkdirSync(keep);
    writeFileSync(join(keep, "sentinel"), "x");
    const cfg = join(dir, "weak.json");
    writeFileSync(cfg, JSON.stringify({ environments: { dev: { logRetentionDays: 30 } } }));
    const bad = runCli(["synth", "--out", keep, "--config", cfg]);
    expectOneLineError(bad, /^imgsec: log retention 30 days is refused: at least 365/);
    expect(existsSync(join(keep, "sentinel"))).toBe(true);
    expect(existsSync(join(keep, "manifest.json"))).toBe(false);
  });

  test("a missing or malformed config file is a one-line error", () => {
    expectOneLineError(
      runCli(["synth", "--out", join(dir, "m"), "--config", join(dir, "nope.json")]),
      /^imgsec: config file not found: /,
    );
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{");
    expectOneLineError(
      runCli(["synth", "--out", join(dir, "m"), "--config", bad]),
      /^imgsec: config file .* is not valid JSON/,
    );
  });
});

describe("imgsec usage", () => {
  test("--help exits 0 and lists the subcommands", () => {
    const r = runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/synth/);
  });

  test("an unknown subcommand or option is a usage error (exit 2)", () => {
    expect(runCli(["frobnicate"]).code).toBe(2);
    expect(runCli(["synth", "--format", "xml"]).code).toBe(2);
  });
});
