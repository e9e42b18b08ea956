"use strict";
// Benchmark: `imgsec check` against Checkov (issue 13), side by side on the same input, as users run
// them:
//
//   (a) imgsec check <hcl folder> --format json      vs  (b) checkov -d <hcl folder> --framework terraform
//   (c) imgsec check plan.json --format json         vs  (d) checkov -f plan.json --framework terraform_plan
//
// The input (bench/gen-hcl.js, cached under .tools/bench-cache/checkov/) is one configuration of
// 500+ resources across 20 local modules, in HCL and as the `terraform show -json` plan of the same
// configuration. Checkov runs offline with the flags and environment below (CHECKOV_ENV), and
// one run of each Checkov command under strace checks that it attempts no network connection.
//
// Timed by hyperfine in one session, the four commands alternating (a b c d a b c d ...), one run
// each per round, after one untimed run of each whose output is kept for the findings comparison
// (and which warms the page cache and Python's bytecode cache). Peak RSS from GNU time in separate
// runs. Everything imgsec runs from a private copy of the build (see snapshotApp).
//
// Findings: for pairs of a Checkov check and an imgsec rule that judge the same thing on the same
// resources (PAIRS below), each resource's verdict from both tools, and what the configuration
// says (the generator's evaluated values: `expected`). Every difference is listed with its reason:
// a stated difference between the two checks' questions, a resource one tool did not judge, or a
// wrong verdict (against the configuration) of one tool. The whole comparison is also written to
// bench/out/checkov-findings.json.
//
// Needs `npm run build`, hyperfine, GNU time (/usr/bin/time), Python 3 (scripts/setup-checkov.sh
// installs the pinned Checkov into .tools/checkov; run here first, quick once installed).
//   BENCH_RUNS=3   timed rounds (at least 3)
const { spawnSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} = require("node:fs");
const { loadavg, tmpdir } = require("node:os");
const { join, relative } = require("node:path");
const { median, mib, writeSection, machine, ROOT } = require("./lib");
const { estateData } = require("./gen-hcl");

const RUNS = Math.max(3, Number(process.env.BENCH_RUNS || 3));
const NODE = process.execPath;
const CHECKOV = join(ROOT, ".tools", "checkov", "bin", "checkov");
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
// Offline and quiet: no platform mappings or policy downloads (BC_SKIP_MAPPING, --skip-download),
// no version check against PyPI (CKV_SKIP_PACKAGE_UPDATE_CHECK, which otherwise runs at import and
// is cached for an hour per user), no colour codes.
const CHECKOV_ENV = {
  BC_SKIP_MAPPING: "TRUE",
  CKV_SKIP_PACKAGE_UPDATE_CHECK: "TRUE",
  ANSI_COLORS_DISABLED: "1",
};
const CHECKOV_FLAGS = ["-o", "json", "--compact", "--skip-download"];
let APP = ROOT;
const NOT_COPIED = new Set([
  "node_modules",
  ".git",
  ".tools",
  ".imgsec",
  ".fuzz",
  "coverage",
  "packages",
  "report",
  "deid-out",
  "bench/out",
]);

