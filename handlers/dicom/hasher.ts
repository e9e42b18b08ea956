import { KeyObject, createHash, createHmac, createSecretKey } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding; 10 bytes -> 16 characters. */
export function base32(b: Buffer): string {
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const byte of b) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
      acc &= (1 << bits) - 1;
    }
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

/** Cached UID mappings per key; cleared when this large so memory stays bounded. */
const UID_CACHE_LIMIT = 100_000;

/**
 * Keyed HMAC-SHA256 with one KeyObject per pseudonymization key. Every derived value starts with
 * a purpose label and a NUL ("uid\0", "patient\0", ...), so no two purposes share an input.
 */
export class Hasher {
  private readonly key: KeyObject;
  private readonly uids = new Map<string, string>();

  constructor(key: Buffer) {
    this.key = createSecretKey(key);
  }

  digest(label: string, ...parts: (string | Buffer)[]): Buffer {
    const h = createHmac("sha256", this.key);
    h.update(label);
    h.update("\0");
    for (const p of parts) h.update(p);
    return h.digest();
  }

  /** "2.25." + the first 128 bits of HMAC(key, "uid\0" + uid) in decimal: at most 44 characters. */
  uid(old: string): string {
    let out = this.uids.get(old);
    if (out === undefined) {
      const d = this.digest("uid", old);
      out = `2.25.${BigInt(`0x${d.toString("hex", 0, 16)}`).toString(10)}`;
      if (this.uids.size >= UID_CACHE_LIMIT) this.uids.clear();
      this.uids.set(old, out);
    }
    return out;
  }
}

const hashers = new WeakMap<Buffer, { hasher: Hasher; fingerprint: Buffer }>();

/**
 * One Hasher (one KeyObject) per key Buffer, reused across calls; a caller that changes the
 * Buffer's bytes (zeroizes or reloads it) gets a new one.
 */
export function hasherFor(key: Buffer): Hasher {
  const fingerprint = createHash("sha256").update(key).digest();
  const cached = hashers.get(key);
  if (cached && cached.fingerprint.equals(fingerprint)) return cached.hasher;
  const hasher = new Hasher(key);
  hashers.set(key, { hasher, fingerprint });
  return hasher;
}
