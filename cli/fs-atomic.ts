/**
 * The CLI's atomic writes: the one shared helper in handlers/fs/atomic.ts (fsync of the file and
 * of its directory around the rename), under the names the commands already use.
 */
import { writeFileAtomic } from "../handlers/fs/atomic";

export { replaceDirAtomically, writeAtomicallyFrom, writeFileAtomic } from "../handlers/fs/atomic";

/** Writes a file under a temporary name in the same directory, fsyncs it, renames it into place. */
export function writeFileAtomically(target: string, data: string | Buffer, mode = 0o644): void {
  writeFileAtomic(target, data, { mode });
}
