/**
 * The pipeline's logs and metrics admit only PHI-free fields: planted identifiers in keys, values,
 * messages and errors never reach a log line or a metric; the fields the code means to log do.
 */
import { admit, createLogger } from "../../handlers/observability/log";
import { countOutcome, createMetrics } from "../../handlers/observability/metrics";

// Obviously fake identifiers, as our generators plant them.
const PHI = ["FAKE^PATIENT^ZZTEST", "MRN-0000-FAKE", "19010101", "s3://raw/FAKE^PATIENT/1.dcm"];

/** Everything written to stdout and stderr (Powertools' console) while `fn` runs, as lines. */
function captured(fn: () => void): { raw: string; lines: Record<string, unknown>[] } {
  const chunks: string[] = [];
  const keep = (c: string | Uint8Array) => {
    chunks.push(String(c).endsWith("\n") ? String(c) : `${String(c)}\n`);
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, "write").mockImplementation(keep),
    jest.spyOn(process.stderr, "write").mockImplementation(keep),
  ];
  try {
    fn();
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  const raw = chunks.join("");
  return {
    raw,
    lines: raw
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const expectNoPhi = (raw: string) => {
  for (const p of PHI) expect(raw).not.toContain(p);
};

describe("PHI-safe logger", () => {
  test("admitted fields pass; keys, paths and names are withheld and counted", () => {
    const { raw, lines } = captured(() => {
      const log = createLogger();
      log.info("object packaged", {
        uid: "2.25.1234",
        outcome: "packaged",
        digest: `sha256:${"a".repeat(64)}`,
        key: PHI[3],
        patient: PHI[0],
      });
    });
    expectNoPhi(raw);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "INFO",
      message: "object packaged",
      uid: "2.25.1234",
      outcome: "packaged",
      withheld: 2,
    });
  });

  test("a value of the wrong form is withheld even under an admitted name", () => {
    const { raw, lines } = captured(() => {
      const log = createLogger();
      log.info("object packaged", { uid: PHI[1], reason: PHI[0], outcome: "whatever" });
    });
    expectNoPhi(raw);
    expect(lines[0].uid).toBeUndefined();
    expect(lines[0].withheld).toBe(3);
  });

  test("a free-text message is replaced", () => {
    const { raw, lines } = captured(() => createLogger().warn(`cannot read ${PHI[3]}`));
    expectNoPhi(raw);
    expect(lines[0].message).toBe("message withheld");
  });

  test("errors are their class or AWS code only, never message or stack", () => {
    const e = new Error(`AccessDenied on ${PHI[3]} for ${PHI[0]}`);
    e.name = "AccessDenied";
    const { raw, lines } = captured(() => {
      const log = createLogger();
      log.error("object failed", e);
      log.error("object failed", { error: e, position: 7 });
      log.error("object failed", { error: { message: PHI[0] } });
    });
    expectNoPhi(raw);
    expect(raw).not.toContain("stack");
    expect(lines.map((l) => l.errorCode)).toEqual(["AccessDenied", "AccessDenied", "Error"]);
    expect(lines[1].position).toBe(7);
  });

  test("DEBUG cannot be asked for: the level stays INFO", () => {
    const saved = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
    try {
      const { lines } = captured(() => {
        const log = createLogger();
        log.debug("debug detail", { uid: "2.25.1" });
        log.info("object packaged", { uid: "2.25.1" });
      });
      expect(lines.map((l) => l.level)).toEqual(["INFO"]);
    } finally {
      if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = saved;
    }
  });

  test("admit() keeps only known fields of the right form", () => {
    expect(admit({ bytes: 10, items: -1, durationMs: 1.5, other: 1 })).toEqual({
      fields: { bytes: 10, durationMs: 1.5 },
      withheld: 2,
    });
  });
});

describe("metrics", () => {
  test("one count per outcome under fixed names; no object value in the EMF", () => {
    const { raw, lines } = captured(() => {
      const m = createMetrics();
      countOutcome(m, "packaged", 1000);
      countOutcome(m, "quarantined");
      m.publishStoredMetrics();
    });
    expectNoPhi(raw);
    const emf = lines[0] as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } };
    expect(emf.ObjectsPackaged).toBe(1);
    expect(emf.ObjectsQuarantined).toBe(1);
    expect(emf.BytesPackaged).toBe(1000);
    expect(emf.service).toBe("imgsec");
    expect(Object.keys(emf).sort()).toEqual(
      ["BytesPackaged", "ObjectsPackaged", "ObjectsQuarantined", "_aws", "service"].sort(),
    );
  });
});
