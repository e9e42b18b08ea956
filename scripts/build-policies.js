#!/usr/bin/env node
"use strict";
// Compiles the Rego rules to WebAssembly and extracts their METADATA into a JSON catalog
// (rego.metadata is not available under WASM). Outputs, committed so users need neither Go nor opa:
//   policies/dist/deployment.wasm   entrypoint imgsec/main/results
//   policies/dist/catalog.json      [{package, id, title, description, severity, level, controls, resource_types, remediation}]
// `--check` builds into a temporary folder and fails (exit 1) when the committed files are stale.
const { execFileSync } = require("node:child_process");
const {
  mkdtempSync,
  readFileSync,
  writeFileSync,
  renameSync,
  rmSync,
  existsSync,
  mkdirSync,
} = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const POLICIES = join(ROOT, "policies");
const DIST = join(POLICIES, "dist");
const OPA = process.env.OPA || join(ROOT, ".tools", "bin", "opa");
const SEVERITIES = ["critical", "high", "medium", "low"];

function fail(message) {
  process.stderr.write(`build-policies: ${message}\n`);
  process.exit(2);
}

function opa(args, opts = {}) {
  try {
    return execFileSync(OPA, args, {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      ...opts,
    });
  } catch (e) {
    fail(`opa ${args[0]} failed:\n${(e.stderr || e.stdout || e.message).toString().trim()}`);
  }
}

/** The builtins opa-wasm implements in Node, plus the language features this opa knows. */
function wasmCapabilities(dir) {
  const sdk = JSON.parse(
    readFileSync(
      join(ROOT, "node_modules", "@open-policy-agent", "opa-wasm", "capabilities.json"),
      "utf8",
    ),
  );
  const current = JSON.parse(opa(["capabilities", "--current"]));
  const file = join(dir, "capabilities.json");
  writeFileSync(file, JSON.stringify({ ...current, builtins: sdk.builtins }));
  return file;
}

function buildCatalog() {
  const inspected = JSON.parse(opa(["inspect", "-a", "-f", "json", "policies"]));
  const citations = new Set(
    JSON.parse(
      readFileSync(join(ROOT, "compliance", "hipaa-security-rule.json"), "utf8"),
    ).security_rule.map((r) => r.citation),
  );
  const rulePackages = Object.keys(inspected.namespaces || {}).filter(
    (p) => p.startsWith("data.imgsec.rules.") && !p.endsWith("_test"),
  );
  const entries = [];
  for (const a of inspected.annotations || []) {
    const pkg = a.path.map((p) => p.value).join(".");
    if (a.annotations.scope !== "package" || !pkg.startsWith("data.imgsec.rules.")) continue;
    const c = a.annotations.custom || {};
    const where = `${a.location.file}`;
    const entry = {
      package: pkg.replace(/^data\./, ""),
      id: c.id,
      title: a.annotations.title,
      description: (a.annotations.description || "").trim(),
      severity: c.severity,
      level: c.level || "error",
      controls: c.controls || [],
      resource_types: c.resource_types || [],
      remediation: (c.remediation || "").trim(),
    };
    if (!/^IMGSEC-[A-Z0-9]+-\d{3}$/.test(entry.id || ""))
      fail(`${where}: custom.id must look like IMGSEC-S3-001`);
    if (!entry.title) fail(`${where}: METADATA needs a title`);
    if (!SEVERITIES.includes(entry.severity))
      fail(`${where}: custom.severity must be one of ${SEVERITIES.join(", ")}`);
    if (!["error", "warning"].includes(entry.level))
      fail(`${where}: custom.level must be error or warning`);
    if (entry.controls.length === 0)
      fail(`${where}: custom.controls must name at least one HIPAA citation`);
    for (const ctl of entry.controls) {
      if (!citations.has(ctl))
        fail(`${where}: control "${ctl}" is not a citation in compliance/hipaa-security-rule.json`);
    }
    if (entry.resource_types.length === 0) fail(`${where}: custom.resource_types is empty`);
    if (!entry.remediation) fail(`${where}: custom.remediation is empty`);
    entries.push(entry);
  }
  const byId = new Map();
  for (const e of entries) {
    if (byId.has(e.id))
      fail(`rule id ${e.id} is used by ${byId.get(e.id).package} and ${e.package}`);
    byId.set(e.id, e);
  }
  const documented = new Set(entries.map((e) => `data.${e.package}`));
  for (const p of rulePackages)
    if (!documented.has(p)) fail(`${p} has no package METADATA (id, title, severity, controls...)`);
  return entries.sort((a, b) => a.id.localeCompare(b.id));
}

