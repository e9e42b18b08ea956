#!/usr/bin/env node
"use strict";
// Compiles the Rego rules to WebAssembly and extracts their METADATA into a JSON catalog
// (rego.metadata is not available under WASM). Two bundles, each with its own entrypoint, rules
// and catalog; outputs are committed so users need neither Go nor opa:
//   policies/dist/deployment.wasm        entrypoint imgsec/main/results (policies/rules/**)
//   policies/dist/catalog.json           [{package, id, title, description, severity, level, controls, resource_types, inputs, peers, remediation}]
//   policies/RULES.md                    the deployment rules as a table, with the peer checks each covers
//   policies/dist/package.wasm           entrypoint imgsec/package/main/results (policies/package/rules/*)
//   policies/dist/package-catalog.json   the package rules' catalog, same shape
//   policies/package/RULES.md            the package rules as a table
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
const { join, relative } = require("node:path");

const ROOT = join(__dirname, "..");
const POLICIES = join(ROOT, "policies");
const DIST = join(POLICIES, "dist");
const OPA = process.env.OPA || join(ROOT, ".tools", "bin", "opa");
const SEVERITIES = ["critical", "high", "medium", "low"];

/**
 * The HIPAA packs users compare us with, by the prefix a rule's `custom.peers` entry carries: the
 * ids are the packs' own (cdk-nag rule ids as the HIPAA.Security pack reports them, AWS Config
 * managed rule names, Prowler check ids).
 */
const PEER_PACKS = {
  "cdk-nag": "cdk-nag's HIPAA Security pack (cdklabs/cdk-nag `src/packs/hipaa-security.ts`)",
  "aws-config":
    "AWS Config's Operational Best Practices for HIPAA Security conformance pack (awslabs/aws-config-rules)",
  prowler:
    "Prowler's HIPAA mapping (prowler-cloud/prowler `prowler/compliance/aws/hipaa_aws.json`)",
};

/**
 * Peer checks that can be judged on IaC for a resource type imgsec deploys, that no rule covers
 * (or covers only in part), and why. Rendered under the deployment rules table.
 */
const UNCOVERED_PEERS = [
  {
    peers: ["aws-config:cloudwatch-alarm-action-check"],
    partial: true,
    why: "Covered in part by IMGSEC-CW-003: the pack's defaults also require an INSUFFICIENT_DATA action; we require alarm actions only, as our security alarms treat missing data as not breaching.",
  },
  {
    peers: ["aws-config:s3-event-notifications-enabled"],
    why: "An operational choice, not a safeguard: buckets nothing consumes events from (the audit and log buckets) would fail for no security reason.",
  },
  {
    peers: [
      "aws-config:s3-bucket-policy-grantee-check",
      "aws-config:internet-gateway-authorized-vpc-only",
    ],
    why: "Judged against lists only the deploying organization knows (allowed principals, authorized VPCs); IMGSEC-S3-010 and IMGSEC-VPC-003 cover the public cases.",
  },
  {
    peers: [
      "aws-config:s3-account-level-public-access-blocks",
      "prowler:s3_account_level_public_access_blocks",
    ],
    why: "An account-wide setting, not a resource of the workload stack; IMGSEC-S3-004 accepts it in place of a bucket's own block when the stack declares it.",
  },
];

const PEER_ID = new RegExp(`^(${Object.keys(PEER_PACKS).join("|")}):[A-Za-z0-9._-]+$`);

/**
 * The bundles: `sources` are compiled (tests, docs and data ignored) with `entrypoint`; every Rego
 * package under `rulePrefix` is a rule and needs package METADATA.
 */
