// The filesystem target's housekeeping: emptying the trash, pruning old store versions, dropping the store of a module
// nothing links to any more. None of it may change an operation's outcome: emptyTrash and pruneStore never throw for
// what they cannot delete (warnings, tried again later); dropModuleStore throws and its caller turns that into one.
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MOVE_TEMP } from '../fsutil/move.js';
import { kindOf, realDirChain, relSlash, removeScratchDir } from '../fsutil/safe-dirs.js';
import type { PruneResult } from './types.js';

/** What the housekeeping needs of the target. */
export interface GcTarget {
  readonly root: string;
  readonly stateDir: string;
  abs(rel: string): string;
  trash(p: string): void;
}

const STORE_PREFIX = '.ringlock/store';

export function errText(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? (e instanceof Error ? e.message : String(e));
}

/** Deletes trash/, staging/, temp links beside module links and cross-device move temps; returns what it could not. */
export function emptyTrash(t: GcTarget): string[] {
  const warnings: string[] = [];
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      warnings.push(`could not delete ${relSlash(t.root, what)} (${errText(e)}); tried again next time`);
    }
  };
  for (const d of ['trash', 'staging']) {
    const dir = join(t.stateDir, d);
    attempt(dir, () => removeScratchDir(dir));
  }
  const dirs = [t.root];
  try {
    for (const n of readdirSync(t.root))
      if (n.startsWith('@') && kindOf(join(t.root, n)) === 'dir') dirs.push(join(t.root, n));
  } catch {
    return warnings;
  }
  for (const dir of dirs) {
    let names: string[] = [];
    attempt(dir, () => {
      names = readdirSync(dir);
    });
    for (const n of names) {
      const p = join(dir, n);
      if (/^\..+\.rl-[0-9a-f]{12}$/.test(n) && kindOf(p) === 'link') attempt(p, () => unlinkSync(p));
      else if (MOVE_TEMP.test(n)) attempt(p, () => removeScratchDir(p));
    }
  }
  return warnings;
}

/** Keeps the newest `keep` store versions of a module and those in `protect`; see FilesystemTarget.prune. */
export function pruneStore(
  t: GcTarget,
  module: string,
  keep: number,
  protect: readonly (string | undefined)[],
): PruneResult {
  const out: PruneResult = { removed: [], warnings: [] };
  const c = realDirChain(t.stateDir, ['store', ...module.split('/')], false);
  if (!c.ok) return out;
  const dir = c.dir;
  const prefix = [STORE_PREFIX, ...module.split('/')].join('/');
  const drop = (rel: string, fn: () => void) => {
    try {
      fn();
      out.removed.push(rel);
    } catch (e) {
      out.warnings.push(`could not prune ${rel} (${errText(e)}); tried again after the next operation`);
    }
  };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    out.warnings.push(`could not read ${prefix} (${errText(e)})`);
    return out;
  }
  const versions: { rel: string; mtime: number }[] = [];
  for (const name of names) {
    const rel = `${prefix}/${name}`;
    const p = join(dir, name);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    // A cross-device move's temp a crash left here is no version.
    if (st.isDirectory() && MOVE_TEMP.test(name)) drop(rel, () => removeScratchDir(p));
    else if (st.isDirectory()) versions.push({ rel, mtime: st.mtimeMs });
    else if (!protect.includes(rel)) drop(rel, () => unlinkSync(p));
  }
  versions.sort((a, b) => b.mtime - a.mtime);
  versions.forEach((v, i) => {
    if (i < keep || protect.includes(v.rel)) return;
    drop(v.rel, () => t.trash(t.abs(v.rel)));
  });
  return out;
}

/**
 * Deletes `.ringlock/store/<module>` whole. Every directory above it must be a real one inside the state dir; a link
 * in its place is only unlinked, never followed. Whether there was anything; throws on failure.
 */
export function dropModuleStore(t: GcTarget, module: string): boolean {
  const parts = ['store', ...module.split('/')];
  const parent = realDirChain(t.stateDir, parts.slice(0, -1), false);
  if (!parent.ok) return false;
  const p = join(parent.dir, parts[parts.length - 1]!);
  const k = kindOf(p);
  if (k === 'absent') return false;
  if (k === 'dir') t.trash(p);
  else unlinkSync(p);
  return true;
}

/** The modules that have a store dir (`@scope/name` for scoped ones); only real directories count. */
export function storeModules(t: GcTarget): string[] {
  const store = realDirChain(t.stateDir, ['store'], false);
  if (!store.ok) return [];
  const out: string[] = [];
  for (const n of readdirSync(store.dir).sort()) {
    if (MOVE_TEMP.test(n) || kindOf(join(store.dir, n)) !== 'dir') continue;
    if (!n.startsWith('@')) out.push(n);
    else
      for (const m of readdirSync(join(store.dir, n)).sort())
        if (kindOf(join(store.dir, n, m)) === 'dir') out.push(`${n}/${m}`);
  }
  return out;
}
