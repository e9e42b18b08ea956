/**
 * The rules every store applies, so that a key, metadata or tags accepted on one host are accepted
 * on the other: S3's limits, and a path-like key shape that a folder can hold without escaping it.
 * Messages name the rule, never the key or a value.
 */
import { Metadata, StoreError, Tags, keyRef } from "./types";

/** The local store's own folder at its root (metadata sidecars); no key may start with it. */
export const RESERVED_ROOT = ".imgsec-store";

/** Temporary names of handlers/fs/atomic.ts (`.<name>.tmp-<pid>-<12 hex>`): never keys. */
export const TEMP_NAME = /^\..+\.tmp-\d+-[0-9a-f]{12}$/;

const MAX_KEY_BYTES = 1024; // S3
// S3 limits user metadata to 2 KB (names and values, UTF-8); tags to 10, 128/256 characters.
const MAX_METADATA_BYTES = 2048;
const MAX_TAGS = 10;
const METADATA_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
// Printable ASCII: S3 returns other characters RFC 2047-encoded, so they would not compare equal.
const METADATA_VALUE = /^[\x20-\x7e]*$/;
// S3's tag alphabet is letters, digits, spaces and + - = . _ : / @; we keep it to ASCII.
const TAG_TEXT = /^[A-Za-z0-9 +\-=._:/@]*$/;

/**
 * Refuses a key that is not a relative, normalized path of at most 1024 UTF-8 bytes: no empty,
 * `.` or `..` segment, no leading or trailing `/`, no control character, not under the store's
 * reserved folder, no segment shaped like a temporary name.
 */
export function checkKey(key: string, what = "key"): string[] {
  const bad = (why: string): never => {
    throw new StoreError(`object ${what} ${keyRef(key)} is not acceptable: ${why}`, "invalid");
  };
  if (typeof key !== "string" || key.length === 0) bad("empty");
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) bad("longer than 1024 bytes");
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(key)) bad("it holds a control character");
  if (key.startsWith("/")) bad("it is an absolute path");
  if (key.endsWith("/")) bad("it names a folder");
  const segments = key.split("/");
  for (const s of segments) {
    if (s === "") bad("it holds an empty path segment");
    if (s === "." || s === "..") bad("it holds a . or .. segment");
    if (TEMP_NAME.test(s)) bad("it holds a temporary file name");
  }
  if (segments[0] === RESERVED_ROOT) bad(`it is under the reserved ${RESERVED_ROOT} folder`);
  return segments;
}

/** Refuses a list prefix that no acceptable key could start with the same way (".." etc.). */
export function checkPrefix(prefix: string): void {
  if (prefix === "") return;
  // A prefix is a key with its last segment possibly cut: check it with a stand-in last segment.
  checkKey(prefix.endsWith("/") ? `${prefix}x` : prefix, "prefix");
  const last = prefix.split("/").pop() ?? "";
  if (last === "." || last === "..")
    throw new StoreError(`object prefix ${keyRef(prefix)} is not acceptable`, "invalid");
}

export function checkMetadata(metadata: Metadata | undefined): void {
  if (!metadata) return;
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME.test(name))
      throw new StoreError(
        `metadata name ${JSON.stringify(name)} is not acceptable: lower-case letters, digits and -`,
        "invalid",
      );
    if (typeof value !== "string" || !METADATA_VALUE.test(value))
      throw new StoreError(
        `metadata ${JSON.stringify(name)}: the value must be printable ASCII`,
        "invalid",
      );
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (bytes > MAX_METADATA_BYTES)
    throw new StoreError(`metadata is ${bytes} bytes: at most ${MAX_METADATA_BYTES}`, "invalid");
}

export function checkTags(tags: Tags | undefined): void {
  if (!tags) return;
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS)
    throw new StoreError(`${entries.length} tags: at most ${MAX_TAGS}`, "invalid");
  for (const [name, value] of entries) {
    if (name.length < 1 || name.length > 128 || !TAG_TEXT.test(name) || name.startsWith("aws:"))
      throw new StoreError(
        `tag name ${JSON.stringify(name.slice(0, 128))} is not acceptable`,
        "invalid",
      );
    if (typeof value !== "string" || value.length > 256 || !TAG_TEXT.test(value))
      throw new StoreError(
        `tag ${JSON.stringify(name)}: the value is not acceptable (at most 256 of A-Z a-z 0-9 space + - = . _ : / @)`,
        "invalid",
      );
  }
}

/** S3's x-amz-tagging form: a URL query string, with %20 for spaces (not +). */
export function encodeTags(tags: Tags): string {
  return Object.entries(tags)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
}

/** Orders keys as S3 lists them: by UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
