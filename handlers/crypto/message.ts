/**
 * Reads an AWS Encryption SDK message without any key: the header (suite, encryption context,
 * encrypted data keys, framing), a walk over the body's frame headers (truncation, frame order,
 * trailing bytes) and, for signed suites, the ECDSA signature over the whole message. Every length
 * is checked against the file before it is used, and no frame content is held in memory, so any
 * file, however large or hostile, is read in bounded memory.
 */
import { createHash, createPublicKey, createVerify, ECDH } from "node:crypto";
import { createReadStream } from "node:fs";
import { FileHandle, open } from "node:fs/promises";
import type { PackageDocument } from "../../policies/engine/package-gate";
import { ESDK_PUBLIC_KEY, LOCAL_PROVIDER } from "./context";
import { SUITES } from "./suites";

/** A file that is not an ESDK message we can read: one line, exit 2. */
export class PackageFormatError extends Error {}

/** Bounds for hostile input: far above anything imgsec writes. */
const MAX_DATA_KEYS = 64;

export interface MessageHeader {
  version: number;
  suiteId: number;
  messageId: Buffer;
  context: Record<string, string>;
  dataKeys: { providerId: string; providerInfo: Buffer }[];
  contentType: "framed" | "non-framed";
  frameLength: number;
  /** Offset of the body (just past the header authentication). */
  bodyStart: number;
}

class Reader {
  constructor(
    private fh: FileHandle,
    readonly size: number,
  ) {}
  async bytes(pos: number, n: number, what: string): Promise<Buffer> {
    if (n < 0 || pos + n > this.size) throw new Truncated(what);
    const b = Buffer.alloc(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.fh.read(b, done, n - done, pos + done);
      if (bytesRead === 0) throw new Truncated(what);
      done += bytesRead;
    }
    return b;
  }
}

class Truncated extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true });

async function parseHeader(r: Reader): Promise<MessageHeader> {
  let p = 0;
  const u8 = async (what: string) => (await r.bytes(p++, 1, what))[0];
  const u16 = async (what: string) => {
    const v = (await r.bytes(p, 2, what)).readUInt16BE(0);
    p += 2;
    return v;
  };
  const u32 = async (what: string) => {
    const v = (await r.bytes(p, 4, what)).readUInt32BE(0);
    p += 4;
    return v;
  };
  const take = async (n: number, what: string) => {
    const b = await r.bytes(p, n, what);
    p += n;
    return b;
  };

  const version = await u8("header");
  if (version !== 1 && version !== 2)
    throw new PackageFormatError("not an AWS Encryption SDK message (unknown format version)");
  if (version === 1 && (await u8("header")) !== 0x80)
    throw new PackageFormatError("not an AWS Encryption SDK message (bad message type)");
  const suiteId = await u16("header");
  const suite = SUITES[suiteId];
  const messageId = await take(version === 1 ? 16 : 32, "header");

  const context: Record<string, string> = {};
  const aadLength = await u16("header");
  if (aadLength > 0) {
    const aadEnd = p + aadLength;
    const pairs = await u16("encryption context");
    for (let i = 0; i < pairs; i++) {
      const k = await take(await u16("encryption context"), "encryption context");
      const v = await take(await u16("encryption context"), "encryption context");
      let key: string;
      let value: string;
      try {
        key = utf8.decode(k);
        value = utf8.decode(v);
      } catch {
        throw new PackageFormatError("encryption context is not valid UTF-8");
      }
      if (Object.prototype.hasOwnProperty.call(context, key))
        throw new PackageFormatError("encryption context has a duplicate key");
      context[key] = value;
    }
    if (p !== aadEnd)
      throw new PackageFormatError("encryption context length does not match its content");
  }

  const keyCount = await u16("data keys");
  if (keyCount === 0) throw new PackageFormatError("message has no encrypted data key");
  if (keyCount > MAX_DATA_KEYS)
    throw new PackageFormatError(`message has more than ${MAX_DATA_KEYS} encrypted data keys`);
  const dataKeys: MessageHeader["dataKeys"] = [];
  for (let i = 0; i < keyCount; i++) {
    const id = await take(await u16("data keys"), "data keys");
    const info = await take(await u16("data keys"), "data keys");
    await take(await u16("data keys"), "data keys"); // the wrapped key itself
    dataKeys.push({ providerId: id.toString("utf8"), providerInfo: info });
  }
  const ct = await u8("header");
  if (ct !== 1 && ct !== 2) throw new PackageFormatError("unknown content type");
  let ivLength = 12;
  if (version === 1) {
    if ((await u32("header")) !== 0)
      throw new PackageFormatError("reserved header field is not zero");
    ivLength = await u8("header");
    if (ivLength !== (suite?.ivLength ?? 12))
      throw new PackageFormatError("IV length does not match the suite");
  }
  const frameLength = await u32("header");
  if (ct === 1 && frameLength !== 0)
    throw new PackageFormatError("non-framed message with a frame length");
  if (ct === 2 && frameLength === 0)
    throw new PackageFormatError("framed message with frame length 0");
  if (version === 2) await take(suite?.suiteDataLength ?? 32, "header"); // key commitment
  // Header authentication: v1 IV + tag; v2 the tag only (its IV is all zeros).
  await take((version === 1 ? ivLength : 0) + (suite?.tagLength ?? 16), "header authentication");
  return {
    version,
    suiteId,
    messageId,
    context,
    dataKeys,
    contentType: ct === 2 ? "framed" : "non-framed",
    frameLength,
    bodyStart: p,
  };
}