const BUNDLES = [
  {
    name: "deployment",
    entrypoint: "imgsec/main/results",
    sources: ["policies/main.rego", "policies/lib", "policies/rules"],
    rulePrefix: "data.imgsec.rules.",
    wasm: join(DIST, "deployment.wasm"),
    catalog: join(DIST, "catalog.json"),
    rules: join(POLICIES, "RULES.md"),
    heading: "# imgsec deployment rules",
    resourceColumn: true,
    ruleFile: (pkg) => pkg.replace(/^imgsec\.rules\./, "rules/").replace(/\./g, "/"),
  },
  {
    name: "package",
    entrypoint: "imgsec/package/main/results",
    sources: ["policies/package/main.rego", "policies/package/lib", "policies/package/rules"],
    rulePrefix: "data.imgsec.package.rules.",
    wasm: join(DIST, "package.wasm"),
    catalog: join(DIST, "package-catalog.json"),
    rules: join(POLICIES, "package", "RULES.md"),
    heading: "# imgsec package rules",
    intro:
      "Checked by `imgsec verify-package` on an AWS Encryption SDK message's header, body framing and signature, without decrypting. Thresholds and allow-lists: `policies/package/params.json`.",
    resourceColumn: false,
    ruleFile: (pkg) => pkg.replace(/^imgsec\.package\.rules\./, "rules/").replace(/\./g, "/"),
  },
];

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

