// The filesystem target: immutable version dirs in <root>/.ringlock/store/<module>/<version>-<hash8>/, and the active
// version as the symlink <root>/<module>, switched atomically (temp link + rename + directory fsync).
// Copy mode, for hosts that cannot follow symlinks, copies the version dir into <root>/<module> instead.
// Anything at a module's path that ringlock did not put there is never replaced or deleted (see inspect()).
// Every rename goes through fsutil/move.ts, which survives EXDEV (an overlay's lower layer, a store on another device);
// the housekeeping (trash, pruning, retention) is filesystem-gc.ts.
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InputError, OperationFailed } from '../errors.js';
import { fsyncDir } from '../fsutil/atomic-write.js';
import { moveSync } from '../fsutil/move.js';
import { isInside, kindOf, ownScratchDir, realDirChain, relSlash } from '../fsutil/safe-dirs.js';
import type { DeployedState } from '../state/types.js';
import { filesystemDrift } from './filesystem-drift.js';
import { dropModuleStore, emptyTrash, pruneStore, storeModules } from './filesystem-gc.js';
import type { DeployTarget, PathOwnership, PruneResult, TargetMode } from './types.js';

/** Where `--adopt` moves what it finds at a module's path, relative to the target. */
export const ADOPTED_DIR = 'adopted';

export const STATE_DIRNAME = '.ringlock';

const rand = () => randomBytes(6).toString('hex');

export class FilesystemTarget implements DeployTarget {
  readonly root: string;
  readonly mode: TargetMode;
  readonly stateDir: string;

  constructor(root: string, mode: TargetMode = 'symlink') {
    this.root = resolve(root);
    this.mode = mode;
    this.stateDir = join(this.root, STATE_DIRNAME);
  }

  /**
   * Where the module is visible to the platform: `<root>/<module>` (scoped names nest: `<root>/@acme/analytics`), or
   * `<root>/<path>` when the lock gives its folder's case (`Orders`). A path is only ever the name in other letter
   * case, so it cannot leave the target or take another module's place.
   */
  modulePath(module: string, path?: string): string {
    if (
      path !== undefined &&
      (path.toLowerCase() !== module || path.split('/').some((p) => p === '' || p === '.' || p === '..'))
    )
      throw new InputError('target/module-path', `${path}: not a deploy path of module ${module}`, {
        expected: `"${module}" in other letter case`,
      });
    return join(this.root, ...(path ?? module).split('/'));
  }

  /** Store dir of a version, relative to the root: `.ringlock/store/<module>/<version>-<first 8 hex of the content hash>`. */
  storeDirFor(module: string, version: string, sha256: string): string {
    const hex = sha256.startsWith('sha256:') ? sha256.slice(7) : sha256;
    return [STATE_DIRNAME, 'store', ...module.split('/'), `${version}-${hex.slice(0, 8)}`].join('/');
  }

  abs(rel: string): string {
    const p = resolve(this.root, rel);
    if (p !== this.root && !p.startsWith(this.root + sep)) {
      throw new InputError('target/path', `${rel}: outside the target`, {
        expected: 'a path inside the target',
      });
    }
    return p;
  }

  /** A fresh, not yet existing staging path on the same file system as the store (so rename is atomic). */
  newStagingDir(label: string): string {
    const dir = ownScratchDir(this.stateDir, 'staging');
    return join(dir, `${label.replace(/[^a-zA-Z0-9._-]/g, '_')}-${rand()}`);
  }

  /** The directories of a store path below the state dir: `.ringlock/store/m/1.0.0-ab` → [store, m]. */
  private storeParts(rel: string): string[] {
    const parts = relative(this.stateDir, this.abs(rel)).split(sep);
    if (parts[0] !== 'store' || parts.length < 3)
      throw new InputError('target/path', `${rel}: not a store path`, {
        expected: '.ringlock/store/<module>/<dir>',
      });
    return parts.slice(0, -1);
  }

  /** The store dir holding `rel`, when every directory down to it is a real one inside the state dir; else undefined. */
  private storeParent(rel: string): string | undefined {
    const c = realDirChain(this.stateDir, this.storeParts(rel), false);
    return c.ok ? c.dir : undefined;
  }

  /** `rel` and the repair copies beside it (`rel.<id>`) that exist, canonical first. */
  storeCandidates(rel: string): string[] {
    const dir = this.storeParent(rel);
    if (dir === undefined) return [];
    const base = rel.split('/').pop()!;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    // Store trees are real directories: a link in their place is not a candidate (hashing would follow it).
    names = names.filter((n) => kindOf(join(dir, n)) === 'dir');
    const out = names.includes(base) ? [rel] : [];
    const prefix = rel.slice(0, rel.length - base.length);
    for (const n of names.sort()) if (n.startsWith(`${base}.`)) out.push(`${prefix}${n}`);
    return out;
  }

