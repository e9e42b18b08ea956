import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectOneLineError, runCli } from "../helpers/cli";

// IMGSEC-LMB-007 compares a runtime's deprecation date with the evaluation date; `--params` pins it
// (policies/params.json `evaluation_date`, empty by default: the engine's clock decides).
const tmp = mkdtempSync(join(tmpdir(), "imgsec-evaluation-date-"));
const dir = join(tmp, "infra");
mkdirSync(dir);
writeFileSync(
  join(dir, "main.tf.json"),
  JSON.stringify({
    resource: {
      aws_lambda_function: {
        fn: { function_name: "deid", role: "arn:aws:iam::1:role/r", runtime: "nodejs22.x" },
      },
    },
  }),
);

const params = (name: string, value: unknown): string => {
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify({ evaluation_date: value }));
  return file;
};

/** IMGSEC-LMB-007's results of a `check --format json` run. */
const runtimeResults = (file: string) => {
  const r = runCli(["check", dir, "--format", "json", "--params", file]);
  const results = JSON.parse(r.stdout).results as {
    rule: string;
    status: string;
    message: string;
  }[];
  return results.filter((x) => x.rule === "IMGSEC-LMB-007");
};

describe("imgsec check --params evaluation_date (IMGSEC-LMB-007)", () => {
  test("nodejs22.x passes before its deprecation date", () => {
    expect(runtimeResults(params("before", "2027-04-29"))).toMatchObject([
      {
        status: "PASS",
        message: "runtime nodejs22.x is supported until 2027-04-30 (evaluated on 2027-04-29)",
      },
    ]);
  });

  test("and fails from that date on", () => {
    expect(runtimeResults(params("after", "2027-04-30"))).toMatchObject([
      {
        status: "FAIL",
        message:
          "runtime nodejs22.x is deprecated since 2027-04-30 (evaluated on 2027-04-30): AWS no longer patches it",
      },
    ]);
  });

  test("a date that is not a string is unusable input", () => {
    expectOneLineError(
      runCli(["check", dir, "--params", params("number", 20270430)]),
      /evaluation_date must be a string$/,
    );
  });

  test("a string that is not a calendar date is unusable input, never today's date", () => {
    for (const bad of ["2027-02-30", "tomorrow", "2027-4-1"])
      expectOneLineError(
        runCli(["check", dir, "--params", params(`bad-${bad}`, bad)]),
        /evaluation_date must be YYYY-MM-DD$/,
      );
  });

  test("without a pinned date the engine's clock decides: nodejs22.x is judged, never UNKNOWN", () => {
    const [r] = runtimeResults(params("today", ""));
    expect(["PASS", "FAIL"]).toContain(r.status);
    expect(r.message).toContain(`evaluated on ${new Date().toISOString().slice(0, 10)}`);
  });
});