interface BodyWalk {
  complete: boolean;
  frames: number;
  problem: string | null;
  /** Offset just past the body (the footer's start), when complete. */
  end: number;
}

async function walkBody(r: Reader, h: MessageHeader): Promise<BodyWalk> {
  const iv = 12;
  const tag = 16;
  let p = h.bodyStart;
  if (h.contentType === "non-framed") {
    try {
      const len = (await r.bytes(p + iv, 8, "body")).readBigUInt64BE(0);
      const end = BigInt(p + iv + 8) + len + BigInt(tag);
      if (end > BigInt(r.size)) return { complete: false, frames: 0, problem: "truncated", end: p };
      return { complete: true, frames: 1, problem: null, end: Number(end) };
    } catch (e) {
      if (e instanceof Truncated)
        return { complete: false, frames: 0, problem: "truncated", end: p };
      throw e;
    }
  }
  let expected = 1;
  for (;;) {
    let seq: number;
    try {
      seq = (await r.bytes(p, 4, "frame")).readUInt32BE(0);
    } catch (e) {
      if (e instanceof Truncated)
        return { complete: false, frames: expected - 1, problem: "truncated", end: p };
      throw e;
    }
    if (seq === 0xffffffff) {
      try {
        const head = await r.bytes(p + 4, 4 + iv + 4, "final frame");
        if (head.readUInt32BE(0) !== expected)
          return { complete: false, frames: expected - 1, problem: "bad-frame-sequence", end: p };
        const len = head.readUInt32BE(4 + iv);
        if (len > h.frameLength)
          return {
            complete: false,
            frames: expected - 1,
            problem: "bad-final-frame-length",
            end: p,
          };
        const end = p + 4 + 4 + iv + 4 + len + tag;
        if (end > r.size)
          return { complete: false, frames: expected - 1, problem: "truncated", end: p };
        return { complete: true, frames: expected, problem: null, end };
      } catch (e) {
        if (e instanceof Truncated)
          return { complete: false, frames: expected - 1, problem: "truncated", end: p };
        throw e;
      }
    }
    if (seq !== expected)
      return { complete: false, frames: expected - 1, problem: "bad-frame-sequence", end: p };
    p += 4 + iv + h.frameLength + tag;
    if (p > r.size)
      return { complete: false, frames: expected - 1, problem: "truncated", end: r.size };
    expected++;
    if (expected > 0xfffffffe)
      return { complete: false, frames: expected - 1, problem: "too-many-frames", end: p };
  }
}

/** The P-256/P-384 public key of a signed message, from its compressed point (base64). */
function messagePublicKey(b64: string, curve: "P-256" | "P-384") {
  const point = ECDH.convertKey(
    Buffer.from(b64, "base64"),
    curve === "P-256" ? "prime256v1" : "secp384r1",
    undefined,
    undefined,
    "uncompressed",
  ) as Buffer;
  const n = (point.length - 1) / 2;
  return createPublicKey({
    key: {
      kty: "EC",
      crv: curve,
      x: point.subarray(1, 1 + n).toString("base64url"),
      y: point.subarray(1 + n).toString("base64url"),
    },
    format: "jwk",
  });
}

/** SHA-256 of the whole file and, when asked, an ECDSA check of bytes [0, signedEnd): one pass. */
async function digestAndVerify(
  path: string,
  size: number,
  check?: {
    signedEnd: number;
    hash: string;
    key: ReturnType<typeof createPublicKey>;
    signature: Buffer;
  },
): Promise<{ digest: string; valid: boolean }> {
  const sha = createHash("sha256");
  const verifier = check ? createVerify(check.hash) : undefined;
  let pos = 0;
  for await (const chunk of createReadStream(path, {
    highWaterMark: 1 << 20,
  }) as AsyncIterable<Buffer>) {
    sha.update(chunk);
    if (verifier && check && pos < check.signedEnd)
      verifier.update(chunk.subarray(0, Math.min(chunk.length, check.signedEnd - pos)));
    pos += chunk.length;
  }
  if (pos !== size) throw new PackageFormatError("package changed while it was read");
  let valid = false;
  if (verifier && check) {
    try {
      valid = verifier.verify({ key: check.key, dsaEncoding: "der" }, check.signature);
    } catch {
      valid = false;
    }
  }
  return { digest: `sha256:${sha.digest("hex")}`, valid };
}