  /** Whether anything (even a dangling link) is at `rel`. */
  exists(rel: string): boolean {
    return kindOf(this.abs(rel)) !== 'absent';
  }

  hasStore(rel: string): boolean {
    return this.exists(rel);
  }

  /**
   * Moves an extracted, verified tree into the store. A tree already there under that name is moved aside first.
   * Every directory on the way must be a real one inside the state dir: a symlink there is refused, never followed.
   */
  commitToStore(staged: string, rel: string): void {
    const dest = this.abs(rel);
    mkdirSync(this.stateDir, { recursive: true });
    const chain = realDirChain(this.stateDir, this.storeParts(rel), true);
    if (!chain.ok) {
      throw new OperationFailed(
        'target/store-path',
        `${relSlash(this.root, chain.at)} is ${chain.what}: ringlock keeps only real directories in its store and never follows links out of it`,
        {
          expected: `a real directory (remove ${relSlash(this.root, chain.at)}; the next apply recreates it)`,
        },
      );
    }
    const k = kindOf(dest);
    if (k === 'link' || k === 'file') unlinkSync(dest);
    else if (k !== 'absent') this.trash(dest);
    moveSync(staged, dest);
    fsyncDir(dirname(dest));
  }

  /** Drops a store tree nothing links to any more (a damaged one a reinstall replaced); a link there is only unlinked. */
  discardStore(rel: string): void {
    if (this.storeParent(rel) === undefined) return;
    const p = this.abs(rel);
    const k = kindOf(p);
    if (k === 'dir') this.trash(p);
    else if (k !== 'absent') unlinkSync(p);
  }

  observeDrift(state: DeployedState, quick: boolean): Promise<Map<string, string>> {
    return filesystemDrift(this, state, quick);
  }

  /** The store dir the module's link points at (symlink mode), or undefined. */
  activeStoreDir(module: string, path?: string): string | undefined {
    const p = this.modulePath(module, path);
    try {
      if (!lstatSync(p).isSymbolicLink()) return undefined;
    } catch {
      return undefined;
    }
    return relative(this.root, resolve(dirname(p), readlinkSync(p)))
      .split(sep)
      .join('/');
  }

  /**
   * Whether ringlock put what is at the module's path there. `recorded`: the state records the module as deployed.
   * Ringlock's own: a symlink into its store of a recorded module, or (copy mode) the real directory of a recorded
   * module. Anything else — a directory or file someone made, a link out of the store, a link the state does not
   * record, a symlinked `@scope` parent — is unmanaged: never replaced or deleted.
   */
  inspect(module: string, recorded: boolean, path?: string): PathOwnership {
    const p = this.modulePath(module, path);
    const shown = path ?? module;
    const parent = dirname(p);
    if (parent !== this.root) {
      const k = kindOf(parent);
      if (k !== 'absent' && k !== 'dir')
        return {
          kind: 'unmanaged',
          what: `${relSlash(this.root, parent)} is ${k === 'link' ? 'a symlink' : `a ${k}`}`,
        };
    }
    const k = kindOf(p);
    if (k === 'absent') return { kind: 'absent' };
    if (k === 'link') {
      const to = readlinkSync(p);
      const inStore = isInside(join(this.stateDir, 'store'), resolve(parent, to));
      if (inStore && recorded) return { kind: 'managed' };
      return {
        kind: 'unmanaged',
        what: inStore
          ? `${shown} is a link into ringlock's store that the state does not record`
          : `${shown} is a symlink to ${to}, outside ringlock's store`,
      };
    }
    if (k === 'dir') {
      if (this.mode === 'copy' && recorded) return { kind: 'managed' };
      return {
        kind: 'unmanaged',
        what: `${shown} is a directory ringlock did not create${this.mode === 'symlink' ? ' (it installs a link here)' : ''}`,
      };
    }
    return { kind: 'unmanaged', what: `${shown} is a ${k === 'file' ? 'file' : 'special file'}` };
  }

  /** A free path for adopt(): `.ringlock/adopted/<module>-<UTC time>` (`-<id>` added when that is taken). */
  adoptedPathFor(module: string, at: Date): string {
    const stamp = at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const rel = `${[STATE_DIRNAME, ADOPTED_DIR, ...module.split('/')].join('/')}-${stamp}`;
    return this.exists(rel) ? `${rel}-${rand()}` : rel;
  }

