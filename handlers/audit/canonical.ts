import { createHmac, createPublicKey, hash, KeyObject } from "node:crypto";

/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit, as Array#sort does), no whitespace,
 * JSON.stringify's escaping for strings and numbers. Records are written in this form, so the
 * SHA-256 of a line's bytes is the hash of the record, and a verifier can tell a reformatted line.
 */
export function canonical(value: unknown): string {
  // Parsed canonical lines already have their keys in order: then the native serializer, which
  // follows insertion order, gives the same text several times faster.
  return isSorted(value) ? JSON.stringify(value) : slowCanonical(value);
}

/** Whether every object's own keys are already in sorted order (so JSON.stringify is canonical). */
function isSorted(value: unknown): boolean {
  if (value === null) return true;
  const t = typeof value;
  if (t !== "object") return t === "string" || t === "number" || t === "boolean";
  if (Array.isArray(value)) {
    for (const v of value) if (!isSorted(v)) return false;
    return true;
  }
  const obj = value as Record<string, unknown>;
  let prev: string | undefined;
  for (const k in obj) {
    if (prev !== undefined && !(prev < k)) return false;
    if (!isSorted(obj[k])) return false;
    prev = k;
  }
  return true;
}

function slowCanonical(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const s = JSON.stringify(value);
    // undefined, functions and symbols have no JSON form; records never hold them.
    if (s === undefined) throw new TypeError("value has no canonical JSON form");
    return s;
  }
  if (Array.isArray(value)) return "[" + value.map(slowCanonical).join(",") + "]";
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ",";
    out += JSON.stringify(keys[i]) + ":" + slowCanonical(obj[keys[i]]);
  }
  return out + "}";
}

/**
 * The canonical forms of a record with and without its `hmac` field, in one walk: the first is
 * what the line must be, the second is what the HMAC covers.
 */
export function canonicalLine(record: Record<string, unknown>): { line: string; body: string } {
  if (isSorted(record)) {
    const { hmac: _hmac, ...body } = record;
    return { line: JSON.stringify(record), body: JSON.stringify(body) };
  }
  const keys = Object.keys(record).sort();
  const parts: string[] = [];
  let macPart = -1;
  for (const k of keys) {
    if (k === "hmac") macPart = parts.length;
    parts.push(JSON.stringify(k) + ":" + slowCanonical(record[k]));
  }
  const line = "{" + parts.join(",") + "}";
  if (macPart >= 0) parts.splice(macPart, 1);
  return { line, body: "{" + parts.join(",") + "}" };
}

export const ZERO_HASH = "0".repeat(64);

export function sha256Hex(data: string | Buffer): string {
  return hash("sha256", data, "hex");
}

export function hmacHex(key: Buffer, data: string): string {
  return createHmac("sha256", key).update(data).digest("hex");
}

/**
 * A short fingerprint of a checkpoint public key: the first 16 bytes of SHA-256, hex, over the raw
 * 32-byte key for Ed25519, and over the SPKI DER (as KMS GetPublicKey returns it: namedCurve,
 * uncompressed point) for ECDSA P-256. Checkpoints name their key by it: an auditor who holds only
 * the public key can recompute it, which is not true of the key file's ids (those digest the
 * secret seed).
 */
export function publicKeyFingerprint(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const spki = pub.export({ format: "der", type: "spki" });
  if (pub.asymmetricKeyType === "ed25519")
    return sha256Hex(spki.subarray(spki.length - 32)).slice(0, 32);
  if (pub.asymmetricKeyType === "ec" && pub.asymmetricKeyDetails?.namedCurve === "prime256v1")
    return sha256Hex(spki).slice(0, 32);
  throw new TypeError(
    `audit checkpoint keys are Ed25519 or ECDSA P-256, not ${pub.asymmetricKeyType}`,
  );
}
