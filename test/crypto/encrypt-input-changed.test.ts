/**
 * `imgsec encrypt` reads a file twice (its pixel digest, then its encryption): a file that changes
 * in between would get a package claiming another image's digest. The encryption pass refuses it
 * (InputChangedError, test/crypto/package-writer.test.ts); here, what the command makes of that:
 * the file is reported failed, in one line without its path, and recorded as failed. The race
 * itself cannot be timed from a test, so encryptToFile is replaced by one that reports it.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli";
import { generateCtSeries } from "../dicom/corpus/generator";
import { newKeyFile, removeTmp, tmp } from "./fixtures";

jest.mock("../../handlers/crypto/package", () => {
  const actual = jest.requireActual("../../handlers/crypto/package");
  return {
    ...actual,
    encryptToFile: jest.fn(async () => {
      throw new actual.InputChangedError("the input changed while it was encrypted");
    }),
  };
});

// After the mock: the per-file job (handlers/job/encrypt-file.ts) imports the replaced encryptToFile.
import { runEncrypt } from "../../cli/packages";

afterAll(removeTmp);

test("a file changed between its digest and its encryption: failed, recorded, no package", async () => {
  const dir = tmp();
  const keys = newKeyFile();
  const auditLog = join(dir, "audit.jsonl");
  mkdirSync(join(dir, "in"));
  const [slice] = generateCtSeries({ slices: 1, rows: 64, columns: 64 }).files;
  writeFileSync(join(dir, "in", "slice.dcm"), slice.bytes);
  const d = runCli(["deid", "in", "deid", "--keys", keys, "--audit-log", auditLog], { cwd: dir });
  expect(d.code).toBe(0);

  const report = await runEncrypt(join(dir, "deid"), join(dir, "pk"), {
    dataset: "study-1",
    keys,
    auditLog,
  });
  expect(report.summary).toMatchObject({ inputs: 1, encrypted: 0, failed: 1 });
  expect(report.files).toEqual([
    {
      input: expect.stringMatching(/^2\.25\.[0-9]+\.dcm$/),
      status: "failed",
      reason: "the input changed while it was encrypted",
    },
  ]);
  expect(readdirSync(join(dir, "pk"))).toEqual([]);
  const records = readFileSync(auditLog, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(records.filter((r) => r.op === "encrypt")).toEqual([
    expect.objectContaining({ outcome: "failed", details: { reason: "failed" } }),
  ]);
});
