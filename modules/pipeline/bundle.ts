/**
 * Lambda bundling at synth time: esbuild bundles one handler entry point into a single CommonJS
 * file for Node.js 24 on Lambda, and fflate zips it with fixed timestamps, sorted entries and fixed
 * permissions, so the same sources give the same bytes and the same hash on any machine, offline.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { buildSync, BuildFailure, Metafile } from "esbuild";
import { unzipSync, zipSync, Zippable } from "fflate";
import { ImgsecConfigError } from "../errors";

export interface LambdaBundleOptions {
  /** The handler's entry point (TypeScript or JavaScript) exporting `handler`; absolute, or
   * relative to `projectRoot`. */
  readonly entry: string;
  /** Where module resolution and tsconfig lookup start; default: the folder holding this project's
   * package.json. */
  readonly projectRoot?: string;
  /** Modules left out of the bundle (the runtime must provide them). Default none: the AWS SDK v3
   * is bundled so the deployed code is the code the tests ran, pinned by package-lock.json. */
  readonly external?: string[];
  /** Where zips are kept, named by their SHA-256; default `<tmpdir>/imgsec-lambda-bundles`. */
  readonly cacheDir?: string;
}

export interface LambdaBundle {
  /** The zip, named by its SHA-256 (content addressed: nothing about the sources in the name). */
  readonly zipPath: string;
  /** SHA-256 of the zip, hex. */
  readonly sha256: string;
  /** SHA-256 of the zip, base64: Terraform's `filebase64sha256`, for `source_code_hash`. */
  readonly sourceCodeHash: string;
  /** Size of the zip in bytes. */
  readonly zipBytes: number;
  /** Size of the bundled JavaScript in bytes, before compression. */
  readonly codeBytes: number;
  /** The file name and export Lambda calls: `index.handler`. */
  readonly handler: string;
}

/** Lambda's Node.js 24 runtime; the bundle targets the same language level. */
export const LAMBDA_NODE_RUNTIME = "nodejs24.x";
const ESBUILD_TARGET = "node24";

/** DOS timestamps carry local-time fields, so the date is built from local fields when the zip is
 * written: it encodes identically in every time zone. 1980-01-01 is the earliest a zip can hold. */
const fixedMtime = () => new Date(1980, 0, 1, 0, 0, 0);
/** Regular file, rw-r--r--, in the high 16 bits of the external attributes (Unix "made by"). */
const FILE_ATTRS = (0o100644 << 16) >>> 0;
const UNIX = 3;

interface CachedBundle {
  bundle: LambdaBundle;
  inputs: { path: string; size: number; mtimeMs: number }[];
}
const memo = new Map<string, CachedBundle>();

/** The nearest folder above this file with a package.json: the project root, from src or dist. */
export function projectRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new ImgsecConfigError("cannot find the project root (package.json)");
    dir = up;
  }
  return dir;
}

/**
 * Bundles and zips `entry`. Bundles are memoized per process and reused while none of their input
 * files changed (both stacks of an app share one bundle).
 */
