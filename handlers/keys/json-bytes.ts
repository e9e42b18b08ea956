/**
 * A small JSON reader over bytes, for the key file: it checks the whole document as JSON.parse
 * would, but leaves every string value where it is in the Buffer (a byte range), so reading one
 * purpose's key never turns the other keys into JavaScript strings, which cannot be zeroed and
 * would stay in the heap until collected. Member names are decoded (they name purposes and fields,
 * never secrets); values are decoded only when asked for, and key material goes from its base64
 * bytes straight into a Buffer the caller zeroes.
 */

export type JsonNode =
  | { type: "object"; members: { name: string; value: JsonNode }[] }
  | { type: "array"; items: JsonNode[] }
  /** `start`/`end`: the bytes between the quotes, escapes not undone. */
  | { type: "string"; start: number; end: number; escaped: boolean }
  | { type: "number"; start: number; end: number }
  | { type: "true" | "false" | "null" };

export type JsonObject = Extract<JsonNode, { type: "object" }>;
export type JsonString = Extract<JsonNode, { type: "string" }>;

/** Not JSON. The message gives a byte offset, never content. */
export class JsonBytesError extends Error {}

const MAX_DEPTH = 64;

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** A hex digit's value, or -1. */
const hexValue = (c: number) =>
  isDigit(c)
    ? c - 0x30
    : c >= 0x41 && c <= 0x46
      ? c - 0x37
      : c >= 0x61 && c <= 0x66
        ? c - 0x57
        : -1;
const isHex = (c: number) => hexValue(c) >= 0;

