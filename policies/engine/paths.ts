import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The package root (holds package.json named imgsec), from source (ts-jest) or from dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "imgsec") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the imgsec package root");
    dir = up;
  }
}