export function bundleLambda(options: LambdaBundleOptions): LambdaBundle {
  const root = resolve(options.projectRoot ?? projectRoot());
  const entry = isAbsolute(options.entry) ? options.entry : join(root, options.entry);
  const shown = relative(root, entry) || entry;
  if (!existsSync(entry)) {
    throw new ImgsecConfigError(
      `Lambda entry point ${shown} does not exist: the pipeline's function cannot be bundled`,
    );
  }
  const external = [...(options.external ?? [])].sort();
  const cacheDir = options.cacheDir ?? join(tmpdir(), "imgsec-lambda-bundles");
  const key = JSON.stringify([root, entry, external, cacheDir]);
  const cached = memo.get(key);
  if (cached && unchanged(cached) && existsSync(cached.bundle.zipPath)) return cached.bundle;

  let result;
  try {
    result = buildSync({
      absWorkingDir: root,
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      target: ESBUILD_TARGET,
      // CommonJS: the AWS SDK, the Encryption SDK and their dependencies call require() at run
      // time, which an ESM bundle would need a createRequire banner for.
      format: "cjs",
      minify: true,
      // Error class names reach Step Functions as the error type its Retry and Catch match on.
      keepNames: true,
      sourcemap: false,
      legalComments: "eof",
      external,
      outfile: "index.js",
      write: false,
      metafile: true,
      logLevel: "silent",
      define: { "process.env.NODE_ENV": '"production"' },
    });
  } catch (e) {
    const first = (e as BuildFailure).errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : "";
    const message = first ? `${first.text}${where}` : (e as Error).message.split("\n")[0];
    throw new ImgsecConfigError(`cannot bundle Lambda entry point ${shown}: ${message}`);
  }

  for (const file of result.outputFiles) {
    const late = runtimeResolved(file.text, external);
    if (late.length) {
      throw new ImgsecConfigError(
        `cannot bundle Lambda entry point ${shown}: ${late.join(", ")} is resolved at run time (require.resolve or createRequire), and a Lambda bundle has no node_modules: require it with a literal name so esbuild can bundle it`,
      );
    }
  }

  const files: Zippable = {};
  const mtime = fixedMtime();
  const names = result.outputFiles.map((f) => relative(root, f.path).split("\\").join("/")).sort();
  let codeBytes = 0;
  for (const name of names) {
    const file = result.outputFiles.find(
      (f) => relative(root, f.path).split("\\").join("/") === name,
    );
    if (!file) continue;
    codeBytes += file.contents.byteLength;
    files[name] = [file.contents, { level: 9, mtime, os: UNIX, attrs: FILE_ATTRS }];
  }
  const zip = zipSync(files);
  const digest = createHash("sha256").update(zip).digest();
  const sha256 = digest.toString("hex");
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const zipPath = join(cacheDir, `${sha256}.zip`);
  if (!existsSync(zipPath)) {
    // Temporary name, then rename: a concurrent synth never sees a half-written zip.
    const tmp = `${zipPath}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, zip, { mode: 0o644 });
    renameSync(tmp, zipPath);
  }
  const bundle: LambdaBundle = {
    zipPath,
    sha256,
    sourceCodeHash: digest.toString("base64"),
    zipBytes: zip.byteLength,
    codeBytes,
    handler: "index.handler",
  };
  memo.set(key, { bundle, inputs: inputsOf(root, result.metafile) });
  return bundle;
}

/** Packages the bundled code locates at run time (`require.resolve("pkg")`): esbuild cannot follow
 * those, so the function would fail at its first cold start. Node built-ins and externals are fine. */
export function runtimeResolved(code: string, external: string[] = []): string[] {
  const names = [...code.matchAll(/\brequire\.resolve\(\s*["'`]([^"'`]+)["'`]/g)].map((m) => m[1]);
  const builtin = (n: string) => n.startsWith("node:") || builtinModules.includes(n.split("/")[0]);
  const isExternal = (n: string) => external.some((e) => n === e || n.startsWith(`${e}/`));
  return [...new Set(names.filter((n) => !builtin(n) && !isExternal(n) && !n.startsWith(".")))];
}

function inputsOf(root: string, metafile: Metafile | undefined) {
  return Object.keys(metafile?.inputs ?? {}).map((p) => {
    const path = resolve(root, p);
    const s = statSync(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs };
  });
}

function unchanged(cached: CachedBundle): boolean {
  return cached.inputs.every((i) => {
    try {
      const s = statSync(i.path);
      return s.size === i.size && s.mtimeMs === i.mtimeMs;
    } catch {
      return false;
    }
  });
}

/** The entries of a zip this module wrote, for tests and the summary: name → uncompressed size. */
export function zipEntries(zipPath: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, data] of Object.entries(unzipSync(readFileSync(zipPath)))) {
    out[name] = data.byteLength;
  }
  return out;
}
