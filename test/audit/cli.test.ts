import { Command, CommanderError } from "commander";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { auditCommand } from "../../cli/audit";
import { isExpected, oneLine } from "../../cli/errors";
import { AuditLogError } from "../../handlers/audit";
import { signingPublicKeyPem } from "../../handlers/keys/keyfile";
import { TestLog, edit, makeLog, tmp } from "./logs";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The audit command under a program like cli/main.ts's, with its error handling. */
async function run(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  let code = 0;
  let stdout = "";
  let stderr = "";
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  const out = jest.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += s), true));
  const err = jest.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += s), true));
  try {
    const program = new Command("imgsec").exitOverride();
    program.addCommand(auditCommand((c) => (code = c)));
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else if (isExpected(e) || e instanceof AuditLogError) {
      process.stderr.write(`imgsec: ${oneLine(e)}\n`);
      code = 2;
    } else throw e;
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env = saved;
  }
  return { code, stdout, stderr };
}

let log: TestLog;
let pem: string;
beforeAll(async () => {
  log = await makeLog(20, 10);
  pem = join(log.dir, "audit.pub.pem");
  writeFileSync(pem, signingPublicKeyPem(log.keys));
});

function tampered(): string {
  const lines = log.lines.slice();
  lines[6] = edit(lines[6], { outcome: "failed" });
  const path = join(tmp(), "tampered.jsonl");
  writeFileSync(path, lines.map((l) => l + "\n").join(""));
  return path;
}

describe("imgsec audit verify", () => {
  test("an intact log: exit 0, every check PASS (key file)", async () => {
    const r = await run(["audit", "verify", log.path, "--keys", log.keys]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: INTACT\n/);
    expect(r.stdout.match(/PASS IMGSEC-AUDIT-00\d/g)).toHaveLength(5);
  });

  test("the key file from IMGSEC_KEYS", async () => {
    const r = await run(["audit", "verify", log.path], { IMGSEC_KEYS: log.keys });
    expect(r.code).toBe(0);
  });

  test("an auditor with only the public key: exit 0, HMACs WARN (not checked)", async () => {
    const r = await run(["audit", "verify", log.path, "--pubkey", pem, "--format", "json"], {
      IMGSEC_KEYS: undefined,
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.intact).toBe(true);
    expect(doc.checked).toEqual({ hmac: false, signatures: true });
    expect(doc.results.map((x: { status: string }) => x.status)).toEqual([
      "WARN",
      "PASS",
      "PASS",
      "PASS",
      "PASS",
    ]);
    expect(doc.summary).toEqual({ passed: 4, failed: 0, warned: 1, waived: 0 });
  });

  test("a tampered log: exit 1, the text names the first bad record's line, seq and kind", async () => {
    const r = await run(["audit", "verify", tampered(), "--keys", log.keys]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/TAMPERED: line 7 \(seq 6\) was modified/);
    expect(r.stdout).toMatch(/first bad record: line 7, seq 6, modified/);
    expect(r.stdout).toMatch(/FAIL IMGSEC-AUDIT-001/);
  });

  test("JSON output carries firstBad and the results", async () => {
    const r = await run(["audit", "verify", tampered(), "--pubkey", pem, "--format", "json"], {
      IMGSEC_KEYS: undefined,
    });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.firstBad).toEqual({ line: 7, seq: 6, kind: "modified" });
    expect(doc.results.find((x: { rule: string }) => x.rule === "IMGSEC-AUDIT-002").status).toBe(
      "FAIL",
    );
  });

  test("--allow-open accepts a log still being written", async () => {
    const path = join(tmp(), "open.jsonl");
    writeFileSync(
      path,
      log.lines
        .slice(0, 14)
        .map((l) => l + "\n")
        .join(""),
    );
    expect((await run(["audit", "verify", path, "--keys", log.keys])).code).toBe(1);
    const r = await run(["audit", "verify", path, "--keys", log.keys, "--allow-open"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/INTACT, with warnings/);
  });

  test.each([
    [
      "a missing log",
      () => ["audit", "verify", join(tmp(), "none.jsonl"), "--keys", log.keys],
      /no audit log at/,
    ],
    [
      "no key at all",
      () => ["audit", "verify", log.path, "--keys", join(tmp(), "k.json")],
      /no key to verify with: pass --pubkey FILE/,
    ],
    [
      "a missing --pubkey",
      () => ["audit", "verify", log.path, "--pubkey", join(tmp(), "x.pem")],
      /cannot read --pubkey/,
    ],
    [
      "a bad PEM",
      () => {
        const p = join(tmp(), "bad.pem");
        writeFileSync(p, "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n");
        return ["audit", "verify", log.path, "--pubkey", p];
      },
      /is not a PEM public key/,
    ],
    [
      "a bad S3 location",
      () => ["audit", "verify", "s3://", "--pubkey", pem],
      /is not an S3 location/,
    ],
    ["a missing argument", () => ["audit", "verify"], /missing required argument/],
  ])("unusable input: %s → exit 2, one line", async (_name, args, message) => {
    const r = await run((args as () => string[])(), { IMGSEC_KEYS: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
