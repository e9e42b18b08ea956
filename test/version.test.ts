import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IMGSEC_VERSION, PRODUCER } from "../handlers/crypto/version";

test("the producing version in package contexts is package.json's version", () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8"));
  expect(IMGSEC_VERSION).toBe(pkg.version);
  expect(PRODUCER).toMatch(/^imgsec\/[0-9]+\.[0-9]+\.[0-9]+$/);
});
