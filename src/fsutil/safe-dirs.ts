// Directories inside ringlock's state dir that it creates, moves things into and deletes: every component is
// lstat'ed and a symlink is never followed, so nothing planted there can point a prune or a trash run outside.
import { lstatSync, mkdirSync, realpathSync, rmSync, unlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Whether `child` is `parent` or below it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/** What a path is without following it: absent, dir, link, file or other. */
export function kindOf(p: string): 'absent' | 'dir' | 'link' | 'file' | 'other' {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(p);
  } catch {
    return 'absent';
  }
  if (st.isSymbolicLink()) return 'link';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return 'other';
}

/**
 * A scratch dir that is ringlock's alone (trash, staging, adopted): a symlink or file in its place holds nothing of
 * ringlock's, so it is unlinked (never followed, what it points to is left alone) and a real directory made.
 */
export function ownScratchDir(stateDir: string, name: string, mode = 0o700): string {
  mkdirSync(stateDir, { recursive: true });
  const dir = join(stateDir, name);
  const k = kindOf(dir);
  if (k === 'link' || k === 'file' || k === 'other') unlinkSync(dir);
  if (k !== 'dir') mkdirSync(dir, { mode });
  return dir;
}

/** Deletes a scratch dir and what is in it; a symlink in its place is unlinked, never followed. */
export function removeScratchDir(dir: string): void {
  const k = kindOf(dir);
  if (k === 'absent') return;
  if (k === 'dir') rmSync(dir, { recursive: true, force: true });
  else unlinkSync(dir);
}

/**
 * Checks (and with `create`, makes) each directory from `base` down through `parts`: every one must be a real
 * directory, and the last one's real path must stay inside `base`'s. Returns the path that is not, and what it is.
 */
export function realDirChain(
  base: string,
  parts: readonly string[],
  create: boolean,
): { ok: true; dir: string } | { ok: false; at: string; what: string } {
  let dir = base;
  for (const part of parts) {
    dir = join(dir, part);
    const k = kindOf(dir);
    if (k === 'absent') {
      if (!create) return { ok: false, at: dir, what: 'missing' };
      mkdirSync(dir);
      continue;
    }
    if (k !== 'dir') return { ok: false, at: dir, what: k === 'link' ? 'a symlink' : `a ${k}` };
  }
  try {
    const real = realpathSync(dir);
    if (!isInside(realpathSync(base), real)) return { ok: false, at: dir, what: `resolves to ${real}` };
  } catch {
    return { ok: false, at: dir, what: 'missing' };
  }
  return { ok: true, dir };
}

/** `p` relative to `root`, with forward slashes (for messages and store paths). */
export function relSlash(root: string, p: string): string {
  return relative(root, p).split(sep).join('/');
}
