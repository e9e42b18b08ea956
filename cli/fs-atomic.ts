/**
 * The CLI's atomic writes: the one shared helper in handlers/fs/atomic.ts (fsync of the file and
 * of its directory around the rename), under the names the commands already use.
 */
import { writeFileAtomic } from "../handlers/fs/atomic";
import { fsError } from "./errors";

export { replaceDirAtomically, writeAtomicallyFrom, writeFileAtomic } from "../handlers/fs/atomic";

/** Writes a file under a temporary name in the same directory, fsyncs it, renames it into place. */
export function writeFileAtomically(target: string, data: string | Buffer, mode = 0o644): void {
  writeFileAtomic(target, data, { mode });
}

/**
 * Writes a command's `--out` file atomically; a file-system error becomes the one-line
 * "cannot write the --out file: EACCES", naming the path only under --show-paths.
 */
export function writeOutFile(target: string, data: string | Buffer, showPaths?: boolean): void {
  try {
    writeFileAtomically(target, data);
  } catch (e) {
    throw fsError(e, "cannot write the --out file", { path: target, showPaths });
  }
}
