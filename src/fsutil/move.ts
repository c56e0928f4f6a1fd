// Renames that also work across devices. rename(2) fails with EXDEV when source and destination are on different file
// systems (a store on a tmpfs) and, on overlayfs, for any directory that lives in a lower layer even within one mount.
// Every rename in ringlock goes through moveSync: on EXDEV the tree is copied to a temp beside the destination,
// fsynced, renamed into place on the destination's device, and only then is the source deleted.
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, fsyncSync, lstatSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isErrnoException } from '../errors.js';
import { fsyncDir } from './fsync.js';

/** The temp a cross-device move copies into, beside its destination: `.<name>.rl-mv-<12 hex>`. */
export const MOVE_TEMP = /^\..+\.rl-mv-[0-9a-f]{12}$/;

export interface MoveOptions {
  /**
   * The source is on its way to be deleted (the trash): on EXDEV it is deleted where it is instead of copied first.
   * Only for what nothing needs any more.
   */
  discard?: boolean;
}

/** How a move happened: one rename, a copy across devices, or (discard) the source deleted in place. */
export type MoveResult = 'renamed' | 'copied' | 'deleted';

/**
 * Moves `src` (a file, symlink or directory tree) to `dest`, as rename() would: an existing `dest` is replaced only
 * when rename() would replace it (a file or link; an empty directory). Within one device it is one atomic rename.
 * Across devices the destination still appears in one rename (of a complete, fsynced copy), but the source is deleted
 * after it: a crash in between leaves both.
 */
export function moveSync(src: string, dest: string, opts: MoveOptions = {}): MoveResult {
  try {
    renameSync(src, dest);
    return 'renamed';
  } catch (e) {
    if (!isErrnoException(e) || e.code !== 'EXDEV') throw e;
  }
  if (opts.discard) {
    rmSync(src, { recursive: true, force: true });
    fsyncDir(dirname(src));
    return 'deleted';
  }
  const tmp = join(dirname(dest), `.${basename(dest)}.rl-mv-${randomBytes(6).toString('hex')}`);
  try {
    cpSync(src, tmp, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      errorOnExist: true,
    });
    fsyncTree(tmp);
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  fsyncDir(dirname(dest));
  rmSync(src, { recursive: true, force: true });
  fsyncDir(dirname(src));
  return 'copied';
}

/** fsyncs every regular file and directory of a tree (links are not followed), deepest first. */
export function fsyncTree(p: string): void {
  const st = lstatSync(p);
  if (st.isDirectory()) {
    for (const n of readdirSync(p)) fsyncTree(join(p, n));
    fsyncDir(p);
  } else if (st.isFile()) {
    const fd = openSync(p, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
