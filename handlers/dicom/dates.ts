import type { Hasher } from "./hasher";

const DAY_MS = 86_400_000;
/** Offsets run from 1 to 3650 days (10 years) back; never 0, so no date survives unshifted. */
const MAX_OFFSET_DAYS = 3650;

/** Per-patient offset in days: the same for every file of the patient, so intervals survive. */
export function dateOffsetDays(h: Hasher, identity: Buffer): number {
  return (h.digest("date-offset", identity).readUInt32BE(0) % MAX_OFFSET_DAYS) + 1;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** "YYYYMMDD" (or the old "YYYY.MM.DD") moved `days` back; null when it is not a valid date. */
export function shiftDate(value: string, days: number): string | null {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(value);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = Date.UTC(y, mo - 1, d);
  const check = new Date(t);
  // Date.UTC rolls 20240231 over to March: such a value is not a date.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    return null;
  }
  const s = new Date(t - days * DAY_MS);
  return `${pad(s.getUTCFullYear(), 4)}${pad(s.getUTCMonth() + 1, 2)}${pad(s.getUTCDate(), 2)}`;
}

/** A DT value with its date part moved back; time, fraction and UTC offset stay. */
export function shiftDateTime(value: string, days: number): string | null {
  const m = /^(\d{8})((?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)?(?:[+-]\d{4})?)$/.exec(value);
  if (!m) return null;
  const date = shiftDate(m[1], days);
  return date === null ? null : date + m[2];
}

/**
 * Shifts every value of a multi-valued DA or DT; null when any value is not a full date, so the
 * caller removes it rather than keep something it could not shift.
 */
export function shiftValues(values: string, vr: "DA" | "DT", days: number): string | null {
  const out: string[] = [];
  for (const raw of values.split("\\")) {
    const v = raw.trim();
    if (v === "") {
      out.push("");
      continue;
    }
    const s = vr === "DA" ? shiftDate(v, days) : shiftDateTime(v, days);
    if (s === null) return null;
    out.push(s);
  }
  return out.join("\\");
}

const AGE_UNIT_YEARS: Record<string, number> = { D: 1 / 365.25, W: 7 / 365.25, M: 1 / 12, Y: 1 };

/** Ages above 89 years (HIPAA Safe Harbor) become "090Y"; other values stay as they are. */
export function capAge(value: string): string {
  return value
    .split("\\")
    .map((v) => {
      const m = /^\s*(\d{3})([DWMY])\s*$/.exec(v);
      return m && Number(m[1]) * AGE_UNIT_YEARS[m[2]] > 89 ? "090Y" : v;
    })
    .join("\\");
}
