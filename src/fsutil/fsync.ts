// fsync of a directory, shared by the atomic writes and the moves.
import { closeSync, fsyncSync, openSync } from 'node:fs';

/** fsync a directory, so a rename or creation in it survives a power loss. Some file systems refuse; that is tolerated. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every file system allows fsync on a directory; the rename itself has happened.
  }
}