function build(outDir) {
  const work = mkdtempSync(join(tmpdir(), "imgsec-policies-"));
  try {
    opa(["check", "--strict", "policies"]);
    const caps = wasmCapabilities(work);
    const bundle = join(work, "bundle.tar.gz");
    opa([
      "build",
      "-t",
      "wasm",
      "-e",
      "imgsec/main/results",
      "--capabilities",
      caps,
      "--ignore",
      "*_test.rego",
      "--ignore",
      "README.md",
      "--ignore",
      "engine",
      "--ignore",
      "dist",
      "--ignore",
      "*.json",
      "-o",
      bundle,
      "policies/main.rego",
      "policies/lib",
      "policies/rules",
    ]);
    execFileSync("tar", ["-xzf", bundle, "-C", work, "/policy.wasm"], { stdio: "pipe" });
    const catalog = buildCatalog();
    mkdirSync(outDir, { recursive: true });
    return {
      wasm: readFileSync(join(work, "policy.wasm")),
      catalog: JSON.stringify(catalog, null, 2) + "\n",
      rules: rulesMarkdown(catalog),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A readable rules table for auditors and the README, generated from the catalog. */
function rulesMarkdown(catalog) {
  const rows = catalog.map(
    (r) =>
      `| ${r.id} | ${r.title} | ${r.severity}${r.level === "warning" ? " (warning)" : ""} | ${r.controls.join(", ")} | ${r.resource_types.map((t) => "`" + t + "`").join(", ")} | \`${r.package.replace(/^imgsec\.rules\./, "rules/").replace(/\./g, "/")}.rego\` |`,
  );
  return [
    "# imgsec deployment rules",
    "",
    "Generated by `npm run build:policies` from each rule's METADATA; do not edit. HIPAA citations are 45 CFR Part 164.",
    "",
    "| id | title | severity | HIPAA controls | resource types | file |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

function writeAtomically(file, data) {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

function main() {
  if (!existsSync(OPA))
    fail(`opa not found at ${OPA}: run scripts/setup-tools.sh (or set OPA=/path/to/opa)`);
  const check = process.argv.includes("--check");
  const { wasm, catalog, rules } = build(DIST);
  const wasmFile = join(DIST, "deployment.wasm");
  const catalogFile = join(DIST, "catalog.json");
  const rulesFile = join(POLICIES, "RULES.md");
  if (check) {
    const staleWasm = !existsSync(wasmFile) || !readFileSync(wasmFile).equals(wasm);
    const staleCatalog = !existsSync(catalogFile) || readFileSync(catalogFile, "utf8") !== catalog;
    const staleRules = !existsSync(rulesFile) || readFileSync(rulesFile, "utf8") !== rules;
    if (staleWasm || staleCatalog || staleRules) {
      const which = [
        staleWasm && "deployment.wasm",
        staleCatalog && "catalog.json",
        staleRules && "RULES.md",
      ];
      process.stderr.write(
        `build-policies: committed ${which.filter(Boolean).join(", ")} stale: run npm run build:policies and commit\n`,
      );
      process.exit(1);
    }
    process.stderr.write(
      `build-policies: policies/dist is up to date (${JSON.parse(catalog).length} rules)\n`,
    );
    return;
  }
  writeAtomically(wasmFile, wasm);
  writeAtomically(catalogFile, catalog);
  writeAtomically(rulesFile, rules);
  process.stderr.write(
    `build-policies: wrote policies/dist/deployment.wasm (${wasm.length} bytes) and catalog.json (${JSON.parse(catalog).length} rules)\n`,
  );
}

main();
