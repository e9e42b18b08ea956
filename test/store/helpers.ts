import { createCipheriv, createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { StoreError } from "../../handlers/store";

export const tmp = () => mkdtempSync(join(tmpdir(), "imgsec-store-"));

/** `size` reproducible pseudo-random bytes (AES-256-CTR keystream of `seed`), in 1 MiB chunks. */
export function generated(
  size: number,
  seed: string,
  opts: { failAt?: number; onChunk?: () => void } = {},
): Readable {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 20);
  let sent = 0;
  return new Readable({
    read() {
      if (opts.failAt !== undefined && sent >= opts.failAt) {
        this.destroy(new Error("source failed"));
        return;
      }
      if (sent >= size) return void this.push(null);
      const n = Math.min(zeros.length, size - sent);
      sent += n;
      opts.onChunk?.();
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

/** The bytes `generated(size, seed)` yields, whole (for small sizes). */
export function generatedBytes(size: number, seed: string): Buffer {
  const key = createHash("sha256").update(seed).digest();
  return createCipheriv("aes-256-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

export async function sha256Of(
  stream: Readable,
  /** Called once per MiB read. */
  onChunk?: () => void,
): Promise<{ hex: string; bytes: number }> {
  const h = createHash("sha256");
  let bytes = 0;
  for await (const chunk of stream) {
    // At most once per MiB that passes.
    if (
      onChunk &&
      Math.floor((bytes + (chunk as Buffer).length) / 2 ** 20) > Math.floor(bytes / 2 ** 20)
    )
      onChunk();
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hex: h.digest("hex"), bytes };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** The StoreError a promise rejects with (fails the test if it resolves or throws another). */
export async function storeError(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StoreError) return e;
    throw e;
  }
  throw new Error("expected a StoreError");
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A key shaped like the folders people make: PHI in every segment. */
export const PHI_KEY = "DOE^JANE 1961-04-12/MRN 4417123/CT chest.dcm";
export const PHI_PARTS = ["DOE", "JANE", "1961", "4417123", "chest"];