interface Layout {
  size: number;
  header: MessageHeader;
  body: BodyWalk;
  trailing: number;
  /** The footer's signature bytes (signed suites, when present). */
  signature?: Buffer;
}

/** Header, frame walk and footer: the message's structure, read by positional reads only. */
async function readLayout(fh: FileHandle): Promise<Layout> {
  const { size } = await fh.stat();
  const r = new Reader(fh, size);
  let header: MessageHeader;
  try {
    header = await parseHeader(r);
  } catch (e) {
    if (e instanceof Truncated)
      throw new PackageFormatError(
        `not a complete AWS Encryption SDK message (${e.message} cut short)`,
      );
    throw e;
  }
  const suite = SUITES[header.suiteId];
  const body = await walkBody(r, header);
  let trailing = 0;
  let signature: Buffer | undefined;
  if (body.complete && suite?.signature) {
    const lenBytes = body.end + 2 <= size ? await r.bytes(body.end, 2, "signature") : undefined;
    const sigLen = lenBytes?.readUInt16BE(0);
    if (sigLen === undefined || body.end + 2 + sigLen > size) {
      body.complete = false;
      body.problem = "truncated";
    } else {
      signature = await r.bytes(body.end + 2, sigLen, "signature");
      trailing = size - (body.end + 2 + sigLen);
    }
  } else if (body.complete) {
    trailing = size - body.end;
  }
  if (body.complete && trailing > 0) body.problem = "trailing-bytes";
  return { size, header, body, trailing, signature };
}

async function openPackage(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (e) {
    throw new PackageFormatError(
      `cannot read package: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
}

/**
 * The structure check decrypt runs first: the header, and a body that ends exactly where the
 * message ends. (The ESDK stops reading an unsigned message at its final frame, so bytes appended
 * after it would otherwise pass unnoticed.) Returns the header, or a short problem code.
 */
export async function checkStructure(
  path: string,
): Promise<{ header: MessageHeader; problem: string | null }> {
  const fh = await openPackage(path);
  try {
    const { header, body } = await readLayout(fh);
    return { header, problem: body.problem ?? (body.complete ? null : "truncated") };
  } finally {
    await fh.close();
  }
}

/** Everything about a package that can be known without a key, as the package rules read it. */
export async function inspectPackage(
  path: string,
  name: string,
): Promise<{ document: PackageDocument; header: MessageHeader }> {
  const fh = await openPackage(path);
  try {
    const { size, header, body, trailing, signature: sig } = await readLayout(fh);
    const suite = SUITES[header.suiteId];
    let signature = { present: sig !== undefined, checked: false, valid: false };
    let check: Parameters<typeof digestAndVerify>[2];
    const pub = header.context[ESDK_PUBLIC_KEY];
    if (sig && suite?.signature && pub) {
      try {
        check = {
          signedEnd: body.end,
          hash: suite.signature.hash,
          key: messagePublicKey(pub, suite.signature.curve),
          signature: sig,
        };
      } catch {
        check = undefined; // not a point on the curve: reported as not checked
      }
    }
    const { digest, valid } = await digestAndVerify(path, size, check);
    if (check) signature = { present: true, checked: true, valid };
    const document: PackageDocument = {
      name,
      digest,
      size,
      format: {
        version: header.version,
        content_type: header.contentType,
        frame_length: header.frameLength,
      },
      suite: {
        id: header.suiteId,
        name: suite?.name ?? "",
        committing: suite?.committing ?? false,
        signed: suite?.signature !== undefined,
        known: suite !== undefined,
      },
      encryption_context: { ...header.context },
      encrypted_data_keys: header.dataKeys.map((k) => ({
        provider_id: k.providerId,
        provider_info: providerInfo(k.providerId, k.providerInfo),
      })),
      body: {
        complete: body.complete,
        frames: body.frames,
        trailing_bytes: trailing,
        problem: body.problem,
      },
      signature,
    };
    return { document, header };
  } finally {
    await fh.close();
  }
}

/**
 * Raw AES keyrings store key name + tag length (4) + IV length (4) + IV in the provider info; we
 * show the key name. KMS stores the key ARN.
 */
function providerInfo(providerId: string, info: Buffer): string {
  if (providerId === LOCAL_PROVIDER && info.length > 20) {
    const ivLen = info.readUInt32BE(info.length - 12 - 4);
    if (ivLen === 12) return info.subarray(0, info.length - 20).toString("utf8");
  }
  return info.toString("utf8");
}
