import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../fs/atomic";
import { Dataset, find, trimBytes } from "./dataset";
import { Hasher, base32 } from "./hasher";
import { TAG } from "./tags";

const PREFIX = "IMGSEC-";

/**
 * The bytes that identify the patient of a data set: Issuer of Patient ID, NUL, Patient ID; when
 * Patient ID is empty, two NULs then Patient's Name, NUL, Birth Date (an ID never starts with NUL,
 * so the two forms cannot collide). Values are trimmed of padding, never decoded.
 */
export function patientIdentity(ds: Dataset): Buffer {
  const value = (t: number) => {
    const el = find(ds, t);
    return el && !el.items ? trimBytes(el.value) : Buffer.alloc(0);
  };
  const id = value(TAG.PatientID);
  const nul = Buffer.from([0]);
  if (id.length > 0) return Buffer.concat([value(TAG.IssuerOfPatientID), nul, id]);
  return Buffer.concat([nul, nul, value(TAG.PatientName), nul, value(TAG.PatientBirthDate)]);
}

/** "IMGSEC-" + 16 base32 characters (80 bits) of HMAC(key, "patient\0" + identity). */
export function hmacPseudonym(h: Hasher, identity: Buffer): string {
  return PREFIX + base32(h.digest("patient", identity).subarray(0, 10));
}

/** Key of a patient in a PseudonymMapping: a keyed digest, so the file holds no patient data. */
export function mappingKey(h: Hasher, identity: Buffer): string {
  return h.digest("mapping", identity).toString("hex");
}

const FORMAT = "imgsec-pseudonym-mapping";

/** A mapping file that is not one: fixed text, never its content. */
export class PseudonymMappingError extends Error {}

/**
 * Random pseudonyms (crypto.randomBytes, not derived from the identity: PS3.15 and HIPAA
 * 164.514(c) re-identification codes) kept per patient. Keys are keyed digests of the patient
 * identity (see mappingKey): the file links pseudonyms to patients only for someone who also
 * holds the pseudonymization key and the identity. Where it is written is the caller's choice.
 */
export class PseudonymMapping {
  private readonly entries = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(entries?: Record<string, string>) {
    for (const [k, v] of Object.entries(entries ?? {})) {
      this.entries.set(k, v);
      this.used.add(v);
    }
  }

  /** The pseudonym for a patient key, created on first use. */
  getOrCreate(key: string): string {
    let p = this.entries.get(key);
    if (p === undefined) {
      do p = PREFIX + base32(randomBytes(10));
      while (this.used.has(p));
      this.entries.set(key, p);
      this.used.add(p);
    }
    return p;
  }

  get size(): number {
    return this.entries.size;
  }

  toJSON(): { format: string; version: 1; entries: Record<string, string> } {
    return { format: FORMAT, version: 1, entries: Object.fromEntries(this.entries) };
  }

  static fromJSON(json: unknown): PseudonymMapping {
    const o = json as { format?: unknown; version?: unknown; entries?: unknown };
    if (
      !o ||
      o.format !== FORMAT ||
      o.version !== 1 ||
      typeof o.entries !== "object" ||
      !o.entries
    ) {
      throw new PseudonymMappingError(
        "not an imgsec pseudonym mapping (format imgsec-pseudonym-mapping, version 1)",
      );
    }
    const entries: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.entries as Record<string, unknown>)) {
      if (!/^[0-9a-f]{64}$/.test(k) || typeof v !== "string" || !/^IMGSEC-[A-Z2-7]{16}$/.test(v)) {
        throw new PseudonymMappingError("pseudonym mapping has a malformed entry");
      }
      entries[k] = v;
    }
    return new PseudonymMapping(entries);
  }

  /** File-system errors are thrown as they are (the caller words them); bad content is refused. */
  static load(path: string): PseudonymMapping {
    const text = readFileSync(path, "utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PseudonymMappingError("pseudonym mapping is not valid JSON");
    }
    return PseudonymMapping.fromJSON(json);
  }

  /** Writes atomically and durably (temporary file, fsync, rename), readable by the owner only. */
  save(path: string): void {
    writeFileAtomic(path, `${JSON.stringify(this.toJSON(), null, 1)}\n`, {
      mode: 0o600,
      exact: true,
    });
  }
}