/** Parses a whole JSON document (RFC 8259, what JSON.parse accepts) held in `buf`. */
export function parseJsonBytes(buf: Buffer): JsonNode {
  let p = 0;
  const fail = (): never => {
    throw new JsonBytesError(`not valid JSON (at byte ${p})`);
  };
  const ws = () => {
    while (p < buf.length && isWs(buf[p])) p++;
  };
  const literal = (word: string) => {
    for (let i = 0; i < word.length; i++) if (buf[p + i] !== word.charCodeAt(i)) fail();
    p += word.length;
  };

  const string = (): JsonString => {
    p++; // opening quote
    const start = p;
    let escaped = false;
    for (;;) {
      if (p >= buf.length) fail();
      const c = buf[p];
      if (c === 0x22) break;
      if (c < 0x20) fail();
      if (c === 0x5c) {
        escaped = true;
        const e = buf[p + 1];
        if (e === 0x75) {
          for (let i = 2; i < 6; i++) if (!isHex(buf[p + i])) fail();
          p += 6;
        } else if ([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(e)) p += 2;
        else fail();
      } else p++;
    }
    const end = p;
    p++; // closing quote
    return { type: "string", start, end, escaped };
  };

  const number = (): JsonNode => {
    const start = p;
    if (buf[p] === 0x2d) p++;
    if (buf[p] === 0x30) p++;
    else if (isDigit(buf[p])) while (isDigit(buf[p])) p++;
    else fail();
    if (buf[p] === 0x2e) {
      p++;
      if (!isDigit(buf[p])) fail();
      while (isDigit(buf[p])) p++;
    }
    if (buf[p] === 0x65 || buf[p] === 0x45) {
      p++;
      if (buf[p] === 0x2b || buf[p] === 0x2d) p++;
      if (!isDigit(buf[p])) fail();
      while (isDigit(buf[p])) p++;
    }
    return { type: "number", start, end: p };
  };

  const value = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail();
    ws();
    const c = buf[p];
    if (c === 0x7b) {
      p++;
      const members: { name: string; value: JsonNode }[] = [];
      ws();
      if (buf[p] === 0x7d) {
        p++;
        return { type: "object", members };
      }
      for (;;) {
        ws();
        if (buf[p] !== 0x22) fail();
        const name = decodeString(buf, string());
        ws();
        if (buf[p] !== 0x3a) fail();
        p++;
        members.push({ name, value: value(depth + 1) });
        ws();
        if (buf[p] === 0x2c) p++;
        else if (buf[p] === 0x7d) {
          p++;
          return { type: "object", members };
        } else fail();
      }
    }
    if (c === 0x5b) {
      p++;
      const items: JsonNode[] = [];
      ws();
      if (buf[p] === 0x5d) {
        p++;
        return { type: "array", items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (buf[p] === 0x2c) p++;
        else if (buf[p] === 0x5d) {
          p++;
          return { type: "array", items };
        } else fail();
      }
    }
    if (c === 0x22) return string();
    for (const word of ["true", "false", "null"] as const) {
      if (c === word.charCodeAt(0)) {
        literal(word);
        return { type: word };
      }
    }
    if (c === 0x2d || isDigit(c)) return number();
    return fail();
  };

  const root = value(0);
  ws();
  if (p !== buf.length) fail();
  return root;
}

/**
 * A member's value; the last one when a name repeats, as JSON.parse does. Undefined if absent or
 * if `obj` is not an object.
 */
export function member(obj: JsonNode | undefined, name: string): JsonNode | undefined {
  if (obj?.type !== "object") return undefined;
  for (let i = obj.members.length - 1; i >= 0; i--)
    if (obj.members[i].name === name) return obj.members[i].value;
  return undefined;
}

/** A string node as a JavaScript string: only for values that are not secret. */
export function decodeString(buf: Buffer, node: JsonString): string {
  return node.escaped
    ? (JSON.parse(buf.toString("utf8", node.start - 1, node.end + 1)) as string)
    : buf.toString("utf8", node.start, node.end);
}

/** A string node's value, or undefined for any other node. Not for secrets. */
export function stringValue(buf: Buffer, node: JsonNode | undefined): string | undefined {
  return node?.type === "string" ? decodeString(buf, node) : undefined;
}

/** A number node's value, or undefined for any other node. */
export function numberValue(buf: Buffer, node: JsonNode | undefined): number | undefined {
  return node?.type === "number" ? Number(buf.toString("latin1", node.start, node.end)) : undefined;
}

// Base64 (and base64url) alphabet: byte → 6-bit value, -1 otherwise.
const B64 = new Int8Array(256).fill(-1);
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  .split("")
  .forEach((ch, i) => (B64[ch.charCodeAt(0)] = i));
B64[0x2d] = 62; // -
B64[0x5f] = 63; // _

/**
 * Decodes the base64 text of a string node straight into a new Buffer (never through a string),
 * as leniently as Buffer.from(text, "base64"): characters outside the alphabet are skipped and
 * decoding stops at "=". JSON escapes (`\/`, `\u0041`) are undone on the fly.
 */
export function base64Bytes(buf: Buffer, node: JsonString): Buffer {
  const sextets = (visit: (v: number) => void) => {
    for (let p = node.start; p < node.end; ) {
      let c = buf[p++];
      if (c === 0x5c) {
        const e = buf[p++];
        if (e === 0x75) {
          c = 0;
          for (let i = 0; i < 4; i++) c = c * 16 + hexValue(buf[p++]);
          if (c > 0xff) continue;
        } else c = e === 0x2f ? 0x2f : -1;
        if (c < 0) continue;
      }
      if (c === 0x3d) return; // "=": padding ends the data
      const v = B64[c];
      if (v >= 0) visit(v);
    }
  };
  let n = 0;
  sextets(() => n++);
  const out = Buffer.alloc(Math.floor((n * 6) / 8)); // its own memory, not Node's shared pool
  let acc = 0;
  let bits = 0;
  let o = 0;
  sextets((v) => {
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o < out.length) out[o++] = (acc >> bits) & 0xff;
    }
  });
  acc = 0;
  return out;
}

/** Base64 of `data` as ASCII bytes in a new Buffer (never a string), for writing key material. */
export function base64Encode(data: Buffer): Buffer {
  const alphabet = Buffer.from(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "latin1",
  );
  const out = Buffer.alloc(Math.ceil(data.length / 3) * 4);
  let o = 0;
  for (let i = 0; i < data.length; i += 3) {
    const n = (data[i] << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
    out[o++] = alphabet[(n >> 18) & 63];
    out[o++] = alphabet[(n >> 12) & 63];
    out[o++] = i + 1 < data.length ? alphabet[(n >> 6) & 63] : 0x3d;
    out[o++] = i + 2 < data.length ? alphabet[n & 63] : 0x3d;
  }
  return out;
}
