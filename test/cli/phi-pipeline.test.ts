/**
 * No PHI crosses a boundary: the planted-PHI corpus goes through deid, encrypt, verify-package,
 * decrypt and audit verify, and every package (header and body), the audit log, and everything
 * printed is scanned for every planted value and its variants.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli";
import { generateCorpus } from "../dicom/corpus/generator";
import { formatLeaks, scanForLeaks } from "../dicom/corpus/leak-scanner";

const work = mkdtempSync(join(tmpdir(), "imgsec-phi-pipeline-"));
const input = join(work, "in");
const corpus = generateCorpus();
mkdirSync(input);
for (const f of corpus.files) writeFileSync(join(input, f.name), f.bytes);
const env = {
  IMGSEC_KEYS: join(work, "keys", "keys.json"),
  IMGSEC_AUDIT_LOG: join(work, "audit.jsonl"),
  IMGSEC_ACTOR: "local:phi-scan",
};
const run = (args: string[]) => runCli(args, { cwd: work, env });
const files = (dir: string) =>
  readdirSync(dir).map((name) => ({
    name: `${dir}/${name}`,
    bytes: readFileSync(join(dir, name)),
  }));

describe("planted PHI through deid → encrypt → verify-package → decrypt → audit", () => {
  const printed: { name: string; bytes: string }[] = [];
  const step = (name: string, args: string[]) => {
    const r = run(args);
    printed.push(
      { name: `${name} stdout`, bytes: r.stdout },
      { name: `${name} stderr`, bytes: r.stderr },
    );
    return r;
  };
  let packages: string[] = [];

  beforeAll(() => {
    expect(step("keys", ["keys", "init"]).code).toBe(0);
    expect(step("deid", ["deid", input, join(work, "deid"), "--format", "json"]).code).toBe(1); // quarantines
    const enc = step("encrypt", [
      "encrypt",
      join(work, "deid"),
      join(work, "pkg"),
      "--dataset",
      "phi-scan",
      "--format",
      "json",
    ]);
    expect(enc.code).toBe(0);
    packages = readdirSync(join(work, "pkg"));
    const ver = step("verify", ["verify-package", join(work, "pkg"), "--format", "json"]);
    expect(ver.code).toBe(0);
    expect(
      step("decrypt", ["decrypt", join(work, "pkg"), join(work, "plain"), "--dataset", "phi-scan"])
        .code,
    ).toBe(0);
    expect(step("audit", ["audit", "verify", env.IMGSEC_AUDIT_LOG, "--format", "json"]).code).toBe(
      0,
    );
  });

  test("every de-identified object became a package, and each round-trips", () => {
    expect(packages.length).toBe(readdirSync(join(work, "deid")).length);
    expect(packages.length).toBeGreaterThan(10);
    for (const name of readdirSync(join(work, "plain")))
      expect(readFileSync(join(work, "plain", name))).toEqual(
        readFileSync(join(work, "deid", name)),
      );
  });

  test("no planted value in any package, the audit log, or anything printed", () => {
    const haystacks = [
      ...files(join(work, "pkg")),
      { name: "audit.jsonl", bytes: readFileSync(env.IMGSEC_AUDIT_LOG) },
      ...printed,
    ];
    const leaks = scanForLeaks(haystacks, corpus.planted);
    if (leaks.length) throw new Error(formatLeaks(leaks));
    expect(leaks).toEqual([]);
  });

  test("the audit log records each step by UID, pseudonym or digest", () => {
    const records = readFileSync(env.IMGSEC_AUDIT_LOG, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const ops = records.filter((r) => r.type === "event").map((r) => r.op);
    for (const op of ["deid", "encrypt", "verify-package", "decrypt"]) expect(ops).toContain(op);
    const deidObjects = records
      .filter((r) => r.op === "deid" && r.outcome === "ok")
      .flatMap((r) => r.objects);
    expect(deidObjects.some((o: { kind: string }) => o.kind === "patient")).toBe(true);
    expect(deidObjects.some((o: { kind: string }) => o.kind === "instance")).toBe(true);
    expect(records.every((r) => r.actor === "local:phi-scan")).toBe(true);
  });

  test("the scanner would find a planted value had one reached the log (it can fail)", () => {
    const name = corpus.planted.find((p) => p.kind === "name")!.value;
    const forged =
      readFileSync(env.IMGSEC_AUDIT_LOG, "utf8") + JSON.stringify({ note: name }) + "\n";
    expect(
      scanForLeaks([{ name: "forged", bytes: forged }], corpus.planted).length,
    ).toBeGreaterThan(0);
  });

  test("a planted identifier as --dataset is refused without echoing it", () => {
    const id = corpus.planted.find(
      (p) => p.kind === "id" && /^[A-Za-z0-9]+$/.test(p.value) && /[0-9]{6}/.test(p.value),
    );
    const value = id?.value ?? "MRN12345678";
    const r = run(["encrypt", join(work, "deid"), join(work, "pkg2"), "--dataset", value]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain(value);
    expect(r.stdout).not.toContain(value);
  });
});
