import { open } from "node:fs/promises";

/** Random access to one input object (a local file, an S3 object with ranged GETs, a Buffer). */
export interface ByteSource {
  size: number;
  /** Up to `length` bytes from `offset`; fewer only at the end of the object. */
  read(offset: number, length: number): Promise<Buffer>;
}

export function bufferSource(b: Buffer): ByteSource {
  return {
    size: b.length,
    // subarray, not a copy: the engine only reads, and a Buffer source is already in memory.
    read: async (offset, length) => b.subarray(offset, Math.min(b.length, offset + length)),
  };
}

export async function fileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    return {
      size,
      async read(offset, length) {
        const n = Math.max(0, Math.min(length, size - offset));
        const out = Buffer.allocUnsafe(n);
        let done = 0;
        // A read may return fewer bytes than asked before the end of the file.
        while (done < n) {
          const { bytesRead } = await fh.read(out, done, n - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === n ? out : out.subarray(0, done);
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}
