"use strict";
// Installs the pinned outside tools the tests need (scripts/setup-tools.sh: opa, regal), once per
// jest run. A tool that cannot be installed makes its tests skip loudly, or fail under CI=true
// (see test/helpers/tools.ts).
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");

module.exports = async () => {
  if (process.env.IMGSEC_SKIP_TOOL_SETUP === "1") return;
  const root = join(__dirname, "..");
  const r = spawnSync("bash", [join(root, "scripts", "setup-tools.sh")], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
    env: {
      ...process.env,
      REQUIRE_REGAL: process.env.CI === "true" ? "1" : process.env.REQUIRE_REGAL,
    },
  });
  // dcmtk, gdcm and dicom3tools (apt, pinned): outputs read back with independent parsers and
  // validated against their IODs (dciodvfy).
  const d = spawnSync("bash", [join(root, "scripts", "setup-dicom-tools.sh")], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  // moto's server (pip, pinned, project virtualenv) as a local AWS endpoint for integration tests.
  const m = spawnSync("bash", [join(root, "scripts", "setup-moto.sh")], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  // Node.js 24 (npm registry, pinned): the Lambda runtime, for the tests that run the pipeline's
  // handlers on it (the local Step Functions interpreter needs Node 22 or later).
  const n = spawnSync("bash", [join(root, "scripts", "setup-node24.sh")], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  // Chromium, pdftotext and a font (apt, pinned): the compliance report opened, filtered,
  // screenshotted and printed to PDF in a real browser (test/compliance/browser.test.ts).
  const b = spawnSync("bash", [join(root, "scripts", "setup-browser.sh")], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  if (b.status !== 0) {
    process.stderr.write(
      `\n[test setup] scripts/setup-browser.sh failed; browser tests will skip (or fail under CI=true):\n${b.stderr.split("\n").slice(-3).join("\n")}\n`,
    );
  }
  if (n.status !== 0) {
    process.stderr.write(
      `\n[test setup] scripts/setup-node24.sh failed; Node 24 tests will skip (or fail under CI=true):\n${n.stderr.split("\n").slice(-3).join("\n")}\n`,
    );
  }
  if (m.status !== 0) {
    process.stderr.write(
      `\n[test setup] scripts/setup-moto.sh failed; moto tests will skip (or fail under CI=true):\n${m.stderr.split("\n").slice(-3).join("\n")}\n`,
    );
  }
  if (d.status !== 0) {
    process.stderr.write(
      `\n[test setup] scripts/setup-dicom-tools.sh failed; dcmtk tests will skip (or fail under CI=true):\n${d.stderr.split("\n").slice(-3).join("\n")}\n`,
    );
  }
  if (r.status !== 0) {
    process.stderr.write(
      `\n[test setup] scripts/setup-tools.sh failed; tests that need opa/regal will skip (or fail under CI=true):\n${r.stderr.split("\n").slice(-5).join("\n")}\n`,
    );
  }
};