  /**
   * Moves what is at the module's path to `rel` (from adoptedPathFor) by one rename: it is either still in place or
   * whole in the backup, whenever the process stops. Its directories are real ones inside the state dir.
   */
  adopt(module: string, rel: string, at?: string): void {
    const path = this.modulePath(module, at);
    // A `@scope` that is a symlink (or a file) is what was planted: that entry itself moves aside, never what it
    // points to (renaming a path through the link would carry content from outside the target into the backup).
    const parent = dirname(path);
    const p = parent !== this.root && kindOf(parent) !== 'dir' && kindOf(parent) !== 'absent' ? parent : path;
    const dest = this.abs(rel);
    mkdirSync(this.stateDir, { recursive: true });
    const chain = realDirChain(this.stateDir, relative(this.stateDir, dirname(dest)).split(sep), true);
    if (!chain.ok || kindOf(dest) !== 'absent')
      throw new OperationFailed(
        'target/adopt',
        `cannot adopt ${module}: ${chain.ok ? `${rel} exists` : `${relSlash(this.root, chain.at)} is ${chain.what}`}`,
      );
    moveSync(p, dest);
    fsyncDir(dirname(p));
    fsyncDir(dirname(dest));
  }

  /**
   * Makes `rel` the active version of `module`, or removes the module when `rel` is undefined. Only what ringlock put
   * at the path is replaced: a link into the store, or (copy mode) a real directory. `owned`: the path is ringlock's
   * (the state records the module, or ringlock switched it itself in this operation or the journaled one); for a
   * first install it is false, and anything that appeared at the path meanwhile is refused. Anything unmanaged is
   * refused (switching in) or left where it is (removing).
   */
  activate(module: string, rel: string | undefined, owned: boolean, path?: string): void {
    const link = this.modulePath(module, path);
    const parent = dirname(link);
    const found = this.inspect(module, owned, path);
    if (found.kind === 'unmanaged') {
      if (rel === undefined) return;
      throw new OperationFailed(
        'target/unmanaged-path',
        `unmanaged path: ${found.what}; ringlock does not replace what it did not create`,
        { expected: `--adopt (moves it to ${STATE_DIRNAME}/${ADOPTED_DIR}/), or remove it` },
      );
    }
    mkdirSync(parent, { recursive: true });
    if (rel === undefined) {
      this.removeEntry(link);
      fsyncDir(parent);
      return;
    }
    const source = this.abs(rel);
    if (!statSync(source).isDirectory()) throw new InputError('target/store', `${rel}: not a stored version`);
    if (this.mode === 'symlink') {
      const tmp = join(parent, `.${module.split('/').pop()}.rl-${rand()}`);
      symlinkSync(relative(parent, source), tmp);
      // rename() replaces a symlink atomically, but not a directory: a directory in the way (copy mode before) goes aside.
      if (isRealDir(link)) this.trash(link);
      moveSync(tmp, link);
    } else {
      const copy = this.newStagingDir(`copy-${module}`);
      cpSync(source, copy, { recursive: true, verbatimSymlinks: true });
      if (existsSync(link) || isLink(link)) this.trash(link);
      moveSync(copy, link);
    }
    fsyncDir(parent);
  }

  private removeEntry(p: string): void {
    if (isLink(p)) unlinkSync(p);
    else if (existsSync(p)) this.trash(p);
  }

  /**
   * Renames a tree aside; deleting it happens later, off the hot path (creating files where others were just deleted
   * is slow). Where it cannot be renamed into the trash (EXDEV: another file system, an overlay's lower layer), it is
   * deleted where it is: copying what is being thrown away would only cost time.
   */
  trash(p: string): void {
    const dir = ownScratchDir(this.stateDir, 'trash', 0o755);
    moveSync(p, join(dir, `${p.split(sep).pop()}-${rand()}`), { discard: true });
  }

  /**
   * Deletes trashed trees, abandoned staging dirs, temp links a killed switch left beside the module links and the
   * temps of a cross-device move. Never throws: returns warnings naming what it could not delete (tried again later).
   */
  emptyTrash(): string[] {
    return emptyTrash(this);
  }

  /**
   * Keeps the newest `keep` store versions of a module, and always those in `protect` (active, previous). A module
   * store dir that is not a real directory inside the state dir (a symlink) is left alone: nothing is followed or
   * removed through it. An entry that is not a directory (a symlink planted there) is no store tree: it is unlinked,
   * never followed, unless protected. Never throws for what it cannot remove: those are warnings.
   */
  prune(module: string, keep: number, protect: readonly (string | undefined)[]): PruneResult {
    return pruneStore(this, module, keep, protect);
  }

  /** The modules that have a store dir. */
  storeModules(): string[] {
    return storeModules(this);
  }

  /** Deletes every stored version of a module nothing links to any more; throws on failure. */
  dropModuleStore(module: string): boolean {
    return dropModuleStore(this, module);
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function isRealDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}