function buildCatalog(inspected, bundle) {
  const citations = new Set(
    JSON.parse(
      readFileSync(join(ROOT, "compliance", "hipaa-security-rule.json"), "utf8"),
    ).security_rule.map((r) => r.citation),
  );
  const rulePackages = Object.keys(inspected.namespaces || {}).filter(
    (p) => p.startsWith(bundle.rulePrefix) && !p.endsWith("_test"),
  );
  const entries = [];
  for (const a of inspected.annotations || []) {
    const pkg = a.path.map((p) => p.value).join(".");
    if (a.annotations.scope !== "package" || !pkg.startsWith(bundle.rulePrefix)) continue;
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
      // The attributes a deployment rule's verdict depends on: each has a test with an unknown value.
      ...(bundle.resourceColumn ? { inputs: c.inputs || [] } : {}),
      // The checks of the HIPAA packs users compare us with that this rule covers.
      ...(bundle.resourceColumn ? { peers: c.peers || [] } : {}),
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
    if (entry.inputs && !entry.inputs.every((i) => typeof i === "string" && i !== ""))
      fail(`${where}: custom.inputs must be a list of attribute paths`);
    if (entry.peers && !entry.peers.every((p) => typeof p === "string" && PEER_ID.test(p)))
      fail(
        `${where}: custom.peers entries must look like cdk-nag:<id>, aws-config:<rule> or prowler:<check>`,
      );
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

/** Every bundle's WASM, catalog and rules table, built in a temporary folder. */
function build() {
  const work = mkdtempSync(join(tmpdir(), "imgsec-policies-"));
  try {
    opa(["check", "--strict", "policies"]);
    const caps = wasmCapabilities(work);
    const inspected = JSON.parse(opa(["inspect", "-a", "-f", "json", "policies"]));
    const ids = new Map();
    return BUNDLES.map((b) => {
      const catalog = buildCatalog(inspected, b);
      for (const e of catalog) {
        if (ids.has(e.id)) fail(`rule id ${e.id} is used by ${ids.get(e.id)} and ${e.package}`);
        ids.set(e.id, e.package);
      }
      return {
        bundle: b,
        wasm: compile(work, caps, b),
        catalog: JSON.stringify(catalog, null, 2) + "\n",
        rules: rulesMarkdown(catalog, b),
      };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One bundle compiled to WebAssembly (the policy.wasm inside opa's bundle). */
function compile(work, caps, b) {
  const dir = join(work, b.name);
  mkdirSync(dir);
  const bundle = join(dir, "bundle.tar.gz");
  opa([
    "build",
    "-t",
    "wasm",
    "-e",
    b.entrypoint,
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
    ...b.sources,
  ]);
  execFileSync("tar", ["-xzf", bundle, "-C", dir, "/policy.wasm"], { stdio: "pipe" });
  return readFileSync(join(dir, "policy.wasm"));
}

const code = (t) => "`" + t + "`";

/** A readable rules table for auditors and the README, generated from the catalog. */
function rulesMarkdown(catalog, b) {
  const rows = catalog.map(
    (r) =>
      `| ${r.id} | ${r.title} | ${r.severity}${r.level === "warning" ? " (warning)" : ""} | ${r.controls.join(", ")} |${b.resourceColumn ? ` ${r.resource_types.map(code).join(", ")} | ${r.inputs.map(code).join(", ")} | ${r.peers.map(code).join(", ")} |` : ""} \`${b.ruleFile(r.package)}.rego\` |`,
  );
  return [
    b.heading,
    "",
    "Generated by `npm run build:policies` from each rule's METADATA; do not edit. HIPAA citations are 45 CFR Part 164.",
    ...(b.intro ? ["", b.intro] : []),
    "",
    ...(b.resourceColumn
      ? [
          "A rule whose verdict depends on a value that is not known (a variable, a function result, a plan value known only after apply) reports UNKNOWN, never PASS. *Depends on* lists the attributes whose value decides the verdict.",
          "",
          "*Peers* lists the checks of the HIPAA packs users compare us with that the rule covers (it may be stricter than they are):",
          "",
          ...Object.entries(PEER_PACKS).map(([prefix, pack]) => `- \`${prefix}:\` ${pack}`),
          "",
        ]
      : []),
    b.resourceColumn
      ? "| id | title | severity | HIPAA controls | resource types | depends on | peers | file |"
      : "| id | title | severity | HIPAA controls | file |",
    b.resourceColumn ? "|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|",
    ...rows,
    ...(b.resourceColumn ? uncoveredPeers(catalog) : []),
    "",
  ].join("\n");
}

/** The peer checks judgeable on IaC for resource types we deploy that no rule covers, with why. */
function uncoveredPeers(catalog) {
  const covered = new Set(catalog.flatMap((r) => r.peers));
  for (const { peers, partial } of UNCOVERED_PEERS) {
    for (const p of peers) {
      if (!PEER_ID.test(p)) fail(`UNCOVERED_PEERS: ${p} is not a peer id`);
      if (covered.has(p) !== Boolean(partial))
        fail(
          `UNCOVERED_PEERS: ${p} ${partial ? "is covered in part but no rule lists it" : "is listed by a rule's custom.peers"}`,
        );
    }
  }
  return [
    "",
    "## Peer checks not covered",
    "",
    "Checks of those packs that can be judged on IaC for a resource type imgsec deploys and that no rule above covers in full. Not listed: checks of account settings, of IAM users and groups, and of services the stacks do not deploy (GuardDuty, Security Hub, AWS Config, RDS, EC2 instances...), and checks of runtime state (a key scheduled for deletion, a rotation that failed).",
    "",
    "| peer checks | why not covered |",
    "|---|---|",
    ...UNCOVERED_PEERS.map(({ peers, why }) => `| ${peers.map(code).join(", ")} | ${why} |`),
  ];
}

function writeAtomically(file, data) {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

const rel = (file) => relative(ROOT, file);

function main() {
  if (!existsSync(OPA))
    fail(`opa not found at ${OPA}: run scripts/setup-tools.sh (or set OPA=/path/to/opa)`);
  const check = process.argv.includes("--check");
  const built = build();
  if (check) {
    const stale = [];
    for (const { bundle: b, wasm, catalog, rules } of built) {
      if (!existsSync(b.wasm) || !readFileSync(b.wasm).equals(wasm)) stale.push(rel(b.wasm));
      if (!existsSync(b.catalog) || readFileSync(b.catalog, "utf8") !== catalog)
        stale.push(rel(b.catalog));
      if (!existsSync(b.rules) || readFileSync(b.rules, "utf8") !== rules) stale.push(rel(b.rules));
    }
    if (stale.length) {
      process.stderr.write(
        `build-policies: committed ${stale.join(", ")} stale: run npm run build:policies and commit\n`,
      );
      process.exit(1);
    }
    const counts = built.map((x) => `${JSON.parse(x.catalog).length} ${x.bundle.name} rules`);
    process.stderr.write(`build-policies: policies/dist is up to date (${counts.join(", ")})\n`);
    return;
  }
  mkdirSync(DIST, { recursive: true });
  for (const { bundle: b, wasm, catalog, rules } of built) {
    writeAtomically(b.wasm, wasm);
    writeAtomically(b.catalog, catalog);
    writeAtomically(b.rules, rules);
    process.stderr.write(
      `build-policies: wrote ${rel(b.wasm)} (${wasm.length} bytes), ${rel(b.catalog)} (${JSON.parse(catalog).length} rules) and ${rel(b.rules)}\n`,
    );
  }
}

main();