const fmt = (x, d = 2) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(d) : "—");
const q = (s) => (/^[A-Za-z0-9_./:=@,+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
const line = (argv) => argv.map(q).join(" ");
const load = () => loadavg()[0].toFixed(2);
/** "module.a.aws_x.b[\"k\"]" -> "module.a.aws_x.b" */
const configAddress = (a) => a.replace(/\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]/g, "");

// ---- tools --------------------------------------------------------------------------------------

function checkTools() {
  const hf = spawnSync("hyperfine", ["--version"], { encoding: "utf8" });
  if (hf.status !== 0)
    throw new Error("bench/checkov.js needs hyperfine (apt-get install hyperfine)");
  if (!TIME)
    throw new Error("bench/checkov.js needs GNU time (/usr/bin/time; apt-get install time)");
  if (!existsSync(join(ROOT, "dist", "cli", "main.js")))
    throw new Error("bench/checkov.js needs the build: npm run build");
  // Quick when Checkov is installed at the pinned version; installs it otherwise.
  const setup = spawnSync("bash", [join(ROOT, "scripts", "setup-checkov.sh")], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (setup.status !== 0) throw new Error("scripts/setup-checkov.sh failed");
  const v = spawnSync(CHECKOV, ["--version"], {
    encoding: "utf8",
    env: { ...process.env, ...CHECKOV_ENV },
  });
  if (v.status !== 0) throw new Error(`checkov --version failed: ${v.stderr.slice(0, 300)}`);
  return { hyperfine: hf.stdout.trim().replace(/^hyperfine /, ""), checkov: v.stdout.trim() };
}

function buildStamp(dir) {
  const f = join(dir, "dist", ".tsbuildinfo");
  if (!existsSync(join(dir, "dist", "cli", "main.js")) || !existsSync(f)) return undefined;
  return createHash("sha256").update(readFileSync(f)).digest("hex");
}

/**
 * A private copy of the built project for imgsec to run from (as bench/report.js does): another
 * engineer's rebuild of dist/ during the run would otherwise change, or break, what is measured.
 */
function snapshotApp(work) {
  const app = join(work, "app");
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = buildStamp(ROOT);
    if (before) {
      rmSync(app, { recursive: true, force: true });
      cpSync(ROOT, app, {
        recursive: true,
        filter: (src) => !NOT_COPIED.has(relative(ROOT, src)),
      });
      symlinkSync(join(ROOT, "node_modules"), join(app, "node_modules"));
      if (buildStamp(ROOT) === before && buildStamp(app) === before) return app;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
  }
  throw new Error("dist/ kept changing (another build): no consistent copy of the build");
}

// ---- the commands -------------------------------------------------------------------------------

function commands(data) {
  const imgsec = (path) => [NODE, join(APP, "bin", "imgsec.js"), "check", path, "--format", "json"];
  return {
    imgsecHcl: { name: "(a) imgsec check <hcl>", argv: imgsec(data.hcl), tool: "imgsec" },
    checkovHcl: {
      name: "(b) checkov -d <hcl> --framework terraform",
      argv: [CHECKOV, "-d", data.hcl, "--framework", "terraform", ...CHECKOV_FLAGS],
      tool: "checkov",
    },
    imgsecPlan: { name: "(c) imgsec check plan.json", argv: imgsec(data.plan), tool: "imgsec" },
    checkovPlan: {
      name: "(d) checkov -f plan.json --framework terraform_plan",
      argv: [CHECKOV, "-f", data.plan, "--framework", "terraform_plan", ...CHECKOV_FLAGS],
      tool: "checkov",
    },
  };
}
const ORDER = ["imgsecHcl", "checkovHcl", "imgsecPlan", "checkovPlan"];

function run(argv, opts = {}) {
  return spawnSync(argv[0], argv.slice(1), {
    cwd: APP,
    encoding: "utf8",
    maxBuffer: 1 << 30,
    env: { ...process.env, ...CHECKOV_ENV },
    ...opts,
  });
}

/** One untimed run of each command: its exit code and parsed JSON output, checked for sense. */
function checkedRuns(cmds) {
  const out = {};
  for (const k of ORDER) {
    const c = cmds[k];
    const r = run(c.argv);
    if (r.status !== 0 && r.status !== 1)
      throw new Error(
        `${c.name}: exit ${r.status}: ${r.stderr.trim().split("\n").slice(-3).join(" / ")}`,
      );
    let doc;
    try {
      doc = JSON.parse(r.stdout);
    } catch (e) {
      throw new Error(`${c.name}: its output is not JSON: ${e.message}`);
    }
    const reports = Array.isArray(doc) ? doc : [doc];
    if (c.tool === "checkov") {
      const s = reports[0] && reports[0].summary;
      if (!s) throw new Error(`${c.name}: no summary in its JSON`);
      if (s.parsing_errors) throw new Error(`${c.name}: ${s.parsing_errors} parsing errors`);
    } else if (!Array.isArray(doc.results)) throw new Error(`${c.name}: no results in its JSON`);
    out[k] = { status: r.status, doc: reports, stderr: r.stderr };
  }
  return out;
}

/** Runs each Checkov command once under strace with no route out (a dead proxy): any network
 * attempt shows as a connect() of an inet socket. Returns {checked, connects: [lines]}. */
function networkCheck(cmds, work) {
  if (spawnSync("strace", ["-V"]).status !== 0) return { checked: false, connects: [] };
  const connects = [];
  for (const k of ["checkovHcl", "checkovPlan"]) {
    const log = join(work, `strace-${k}.txt`);
    const r = run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", log, ...cmds[k].argv], {
      env: {
        ...process.env,
        ...CHECKOV_ENV,
        HTTPS_PROXY: "http://127.0.0.1:9",
        HTTP_PROXY: "http://127.0.0.1:9",
      },
    });
    if (r.status !== 0 && r.status !== 1)
      throw new Error(`strace ${cmds[k].name}: exit ${r.status}`);
    for (const l of readFileSync(log, "utf8").split("\n"))
      if (/connect\(.*sa_family=AF_INET6?\b/.test(l)) connects.push(`${k}: ${l.trim()}`);
  }
  return { checked: true, connects };
}

/** RUNS rounds of the four commands in one hyperfine session; per command its times and CPU. */
function hyperfine(cmds, work, codes) {
  const json = join(work, "hyperfine.json");
  const entries = [];
  for (let r = 0; r < RUNS; r++) entries.push(...ORDER);
  const args = ["-N", "--style", "basic", "--warmup", "0", "--runs", "1", "-i"];
  args.push("--export-json", json);
  for (const k of entries) args.push("-n", cmds[k].name, line(cmds[k].argv));
  const r = spawnSync("hyperfine", args, {
    cwd: APP,
    encoding: "utf8",
    env: { ...process.env, ...CHECKOV_ENV },
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stderr.write(r.stdout);
  if (r.status !== 0) throw new Error(`hyperfine failed (${r.status})`);
  const results = JSON.parse(readFileSync(json, "utf8")).results;
  const out = Object.fromEntries(ORDER.map((k) => [k, { times: [], cpu: [] }]));
  results.forEach((x, i) => {
    const k = entries[i];
    for (const code of x.exit_codes || [])
      if (code !== codes[k])
        throw new Error(`${cmds[k].name} exited ${code} under hyperfine, ${codes[k]} when checked`);
    out[k].times.push(...x.times);
    out[k].cpu.push(x.user + x.system);
  });
  for (const k of ORDER) {
    const t = out[k].times;
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    const sd = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / (t.length - 1));
    Object.assign(out[k], {
      mean,
      stddev: sd,
      median: median(t),
      min: Math.min(...t),
      cpuMean: out[k].cpu.reduce((a, b) => a + b, 0) / out[k].cpu.length,
    });
  }
  return out;
}

/** Peak RSS (bytes) of one run under GNU time: the largest single process (Checkov's worker
 * processes, where it forks any, are counted apart, not summed). */
function peakRss(argv) {
  const r = run([TIME, "-f", "%M", ...argv]);
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv[1]}: exit ${r.status}`);
  return Number(r.stderr.trim().split("\n").pop()) * 1024;
}

/** The resources imgsec's rules read from a path (`imgsec normalize`, untimed), by address. */
function imgsecResources(path) {
  const r = run([NODE, join(APP, "bin", "imgsec.js"), "normalize", path]);
  if (r.status !== 0)
    throw new Error(`imgsec normalize: exit ${r.status}: ${r.stderr.slice(0, 300)}`);
  const resources = {};
  for (const l of r.stdout.split("\n").filter(Boolean))
    Object.assign(resources, JSON.parse(l).resources);
  return resources;
}

// ---- the configuration, as the generator evaluated it -------------------------------------------

/** Every resource's planned values, and the relations the expectations below need. */
function configurationFacts(planFile) {
  const plan = JSON.parse(readFileSync(planFile, "utf8"));
  const resources = [];
  const walk = (m) => {
    for (const r of m.resources || []) resources.push(r);
    for (const c of m.child_modules || []) walk(c);
  };
  walk(plan.planned_values.root_module);
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const ofType = (t) => resources.filter((r) => r.type === t);
  /** Resources of `type` whose `attr` names the value `v` (a bucket name, a VPC id). */
  const naming = (type, attr, v) => ofType(type).filter((r) => r.values[attr] === v);
  // Each resource block's expressions in the configuration, by config address.
  const expressions = new Map();
  const walkConfig = (m, prefix) => {
    for (const r of m.resources || [])
      expressions.set(`${prefix}${r.address}`, r.expressions || {});
    for (const [name, c] of Object.entries(m.module_calls || {}))
      walkConfig(c.module || {}, `${prefix}module.${name}.`);
  };
  walkConfig(plan.configuration.root_module, "");
  /** Is `attr` null in the planned values but written as an expression with references (a
   * variable that defaults to null, a conditional that chose null)? */
  const nullExpression = (r, attr) =>
    (r.values[attr] === undefined || r.values[attr] === null) &&
    Boolean(expressions.get(configAddress(r.address))?.[attr]?.references);
  const logTargets = new Set([
    ...ofType("aws_s3_bucket_logging").map((r) => r.values.target_bucket),
    ...ofType("aws_s3_bucket").flatMap((r) => (r.values.logging || []).map((l) => l.target_bucket)),
  ]);
  return { resources, byAddress, ofType, naming, logTargets, nullExpression };
}

const first = (x) => (Array.isArray(x) ? x[0] : x) || {};
const policy = (s) => (typeof s === "string" ? JSON.parse(s) : s || {});
const list = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

function bucketAlgorithm(b, f) {
  const sse = f.naming(
    "aws_s3_bucket_server_side_encryption_configuration",
    "bucket",
    b.values.bucket,
  )[0];
  const cfg = sse ? sse.values : first(b.values.server_side_encryption_configuration);
  return first(first(cfg.rule).apply_server_side_encryption_by_default).sse_algorithm;
}

// ---- the pairs ----------------------------------------------------------------------------------
// Each pair: Checkov check ids (a resource fails when any fails), an imgsec rule, the resource types
// both report on, the question both answer, `expected` (what imgsec's rule should say, from the
// configuration: true for PASS), `differs` (a stated difference between the two checks' questions
// on a resource, explained), `attr` (the attribute that decides, where a null written as an
// expression is a known misreading of Checkov's), `checkovMisreads` (the cause, found when this
// benchmark was written against the pinned Checkov, of Checkov's wrong verdicts here, by form) and
// `related` (the resource type, its attribute naming this resource and the attribute it names it
// by, where the verdict rests on separate resources).

const PAIRS = [
  {
    checkov: ["CKV_AWS_19", "CKV_AWS_145"],
    rule: "IMGSEC-S3-001",
    related: ["aws_s3_bucket_server_side_encryption_configuration", "bucket", "bucket"],
    types: ["aws_s3_bucket"],
    question: "default encryption is SSE-KMS",
    expected: (b, f) =>
      bucketAlgorithm(b, f) === "aws:kms" ||
      (bucketAlgorithm(b, f) === "AES256" && f.logTargets.has(b.values.bucket)),
    differs: (b, f) =>
      f.logTargets.has(b.values.bucket) && bucketAlgorithm(b, f) === "AES256"
        ? "the access-log target: AWS delivers no server access logs to an SSE-KMS bucket, so imgsec accepts SSE-S3 there; CKV_AWS_145 asks for KMS on every bucket"
        : undefined,
  },
  {
    checkov: ["CKV_AWS_21"],
    rule: "IMGSEC-S3-003",
    related: ["aws_s3_bucket_versioning", "bucket", "bucket"],
    checkovMisreads: {
      hcl: "it does not evaluate the inline block's `enabled = (count.index % 3) != 0`",
    },
    types: ["aws_s3_bucket"],
    question: "versioning is enabled",
    expected: (b, f) => {
      const v = f.naming("aws_s3_bucket_versioning", "bucket", b.values.bucket)[0];
      return v
        ? first(v.values.versioning_configuration).status === "Enabled"
        : first(b.values.versioning).enabled === true;
    },
  },
  {
    checkov: ["CKV_AWS_18"],
    rule: "IMGSEC-S3-007",
    related: ["aws_s3_bucket_logging", "bucket", "bucket"],
    checkovMisreads: {
      hcl: (b) =>
        b.values.logging !== undefined
          ? 'it counts an inline `dynamic "logging"` block as logging even where it has no instance'
          : "it does not expand the for_each of aws_s3_bucket_logging over a `for` expression (`local.logged`), so it links no logging resource to a bucket instance",
      plan: "it counts an empty inline `logging` list (a dynamic block with no instance) as logging",
    },
    types: ["aws_s3_bucket"],
    question: "server access logging is on",
    expected: (b, f) =>
      f.naming("aws_s3_bucket_logging", "bucket", b.values.bucket).length > 0 ||
      list(b.values.logging).length > 0 ||
      f.logTargets.has(b.values.bucket),
    differs: (b, f) =>
      f.logTargets.has(b.values.bucket)
        ? "the access-log target itself: logging it would log into itself or into yet another bucket; imgsec exempts log targets, CKV_AWS_18 does not"
        : undefined,
  },
  {
    checkov: ["CKV2_AWS_6"],
    rule: "IMGSEC-S3-004",
    related: ["aws_s3_bucket_public_access_block", "bucket", "bucket"],
    types: ["aws_s3_bucket"],
    question: "a public access block with all four flags",
    expected: (b, f) => {
      const p = f.naming("aws_s3_bucket_public_access_block", "bucket", b.values.bucket)[0];
      return Boolean(
        p &&
          [
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
          ].every((k) => p.values[k] === true),
      );
    },
  },
  {
    checkov: ["CKV2_AWS_61"],
    rule: "IMGSEC-S3-008",
    related: ["aws_s3_bucket_lifecycle_configuration", "bucket", "bucket"],
    checkovMisreads: {
      hcl: "it does not expand the for_each of aws_s3_bucket_lifecycle_configuration over a `for` expression (`local.expiring`), so it links no lifecycle resource to a bucket instance",
    },
    types: ["aws_s3_bucket"],
    question: "a lifecycle configuration (imgsec: one that expires objects)",
    expected: (b, f) =>
      f
        .naming("aws_s3_bucket_lifecycle_configuration", "bucket", b.values.bucket)
        .some((l) =>
          list(l.values.rule).some((r) => r.status === "Enabled" && first(r.expiration).days > 0),
        ) || list(b.values.lifecycle_rule).some((r) => r.enabled && first(r.expiration).days > 0),
  },
  {
    checkov: ["CKV_AWS_7"],
    rule: "IMGSEC-KMS-001",
    types: ["aws_kms_key"],
    question: "key rotation is enabled",
    expected: (k) => k.values.enable_key_rotation === true,
  },
  {
    checkov: ["CKV_AWS_33"],
    rule: "IMGSEC-KMS-004",
    checkovMisreads: {
      hcl: "it does not evaluate the key policy's `concat(..., var.allow_everyone_decrypt ? [...] : [])`",
    },
    types: ["aws_kms_key"],
    question: "no unconditioned * principal in the key policy",
    expected: (k) =>
      !policy(k.values.policy).Statement.some(
        (s) =>
          s.Effect === "Allow" &&
          (s.Principal === "*" || first(s.Principal).AWS === "*") &&
          !s.Condition,
      ),
  },
  {
    checkov: ["CKV_AWS_67"],
    rule: "IMGSEC-CT-001",
    types: ["aws_cloudtrail"],
    question: "the trail records every region",
    expected: (t) => t.values.is_multi_region_trail === true,
  },
  {
    checkov: ["CKV_AWS_36"],
    rule: "IMGSEC-CT-002",
    types: ["aws_cloudtrail"],
    question: "log file validation is enabled",
    expected: (t) => t.values.enable_log_file_validation === true,
  },
  {
    checkov: ["CKV_AWS_35"],
    rule: "IMGSEC-CT-003",
    attr: "kms_key_id",
    types: ["aws_cloudtrail"],
    question: "the trail's logs are encrypted with a KMS key",
    expected: (t) => Boolean(t.values.kms_key_id),
  },
  {
    checkov: ["CKV2_AWS_10"],
    rule: "IMGSEC-CT-004",
    types: ["aws_cloudtrail"],
    question: "the trail delivers to CloudWatch Logs",
    expected: (t) =>
      Boolean(t.values.cloud_watch_logs_group_arn && t.values.cloud_watch_logs_role_arn),
  },
  {
    checkov: ["CKV_AWS_158"],
    rule: "IMGSEC-CW-001",
    attr: "kms_key_id",
    types: ["aws_cloudwatch_log_group"],
    question: "the log group is encrypted with a KMS key",
    expected: (g) => Boolean(g.values.kms_key_id),
  },
  {
    checkov: ["CKV_AWS_338"],
    rule: "IMGSEC-CW-002",
    types: ["aws_cloudwatch_log_group"],
    question: "logs are kept at least a year",
    expected: (g) => !g.values.retention_in_days || g.values.retention_in_days >= 365,
    differs: (g) =>
      !g.values.retention_in_days
        ? "retention 0 (or unset) means logs never expire: imgsec passes it; CKV_AWS_338 asks for a number of at least 365"
        : undefined,
  },
  {
    checkov: ["CKV_AWS_27", "CKV2_AWS_73"],
    rule: "IMGSEC-SQS-001",
    attr: "kms_master_key_id",
    types: ["aws_sqs_queue"],
    question: "messages are encrypted (imgsec: with a customer managed key)",
    expected: (qu) =>
      Boolean(qu.values.kms_master_key_id) && !/^alias\/aws\//.test(qu.values.kms_master_key_id),
    differs: (qu) =>
      !qu.values.kms_master_key_id && qu.values.sqs_managed_sse_enabled === true
        ? "SQS-managed encryption (SSE-SQS): encrypted, so CKV_AWS_27 passes, but not with a customer managed key, which imgsec requires (HIPAA key control)"
        : undefined,
  },
  {
    checkov: ["CKV_AWS_26"],
    rule: "IMGSEC-SNS-001",
    attr: "kms_master_key_id",
    types: ["aws_sns_topic"],
    question: "the topic is encrypted with KMS",
    expected: (t) => Boolean(t.values.kms_master_key_id),
  },
  {
    checkov: ["CKV_AWS_173"],
    rule: "IMGSEC-LMB-004",
    attr: "kms_key_arn",
    types: ["aws_lambda_function"],
    question: "environment variables are encrypted with a KMS key",
    expected: (fn) =>
      Object.keys(first(fn.values.environment).variables || {}).length === 0 ||
      Boolean(fn.values.kms_key_arn),
  },
  {
    checkov: ["CKV_AWS_50"],
    rule: "IMGSEC-LMB-003",
    types: ["aws_lambda_function"],
    question: "X-Ray tracing is active",
    expected: (fn) => first(fn.values.tracing_config).mode === "Active",
    differs: (fn) =>
      first(fn.values.tracing_config).mode === "PassThrough"
        ? "tracing mode PassThrough: CKV_AWS_50 accepts it, but it traces only requests already sampled upstream; imgsec asks for Active"
        : undefined,
  },
  {
    checkov: ["CKV_AWS_115"],
    rule: "IMGSEC-LMB-002",
    types: ["aws_lambda_function"],
    question: "reserved concurrency is set",
    expected: (fn) =>
      typeof fn.values.reserved_concurrent_executions === "number" &&
      fn.values.reserved_concurrent_executions >= 0,
    checkovMisreads: {
      hcl: 'CKV_AWS_115 forbids -1 only as the string "${-1}": -1 (unreserved) from a variable passes',
      plan: 'CKV_AWS_115 forbids -1 only as the string "${-1}": the number -1 (unreserved) passes',
    },
  },
  {
    checkov: ["CKV_AWS_116"],
    rule: "IMGSEC-LMB-001",
    checkovMisreads: {
      hcl: 'it counts a `dynamic "dead_letter_config"` block over a conditional as configured, even where it has no instance',
    },
    types: ["aws_lambda_function"],
    question: "failed events are kept (dead-letter queue; imgsec: or an on-failure destination)",
    expected: (fn, f) =>
      list(fn.values.dead_letter_config).length > 0 ||
      f
        .naming("aws_lambda_function_event_invoke_config", "function_name", fn.values.function_name)
        .some((c) => first(first(c.values.destination_config).on_failure).destination),
  },
  {
    checkov: ["CKV_AWS_363"],
    rule: "IMGSEC-LMB-007",
    checkovMisreads: {
      hcl: "python3.8 is not in CKV_AWS_363's fixed list of deprecated runtimes",
      plan: "python3.8 is not in CKV_AWS_363's fixed list of deprecated runtimes",
    },
    types: ["aws_lambda_function"],
    question: "the runtime is not deprecated",
    expected: (fn) =>
      !["python3.8", "python3.7", "nodejs16.x", "nodejs14.x", "java8", "go1.x"].includes(
        fn.values.runtime,
      ),
  },
  {
    checkov: ["CKV_AWS_258"],
    rule: "IMGSEC-LMB-008",
    types: ["aws_lambda_function_url"],
    question: "the function URL requires IAM authentication",
    expected: (u) => u.values.authorization_type === "AWS_IAM",
  },
  {
    checkov: ["CKV_AWS_301"],
    rule: "IMGSEC-LMB-005",
    types: ["aws_lambda_permission"],
    question: "the permission does not let everyone invoke",
    expected: (p) => p.values.principal !== "*",
  },
  {
    checkov: ["CKV_AWS_149"],
    rule: "IMGSEC-SM-001",
    attr: "kms_key_id",
    types: ["aws_secretsmanager_secret"],
    question: "the secret is encrypted with a customer managed key",
    expected: (s) => Boolean(s.values.kms_key_id),
  },
  {
    checkov: ["CKV2_AWS_57"],
    rule: "IMGSEC-SM-002",
    related: ["aws_secretsmanager_secret_rotation", "secret_id", "id"],
    types: ["aws_secretsmanager_secret"],
    question: "the secret rotates automatically",
    expected: (s, f) =>
      f.naming("aws_secretsmanager_secret_rotation", "secret_id", s.values.id).length > 0,
  },
  {
    checkov: ["CKV2_AWS_11"],
    rule: "IMGSEC-VPC-001",
    related: ["aws_flow_log", "vpc_id", "id"],
    checkovMisreads: {
      hcl: "it does not evaluate the flow log's `count = var.flow_logs ? 1 : 0`",
    },
    types: ["aws_vpc"],
    question: "the VPC has flow logs",
    expected: (vp, f) => f.naming("aws_flow_log", "vpc_id", vp.values.id).length > 0,
  },
  {
    checkov: ["CKV2_AWS_12"],
    rule: "IMGSEC-VPC-002",
    types: ["aws_vpc"],
    question: "the default security group allows no traffic",
    expected: (vp, f) =>
      f
        .naming("aws_default_security_group", "vpc_id", vp.values.id)
        .every((g) => !list(g.values.ingress).length && !list(g.values.egress).length),
  },
  {
    checkov: ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"],
    rule: "IMGSEC-VPC-003",
    types: ["aws_security_group", "aws_vpc_security_group_ingress_rule"],
    question: "no ingress from the whole internet",
    expected: (g) =>
      !(
        g.values.cidr_ipv4 === "0.0.0.0/0" ||
        list(g.values.ingress).some((i) => list(i.cidr_blocks).includes("0.0.0.0/0"))
      ),
    differs: (g) => {
      const ports = [g.values.from_port, ...list(g.values.ingress).map((i) => i.from_port)];
      return g.values.cidr_ipv4 === "0.0.0.0/0" &&
        !ports.some((p) => [22, 3389, 80, 0, -1].includes(p))
        ? `port ${g.values.from_port} open to 0.0.0.0/0: Checkov's checks name ports 22, 3389, 80 and all ports; imgsec refuses any ingress from the whole internet`
        : undefined;
    },
  },
  {
    checkov: ["CKV_AWS_285"],
    rule: "IMGSEC-SFN-001",
    types: ["aws_sfn_state_machine"],
    question: "execution history is logged (imgsec: all events, without execution data)",
    expected: (m) => {
      const l = first(m.values.logging_configuration);
      return l.level === "ALL" && l.include_execution_data === false && Boolean(l.log_destination);
    },
    // CKV_AWS_285 passes only with include_execution_data = true: the opposite of imgsec's rule.
    differs: (m) =>
      first(m.values.logging_configuration).include_execution_data
        ? "execution data in the logs: CKV_AWS_285 asks for it (include_execution_data = true), imgsec refuses it (it may hold PHI)"
        : "no execution data in the logs: imgsec asks for this (execution data may hold PHI), CKV_AWS_285 fails it (it asks for include_execution_data = true)",
  },
  {
    checkov: ["CKV_AWS_284"],
    rule: "IMGSEC-SFN-002",
    types: ["aws_sfn_state_machine"],
    question: "X-Ray tracing is enabled",
    expected: (m) => first(m.values.tracing_configuration).enabled === true,
  },
  {
    checkov: ["CKV_AWS_62"],
    rule: "IMGSEC-IAM-001",
    checkovMisreads: {
      hcl: "it does not evaluate a policy built with a `for` expression inside `jsonencode`",
    },
    types: ["aws_iam_policy", "aws_iam_role_policy"],
    question: 'no "*" action on "*" resource',
    expected: (p) =>
      !list(policy(p.values.policy).Statement).some(
        (s) =>
          s.Effect === "Allow" && list(s.Action).includes("*") && list(s.Resource).includes("*"),
      ),
  },
  {
    checkov: ["CKV_AWS_60"],
    rule: "IMGSEC-IAM-003",
    checkovMisreads: {
      hcl: "it does not evaluate a trust policy whose Principal is `each.value.principal`",
    },
    types: ["aws_iam_role"],
    question: "the trust policy does not let everyone assume the role",
    expected: (r) =>
      !list(policy(r.values.assume_role_policy).Statement).some(
        (s) =>
          s.Effect === "Allow" &&
          (s.Principal === "*" || list(first(s.Principal).AWS).includes("*")) &&
          !s.Condition,
      ),
  },
];

