import {
  createReadStream,
  createWriteStream,
  lstatSync,
  readdirSync,
  renameSync,
  rmSync,
} from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { randomBytes } from "node:crypto";
import type { DeidResult } from "../handlers/dicom";

/** Every regular file under `input` (or `input` itself), sorted, never descending into `exclude`. */
export function listInputs(input: string, exclude: string): string[] {
  const root = resolve(input);
  const skip = resolve(exclude);
  const st = lstatSync(root);
  if (st.isFile()) return [root];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (p === skip || p.startsWith(skip + sep)) continue;
      const s = lstatSync(p);
      if (s.isDirectory()) walk(p);
      else if (s.isFile()) out.push(p); // symlinks are not followed: inputs stay where they are
    }
  };
  walk(root);
  return out;
}

export function displayPath(input: string, file: string): string {
  return relative(resolve(input), file) || file;
}

/**
 * Writes a de-identified result: header bytes and copied source ranges, to a temporary name in
 * the output folder, renamed to `<name>` only when complete.
 */
export async function writeResult(
  inputPath: string,
  result: Extract<DeidResult, { status: "deidentified" }>,
  outDir: string,
  name: string,
): Promise<number> {
  const tmp = join(outDir, `.imgsec-tmp-${randomBytes(6).toString("hex")}`);
  const out = createWriteStream(tmp, { flags: "wx", mode: 0o644 });
  let written = 0;
  try {
    for (const part of result.parts) {
      if ("bytes" in part) {
        if (!out.write(part.bytes)) await new Promise<void>((r) => out.once("drain", () => r()));
        written += part.bytes.length;
      } else if (part.length > 0) {
        await pipeline(
          createReadStream(inputPath, {
            start: part.sourceOffset,
            end: part.sourceOffset + part.length - 1,
            highWaterMark: 1 << 20,
          }),
          out,
          { end: false },
        );
        written += part.length;
      }
    }
    await new Promise<void>((res, rej) =>
      out.end((err?: Error | null) => (err ? rej(err) : res())),
    );
    renameSync(tmp, join(outDir, name));
    return written;
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
}
