import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { bundleLambda, zipEntries } from "../../modules/pipeline/bundle";
import { ROOT } from "../helpers/cli";

const FIXTURE = "test/modules/fixtures/pipeline-handler.ts";
const cache = () => mkdtempSync(join(tmpdir(), "imgsec-bundle-test-"));

/** The central directory's first entry: what a zip tool shows as owner system, mode and date. */
function centralEntry(zip: Buffer) {
  const at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  const time = zip.readUInt16LE(at + 12);
  const date = zip.readUInt16LE(at + 14);
  return {
    madeBy: zip[at + 5],
    mode: zip.readUInt32LE(at + 38) >>> 16,
    date: { year: 1980 + (date >> 9), month: (date >> 5) & 15, day: date & 31 },
    time,
  };
}

/** Loads the bundled index.js the way Lambda's CommonJS loader would, without touching disk. */
function loadBundle(zipPath: string): Record<string, unknown> {
  const code = Buffer.from(unzipSync(readFileSync(zipPath))["index.js"]).toString("utf8");
  const module = { exports: {} as Record<string, unknown> };
  new Function("module", "exports", "require", "__filename", "__dirname", code)(
    module,
    module.exports,
    require,
    "/var/task/index.js",
    "/var/task",
  );
  return module.exports;
}

/** The SHA-256 of a bundle made in a fresh Node process with the given TZ (jest's process.env is
 * a copy, so setting TZ in the test would not reach the clock). */
function bundleInProcess(tz: string, cacheDir: string): string {
  const script = `
    const esbuild = require("esbuild");
    const out = require("node:path").join(${JSON.stringify(cacheDir)}, "bundle-module.js");
    esbuild.buildSync({ entryPoints: [${JSON.stringify(join(ROOT, "modules/pipeline/bundle.ts"))}],
      bundle: true, platform: "node", format: "cjs", packages: "external", outfile: out, logLevel: "silent" });
    const b = require(out).bundleLambda({ entry: ${JSON.stringify(FIXTURE)},
      projectRoot: ${JSON.stringify(ROOT)}, cacheDir: ${JSON.stringify(cacheDir)} });
    process.stdout.write(b.sha256);`;
  return execFileSync(process.execPath, ["-e", script], {
    cwd: ROOT,
    env: { ...process.env, TZ: tz, NODE_PATH: join(ROOT, "node_modules") },
    encoding: "utf8",
  });
}

describe("Lambda bundling", () => {
  const first = bundleLambda({ entry: FIXTURE, cacheDir: cache() });

  test("one CommonJS file, index.js, exporting the handler Lambda calls (index.handler)", async () => {
    expect(first.handler).toBe("index.handler");
    expect(Object.keys(zipEntries(first.zipPath))).toEqual(["index.js"]);
    const mod = loadBundle(first.zipPath);
    const handler = mod.handler as (e: object) => Promise<Record<string, unknown>>;
    await expect(handler({ bucket: "b", key: "k", versionId: "v" })).resolves.toEqual({
      outcome: "ok",
      profiles: expect.any(Number),
      hasVersion: true,
    });
    // keepNames: Step Functions matches the error type, which minification would otherwise rename.
    expect((mod.TransientError as { name: string }).name).toBe("TransientError");
  });

  test("the AWS SDK is bundled (pinned), not left to the runtime's copy", () => {
    const code = Buffer.from(unzipSync(readFileSync(first.zipPath))["index.js"]).toString();
    const required = new Set(
      [...code.matchAll(/require\(["']([^"']+)["']\)/g)]
        .map((m) => m[1])
        .filter((name) => !name.startsWith("node:")),
    );
    // Only the SDK's optional signers remain, which it loads solely for SigV4a / CRT signing.
    expect([...required].sort()).toEqual(["@aws-sdk/signature-v4-crt", "@aws-sdk/signature-v4a"]);
    expect(code).toContain("S3Client");
    expect(first.codeBytes).toBeGreaterThan(100_000);
    expect(first.zipBytes).toBeLessThan(first.codeBytes);
  });

  test("entries have a fixed date, Unix permissions 0644 and no build-machine paths", () => {
    const zip = readFileSync(first.zipPath);
    expect(centralEntry(zip)).toEqual({
      madeBy: 3,
      mode: 0o100644,
      date: { year: 1980, month: 1, day: 1 },
      time: 0,
    });
    const code = Buffer.from(unzipSync(zip)["index.js"]).toString();
    expect(code).not.toContain(process.cwd());
    expect(code).not.toContain(tmpdir());
  });

  test("two bundles of the same entry are byte-identical", () => {
    const again = bundleLambda({ entry: FIXTURE, cacheDir: cache() });
    expect(again.zipPath).not.toBe(first.zipPath);
    expect(readFileSync(again.zipPath).equals(readFileSync(first.zipPath))).toBe(true);
    expect(again.sha256).toBe(first.sha256);
    expect(again.sourceCodeHash).toBe(Buffer.from(first.sha256, "hex").toString("base64"));
  });

  test("the same bytes in time zones 14 hours apart (zip dates are local time)", () => {
    expect(bundleInProcess("Pacific/Kiritimati", cache())).toBe(first.sha256);
    expect(bundleInProcess("Pacific/Pago_Pago", cache())).toBe(first.sha256);
  });

  test("the zip is named by its SHA-256 and nothing else", () => {
    expect(first.zipPath.endsWith(`/${first.sha256}.zip`)).toBe(true);
  });
});