// ---- comparing ----------------------------------------------------------------------------------

/** Checkov's verdicts: check id -> resource address -> "PASS" | "FAIL". */
function checkovVerdicts(reports) {
  const out = new Map();
  for (const rep of reports)
    for (const [key, status] of [
      ["passed_checks", "PASS"],
      ["failed_checks", "FAIL"],
    ])
      for (const c of rep.results[key] || []) {
        if (!out.has(c.check_id)) out.set(c.check_id, new Map());
        const m = out.get(c.check_id);
        // One resource, several verdicts (a graph check from several sides): a FAIL wins.
        if (m.get(c.resource) !== "FAIL") m.set(c.resource, status);
      }
  return out;
}

/** imgsec's verdicts: rule -> resource address -> status. */
function imgsecVerdicts(doc) {
  const out = new Map();
  for (const r of doc.results) {
    if (!out.has(r.rule)) out.set(r.rule, new Map());
    out.get(r.rule).set(r.resource, r.status);
  }
  return out;
}

const isFail = (s) => s === "FAIL";

/** Why Checkov's verdict on `r` is not the configuration's, where the cause is known. */
function checkovCause(p, r, facts, form) {
  if (p.attr && facts.nullExpression(r, p.attr))
    return `\`${p.attr}\` is null here, written as an expression (a variable that defaults to null, a conditional that chose null), and Checkov reads the expression as a value${form === "plan" ? " (its plan reader fills a null attribute with the expression's first reference)" : ""}`;
  const note = p.checkovMisreads?.[form];
  return typeof note === "function" ? note(r, facts) : note;
}

