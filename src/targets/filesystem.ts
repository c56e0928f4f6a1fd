// The filesystem target: immutable version dirs in <root>/.ringlock/store/<module>/<version>-<hash8>/, and the active
// version as the symlink <root>/<module>, switched atomically (temp link + rename + directory fsync).
// Copy mode, for hosts that cannot follow symlinks, copies the version dir into <root>/<module> instead.
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';
import { fsyncDir } from '../fsutil/atomic-write.js';

export type TargetMode = 'symlink' | 'copy';

export const STATE_DIRNAME = '.ringlock';

const rand = () => randomBytes(6).toString('hex');

export class FilesystemTarget {
  readonly root: string;
  readonly mode: TargetMode;
  readonly stateDir: string;

  constructor(root: string, mode: TargetMode = 'symlink') {
    this.root = resolve(root);
    this.mode = mode;
    this.stateDir = join(this.root, STATE_DIRNAME);
  }

  /** Where the module is visible to the platform: `<root>/<module>` (scoped names nest: `<root>/@acme/analytics`). */
  modulePath(module: string): string {
    return join(this.root, ...module.split('/'));
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
    const dir = join(this.stateDir, 'staging');
    mkdirSync(this.stateDir, { recursive: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return join(dir, `${label.replace(/[^a-zA-Z0-9._-]/g, '_')}-${rand()}`);
  }

  /** `rel` and the repair copies beside it (`rel.<id>`) that exist, canonical first. */
  storeCandidates(rel: string): string[] {
    const dir = dirname(this.abs(rel));
    const base = rel.split('/').pop()!;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const out = names.includes(base) ? [rel] : [];
    const prefix = rel.slice(0, rel.length - base.length);
    for (const n of names.sort()) if (n.startsWith(`${base}.`)) out.push(`${prefix}${n}`);
    return out;
  }

  hasStore(rel: string): boolean {
    return existsSync(this.abs(rel));
  }

  /** Moves an extracted, verified tree into the store. A tree already there under that name is moved aside first. */
  commitToStore(staged: string, rel: string): void {
    const dest = this.abs(rel);
    mkdirSync(dirname(dest), { recursive: true });
    if (existsSync(dest)) this.trash(dest);
    renameSync(staged, dest);
    fsyncDir(dirname(dest));
  }

  /** The store dir the module's link points at (symlink mode), or undefined. */
  activeStoreDir(module: string): string | undefined {
    const p = this.modulePath(module);
    try {
      if (!lstatSync(p).isSymbolicLink()) return undefined;
    } catch {
      return undefined;
    }
    return relative(this.root, resolve(dirname(p), readlinkSync(p)))
      .split(sep)
      .join('/');
  }

  /** Makes `rel` the active version of `module`, or removes the module when `rel` is undefined. */
  activate(module: string, rel: string | undefined): void {
    const link = this.modulePath(module);
    const parent = dirname(link);
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
      // rename() replaces a symlink atomically, but not a directory: a real directory in the way is moved aside first.
      if (isRealDir(link)) this.trash(link);
      renameSync(tmp, link);
    } else {
      const copy = this.newStagingDir(`copy-${module}`);
      cpSync(source, copy, { recursive: true, verbatimSymlinks: true });
      if (existsSync(link) || isLink(link)) this.trash(link);
      renameSync(copy, link);
    }
    fsyncDir(parent);
  }

  private removeEntry(p: string): void {
    if (isLink(p)) unlinkSync(p);
    else if (existsSync(p)) this.trash(p);
  }

  /** Renames a tree aside; deleting it happens later, off the hot path (creating files where others were just deleted is slow). */
  trash(p: string): void {
    const dir = join(this.stateDir, 'trash');
    mkdirSync(dir, { recursive: true });
    renameSync(p, join(dir, `${p.split(sep).pop()}-${rand()}`));
  }

  /** Deletes trashed trees, abandoned staging dirs, and temp links a killed switch left beside the module links. */
  emptyTrash(): void {
    for (const d of ['trash', 'staging']) rmSync(join(this.stateDir, d), { recursive: true, force: true });
    const dirs = [this.root];
    try {
      for (const n of readdirSync(this.root)) if (n.startsWith('@')) dirs.push(join(this.root, n));
    } catch {
      return;
    }
    for (const dir of dirs) {
      for (const n of readdirSync(dir)) {
        if (/^\..+\.rl-[0-9a-f]{12}$/.test(n) && isLink(join(dir, n))) unlinkSync(join(dir, n));
      }
    }
  }

  /** Keeps the newest `keep` store versions of a module, and always those in `protect` (active, previous). */
  prune(module: string, keep: number, protect: readonly (string | undefined)[]): string[] {
    const dir = join(this.stateDir, 'store', ...module.split('/'));
    if (!existsSync(dir)) return [];
    const prefix = [STATE_DIRNAME, 'store', ...module.split('/')].join('/');
    const versions = readdirSync(dir)
      .map((name) => ({ rel: `${prefix}/${name}`, mtime: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    const removed: string[] = [];
    versions.forEach((v, i) => {
      if (i < keep || protect.includes(v.rel)) return;
      this.trash(this.abs(v.rel));
      removed.push(v.rel);
    });
    return removed;
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