describe("Lambda bundling of a changing source", () => {
  const root = mkdtempSync(join(tmpdir(), "imgsec-bundle-src-"));
  const dir = cache();
  writeFileSync(join(root, "package.json"), '{"name":"fixture","private":true}');
  mkdirSync(join(root, "lib"));
  writeFileSync(join(root, "entry.ts"), 'export { handler } from "./lib/answer";\n');
  const write = (n: number) =>
    writeFileSync(
      join(root, "lib", "answer.ts"),
      `export const handler = async () => ({ outcome: "ok", n: ${n} });\n`,
    );
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("a changed dependency changes the bytes and the hash; an unchanged one reuses the bundle", () => {
    write(1);
    const one = bundleLambda({ entry: "entry.ts", projectRoot: root, cacheDir: dir });
    expect(bundleLambda({ entry: "entry.ts", projectRoot: root, cacheDir: dir })).toBe(one);
    write(2);
    const two = bundleLambda({ entry: "entry.ts", projectRoot: root, cacheDir: dir });
    expect(two.sha256).not.toBe(one.sha256);
    expect(readFileSync(two.zipPath).equals(readFileSync(one.zipPath))).toBe(false);
    write(1);
    const back = bundleLambda({ entry: "entry.ts", projectRoot: root, cacheDir: dir });
    expect(back.sha256).toBe(one.sha256);
  });

  test("a missing entry point or a syntax error stops synth with one line", () => {
    expect(() => bundleLambda({ entry: "nope.ts", projectRoot: root, cacheDir: dir })).toThrow(
      /^Lambda entry point nope\.ts does not exist: the pipeline's function cannot be bundled$/,
    );
    writeFileSync(join(root, "broken.ts"), "export const handler = (;\n");
    let message = "";
    try {
      bundleLambda({ entry: "broken.ts", projectRoot: root, cacheDir: dir });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^cannot bundle Lambda entry point broken\.ts: .+\(broken\.ts:1\)$/);
    expect(message).not.toContain("\n");
  });

  test("a package located at run time (require.resolve, createRequire) is refused: Lambda has no node_modules", () => {
    writeFileSync(
      join(root, "late.ts"),
      [
        'import { createRequire } from "node:module";',
        'const fromPkg = createRequire(require.resolve("some-package"));',
        'export const handler = async () => fromPkg("./part");',
        "",
      ].join("\n"),
    );
    expect(() => bundleLambda({ entry: "late.ts", projectRoot: root, cacheDir: dir })).toThrow(
      /^cannot bundle Lambda entry point late\.ts: some-package is resolved at run time \(require\.resolve or createRequire\), and a Lambda bundle has no node_modules/,
    );
    // An external package is the runtime's to provide: no complaint.
    expect(
      bundleLambda({
        entry: "late.ts",
        projectRoot: root,
        cacheDir: dir,
        external: ["some-package"],
      }).handler,
    ).toBe("index.handler");
  });
});