/** Why imgsec's verdict on `r` is not the configuration's, where the normalized document shows it:
 * more related resources than the configuration has (a reference to one instance of a block
 * taken as a reference to all of them). */
function imgsecCause(p, r, facts, normalized) {
  if (!p.related || !normalized) return undefined;
  const [type, attr, key] = p.related;
  const linked = normalized[r.address]?.referenced_by?.[type]?.[attr] ?? [];
  const actual = facts.naming(type, attr, r.values[key]).length;
  return linked.length > actual
    ? `its normalized document relates ${linked.length} ${type} to this resource (by \`${attr}\`), where the configuration has ${actual}: a reference to one instance of a block is taken as a reference to every instance`
    : undefined;
}

/** One form ("hcl" or "plan"): per pair, every resource's verdicts and the differences. */
function compare(facts, checkovReports, imgsecDoc, form, normalized) {
  const ck = checkovVerdicts(checkovReports);
  const im = imgsecVerdicts(imgsecDoc);
  return PAIRS.map((p) => {
    const rows = p.types.flatMap((t) => facts.ofType(t));
    const stats = {
      resources: rows.length,
      expectedFail: 0,
      imgsec: { FAIL: 0, PASS: 0, UNKNOWN: 0, other: 0, none: 0 },
      checkov: { FAIL: 0, PASS: 0, none: 0 },
      checkovFailImgsecNot: 0,
      imgsecFailCheckovNot: 0,
      imgsecWrong: 0,
      checkovWrong: 0,
      // A finding both check that Checkov reports rightly and imgsec does not (PASS or no verdict).
      lost: 0,
      imgsecFalsePass: 0,
      imgsecFalseFail: 0,
    };
    const differences = [];
    for (const r of rows) {
      const expected = p.expected(r, facts) ? "PASS" : "FAIL";
      if (expected === "FAIL") stats.expectedFail++;
      const ours = im.get(p.rule)?.get(r.address);
      const theirs = p.checkov
        .map((id) => ck.get(id)?.get(r.address))
        .reduce((a, x) => (a === "FAIL" || x === "FAIL" ? "FAIL" : a || x), undefined);
      stats.imgsec[ours === undefined ? "none" : ours in stats.imgsec ? ours : "other"]++;
      stats.checkov[theirs ?? "none"]++;
      const ckFail = isFail(theirs);
      const imFail = isFail(ours);
      const stated = p.differs ? p.differs(r, facts) : undefined;
      // Against the configuration. UNKNOWN is not a verdict: never counted wrong (it fails the
      // gate, closed), and listed. A stated difference is Checkov answering its own question.
      const imWrong =
        ours === undefined || (ours !== "UNKNOWN" && (imFail ? "FAIL" : "PASS") !== expected);
      const ckWrong = !stated && (theirs === undefined || (ckFail ? "FAIL" : "PASS") !== expected);
      if (ckFail && !imFail) stats.checkovFailImgsecNot++;
      if (imFail && !ckFail) stats.imgsecFailCheckovNot++;
      if (imWrong) stats.imgsecWrong++;
      if (ckFail && !stated && expected === "FAIL" && !imFail && ours !== "UNKNOWN") stats.lost++;
      if (imWrong && expected === "FAIL" && ours !== undefined) stats.imgsecFalsePass++;
      if (imWrong && expected === "PASS" && ours !== undefined) stats.imgsecFalseFail++;
      if (ckWrong) stats.checkovWrong++;
      if (ckFail === imFail && !imWrong && !ckWrong && ours !== "UNKNOWN") continue;
      const why = [];
      if (stated) why.push(`stated difference: ${stated}`);
      if (theirs === undefined) {
        const unexpanded =
          configAddress(r.address) !== r.address &&
          p.checkov.some((id) => ck.get(id)?.has(configAddress(r.address)));
        why.push(
          unexpanded
            ? "Checkov did not expand this block's for_each or count: it reports the block once, without instance keys"
            : "Checkov did not judge this resource",
        );
      } else if (ckWrong) {
        const cause = checkovCause(p, r, facts, form);
        why.push(
          `Checkov is wrong (the configuration says ${expected})${cause ? `: ${cause}` : ""}`,
        );
      }
      if (ours === undefined) why.push("imgsec did not judge this resource");
      else if (ours === "UNKNOWN")
        why.push(`imgsec could not know (UNKNOWN); the configuration says ${expected}`);
      else if (imWrong) {
        const cause = imgsecCause(p, r, facts, normalized);
        why.push(
          `**imgsec is wrong** (the configuration says ${expected})${cause ? `: ${cause}` : ""}`,
        );
      }
      differences.push({
        resource: r.address,
        checkov: theirs ?? "—",
        imgsec: ours ?? "—",
        expected,
        why: why.join("; "),
      });
    }
    return { ...p, stats, differences };
  });
}

// ---- main ---------------------------------------------------------------------------------------

function main() {
  const versions = checkTools();
  const work = mkdtempSync(join(tmpdir(), "imgsec-bench-checkov-"));
  try {
    APP = snapshotApp(work);
    const data = estateData();
    const m = data.meta;
    process.stderr.write(
      `checkov: data ${relative(ROOT, data.dir)}: ${m.resources} resources, ${m.modules} modules (${m.moduleCalls} calls), ${m.files} files\n`,
    );
    const loadBefore = load();
    const cmds = commands(data);
    process.stderr.write("checkov: one checked run of each command\n");
    const checked = checkedRuns(cmds);
    const codes = Object.fromEntries(ORDER.map((k) => [k, checked[k].status]));
    process.stderr.write("checkov: network check (strace)\n");
    const net = networkCheck(cmds, work);
    if (net.connects.length)
      throw new Error(`Checkov attempted network connections:\n${net.connects.join("\n")}`);
    const normalized = { hcl: imgsecResources(data.hcl), plan: imgsecResources(data.plan) };
    const seen = {
      imgsecHcl: Object.keys(normalized.hcl).length,
      imgsecPlan: Object.keys(normalized.plan).length,
      checkovHcl: checked.checkovHcl.doc[0].summary.resource_count,
      checkovPlan: checked.checkovPlan.doc[0].summary.resource_count,
    };
    process.stderr.write(`checkov: hyperfine, ${RUNS} rounds of (a) (b) (c) (d)\n`);
    const h = hyperfine(cmds, work, codes);
    process.stderr.write("checkov: imgsec's phases in one process (bench/check-once.js)\n");
    const phases = Object.fromEntries(
      [
        ["hcl", data.hcl],
        ["plan", data.plan],
      ].map(([k, path]) => {
        const r = run([NODE, join(APP, "bench", "check-once.js"), path, "3"]);
        if (r.status !== 0) throw new Error(`bench/check-once.js ${k}: exit ${r.status}`);
        return [k, JSON.parse(r.stdout.trim().split("\n").pop())];
      }),
    );
    process.stderr.write("checkov: peak RSS under GNU time\n");
    const rss = Object.fromEntries(ORDER.map((k) => [k, peakRss(cmds[k].argv)]));
    const loadAfter = load();

    const facts = configurationFacts(data.plan);
    const findings = {
      hcl: compare(facts, checked.checkovHcl.doc, checked.imgsecHcl.doc[0], "hcl", normalized.hcl),
      plan: compare(
        facts,
        checked.checkovPlan.doc,
        checked.imgsecPlan.doc[0],
        "plan",
        normalized.plan,
      ),
    };
    mkdirSync(join(__dirname, "out"), { recursive: true });
    const outFile = join(__dirname, "out", "checkov-findings.json");
    writeFileSync(
      `${outFile}.tmp`,
      JSON.stringify(findings, (k, x) => (typeof x === "function" ? undefined : x), 2),
    );
    renameSync(`${outFile}.tmp`, outFile);

    const ratios = (a, b) => h[a].times.map((t, i) => h[b].times[i] / t);
    const ratio = (a, b) => {
      const r = ratios(a, b);
      return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
    };
    const rHcl = ratio("imgsecHcl", "checkovHcl");
    const rPlan = ratio("imgsecPlan", "checkovPlan");
    const checkovSummary = (s) => {
      const x = s.doc[0].summary;
      return `${x.passed} passed, ${x.failed} failed (checks × resources)`;
    };
    const imgsecSummary = (s) => {
      const x = s.doc[0].summary;
      return `${x.passed} passed, ${x.failed} failed, ${x.unknown} unknown, ${x.warned} warnings (rules × resources)`;
    };
    const row = (k, input, resources, results) =>
      `| ${cmds[k].name.replace(/^\(.\) /, "")} | ${input} | ${resources} | ${results} | ${fmt(h[k].mean)} ± ${fmt(h[k].stddev)} | ${fmt(h[k].median)} | ${fmt(h[k].cpuMean)} | ${mib(rss[k])} |`;
    const totals = (form) => {
      const t = {
        ckNotIm: 0,
        imNotCk: 0,
        imWrong: 0,
        ckWrong: 0,
        lost: 0,
        falsePass: 0,
        falseFail: 0,
        resources: 0,
      };
      for (const { stats: x } of findings[form]) {
        t.ckNotIm += x.checkovFailImgsecNot;
        t.imNotCk += x.imgsecFailCheckovNot;
        t.imWrong += x.imgsecWrong;
        t.ckWrong += x.checkovWrong;
        t.lost += x.lost;
        t.falsePass += x.imgsecFalsePass;
        t.falseFail += x.imgsecFalseFail;
        t.resources += x.resources;
      }
      return t;
    };
    const tHcl = totals("hcl");
    const tPlan = totals("plan");
    const totalsText = (name, t) =>
      `${name}: of ${t.resources} verdicts each, Checkov fails and imgsec does not ${t.ckNotIm}, imgsec fails and Checkov does not ${t.imNotCk}; **findings lost** (Checkov fails rightly, imgsec passes or gives no verdict) **${t.lost}**; against the configuration imgsec is wrong ${t.imWrong} times (${t.falsePass} false passes, ${t.falseFail} false failures, ${t.imWrong - t.falsePass - t.falseFail} no verdict), Checkov ${t.ckWrong} times`;
    const pairRows = (form) =>
      findings[form].map((p) => {
        const s = p.stats;
        return `| ${p.checkov.join(", ")} ↔ ${p.rule} | ${p.question} | ${s.resources} | ${s.expectedFail} | ${s.checkov.FAIL} / ${s.checkov.PASS} / ${s.checkov.none} | ${s.imgsec.FAIL} / ${s.imgsec.PASS} / ${s.imgsec.UNKNOWN} / ${s.imgsec.none} | ${s.checkovFailImgsecNot} | ${s.imgsecFailCheckovNot} | ${s.lost} | ${s.checkovWrong} | ${s.imgsecWrong} |`;
      });
    // Differences alike (same rule, verdicts and reason) on one row, their resources listed.
    const diffLines = (form) => {
      const groups = new Map();
      for (const p of findings[form])
        for (const d of p.differences) {
          const key = [p.rule, d.checkov, d.imgsec, d.expected, d.why].join("\u0000");
          if (!groups.has(key)) groups.set(key, { rule: p.rule, d, resources: [] });
          groups.get(key).resources.push(d.resource);
        }
      return [...groups.values()].map(({ rule, d, resources }) => {
        const shown = resources.slice(0, 6).map((a) => `\`${a}\``);
        const more = resources.length > 6 ? ` and ${resources.length - 6} more` : "";
        return `| ${rule} | ${resources.length}: ${shown.join(", ")}${more} | ${d.checkov} | ${d.imgsec} | ${d.expected} | ${d.why} |`;
      });
    };
    const pairHead = [
      "| Checkov ↔ imgsec | question | resources | should fail | Checkov FAIL / PASS / not judged | imgsec FAIL / PASS / UNKNOWN / not judged | Checkov fails, imgsec does not | imgsec fails, Checkov does not | findings lost | Checkov wrong | imgsec wrong |",
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ];
    const diffHead = [
      "| imgsec rule | resources | Checkov | imgsec | configuration | why |",
      "|---|---|---|---|---|---|",
    ];
    const lines = [
      `Machine: ${machine()}; 1-minute load average ${loadBefore} before the run, ${loadAfter} after (the machine is shared: other work weighs on every command of a round alike). Checkov ${versions.checkov} (pip, pinned by scripts/setup-checkov.sh, Python ${spawnSync(join(ROOT, ".tools", "checkov", "bin", "python"), ["-c", "import platform; print(platform.python_version())"], { encoding: "utf8" }).stdout.trim()}), hyperfine ${versions.hyperfine}.`,
      "",
      `**Data** (bench/gen-hcl.js, cached in \`${relative(ROOT, data.dir)}/\`): one configuration of a hospital's imaging estate, **${m.resources} resources** (instances) from **${m.modules} local modules** called ${m.moduleCalls} times (some twice or three times), with variables, \`terraform.tfvars\` and an \`*.auto.tfvars\`, locals, \`count\`, \`for_each\` (over variables and over \`for\` expressions), \`dynamic\` blocks, splats, module outputs passed between modules and IAM documents in \`jsonencode\`: HCL ${m.files} files, ${m.hclLines.toLocaleString("en-US")} lines (${fmt(m.hclBytes / 1024, 0)} KiB); the same configuration as a \`terraform show -json\` plan of ${fmt(m.planBytes / 1e6, 1)} MB (every value known: the plan of a change to an estate that exists). Types: ${Object.entries(
        m.byType,
      )
        .sort((a, b) => b[1] - a[1])
        .map(([t, n]) => `${t} ${n}`)
        .join(", ")}.`,
      "",
      "| command | input | resources read | results | wall mean ± σ (s) | median (s) | CPU user + sys, mean (s) | peak RSS (MiB) |",
      "|---|---|---:|---|---:|---:|---:|---:|",
      row("imgsecHcl", "HCL folder", seen.imgsecHcl, imgsecSummary(checked.imgsecHcl)),
      row("checkovHcl", "HCL folder", seen.checkovHcl, checkovSummary(checked.checkovHcl)),
      row("imgsecPlan", "plan JSON", seen.imgsecPlan, imgsecSummary(checked.imgsecPlan)),
      row("checkovPlan", "plan JSON", seen.checkovPlan, checkovSummary(checked.checkovPlan)),
      "",
      `**Checkov / imgsec, wall time: HCL ${fmt(rHcl.median, 1)}×** (median of the ${RUNS} rounds' ratios, range ${fmt(rHcl.min, 1)}–${fmt(rHcl.max, 1)}), **plan ${fmt(rPlan.median, 1)}×** (range ${fmt(rPlan.min, 1)}–${fmt(rPlan.max, 1)}); the issue's aim is at least 5×: ${rHcl.median >= 5 && rPlan.median >= 5 ? "met on both" : rHcl.median >= 5 || rPlan.median >= 5 ? `met on ${rHcl.median >= 5 ? "HCL" : "the plan"} only` : "not met"}. Peak RSS Checkov / imgsec: HCL ${fmt(rss.checkovHcl / rss.imgsecHcl, 1)}×, plan ${fmt(rss.checkovPlan / rss.imgsecPlan, 1)}×. "Resources read": imgsec's from \`imgsec normalize\` (the document its rules read), Checkov's its own summary's \`resource_count\`.`,
      "",
      `Where imgsec's time goes (bench/check-once.js: the same work in one process, timed by phase; the median of two more evaluations of the same stack after the first): ${["hcl", "plan"].map((k) => `${k === "hcl" ? "HCL" : "plan"}: modules loaded ${fmt(phases[k].loadModulesMs, 0)} ms, read and normalized ${fmt(phases[k].normalizeMs, 0)} ms, WASM instantiated ${fmt(phases[k].loadWasmMs, 0)} ms, **first evaluation ${fmt(phases[k].firstEvalMs, 0)} ms**, evaluated again ${fmt(phases[k].warmEvalMs, 0)} ms`).join("; ")}. A first evaluation much slower than the next ones is the WASM instance growing its memory as it works.`,
      "",
      `**Findings both tools check.** ${PAIRS.length} pairs of a Checkov check (a resource fails when any of the listed ids fails) and an imgsec rule that judge the same thing on the same resources. Each resource's verdict from both tools' runs above, set against what the configuration says (the generator's evaluated values, read the way the imgsec rule reads them: \`expected\` in bench/checkov.js). Where the two checks ask different questions on a resource the difference is stated, with its reason, and Checkov is not counted wrong for it. ${totalsText("HCL", tHcl)}. ${totalsText("Plan", tPlan)}. The issue's aim is no finding lost.`,
      "",
      "HCL folder:",
      "",
      ...pairHead,
      ...pairRows("hcl"),
      "",
      "Plan JSON:",
      "",
      ...pairHead,
      ...pairRows("plan"),
      "",
      `Every difference, alike ones on one row (each resource in bench/out/checkov-findings.json), HCL:`,
      "",
      ...diffHead,
      ...(diffLines("hcl").length ? diffLines("hcl") : ["| — | none | | | | |"]),
      "",
      "Plan JSON:",
      "",
      ...diffHead,
      ...(diffLines("plan").length ? diffLines("plan") : ["| — | none | | | | |"]),
      "",
      `How measured: whole processes, wall-clock, warm cache. imgsec: \`node bin/imgsec.js check <path> --format json\` from a private copy of the build taken at the start (bin, dist, the compiled policies; node_modules linked), every rule; no key file there, so nothing is recorded. Checkov: \`checkov -d <hcl> --framework terraform\` and \`checkov -f plan.json --framework terraform_plan\`, both with \`${CHECKOV_FLAGS.join(" ")}\` and the environment ${Object.entries(
        CHECKOV_ENV,
      )
        .map(([k, x]) => `\`${k}=${x}\``)
        .join(
          ", ",
        )} (offline: without BC_SKIP_MAPPING and --skip-download it retries the Prisma Cloud API and prints tracebacks; without CKV_SKIP_PACKAGE_UPDATE_CHECK it asks PyPI for a newer version at start-up), every check of the framework (as users run it); ${net.checked ? `no network: each Checkov command was run once more under \`strace -f -e trace=connect\` with \`HTTPS_PROXY\` pointing at a closed port, and made no connect() on an inet socket` : "the network check was skipped (no strace)"}. One hyperfine session (\`-N\`), the four commands alternating, ${RUNS} rounds of one run each, after one untimed run of each whose JSON output is the findings comparison above; a ratio is taken within a round. CPU = user + system of the process and its children. Peak RSS: GNU time's maximum resident set size (\`/usr/bin/time -f %M\`) in one separate run of each: the largest single process.`,
    ];
    const body = lines.join("\n");
    process.stdout.write(
      `${body}\n\n${JSON.stringify({ meta: { ...m, addresses: undefined }, h, rss, seen, rHcl, rPlan, phases })}\n`,
    );
    writeSection("Checkov", body);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { PAIRS, compare, configurationFacts };

if (require.main === module) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`bench/checkov.js: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  }
}
