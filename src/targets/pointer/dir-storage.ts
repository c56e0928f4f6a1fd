// The `dir` bundle storage: a directory served as the CDN origin. Every file is written to a temp name and then
// hard-linked to its final name, which fails if the name exists: a file is never overwritten and never seen half
// written, and an upload that a crash cut short is completed by the next one (identical files are accepted). An upload
// that conflicts with a stored file links none of its files.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { InputError, OperationFailed } from '../../errors.js';
import { fsyncDir } from '../../fsutil/atomic-write.js';
import { hashTree } from '../../hash/tree-hash.js';
import type { BundleStorage, StoredBundle } from './storage.js';

const TEMP = /^\.rl-up-[0-9a-f]{12}$/;

export class DirBundleStorage implements BundleStorage {
  readonly root: string;
  readonly name: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.name = `dir ${this.root}`;
  }

  /** The absolute path of a storage path; refuses one outside the storage. */
  abs(rel: string): string {
    const p = resolve(this.root, rel);
    if (!p.startsWith(this.root + sep))
      throw new InputError('pointer/path', `${rel}: outside the bundle storage`, {
        expected: '{name}/{version}-{hash8}',
      });
    return p;
  }

  put(rel: string, src: string): void {
    const dest = this.abs(rel);
    mkdirSync(dest, { recursive: true });
    // 1. Every file to a temp name beside its final one; 2. all of them durable at once; 3. each linked to its name
    // (EEXIST: an identical file is accepted, a different one is a conflict); 4. the directories durable.
    const files: { tmp: string; to: string; shown: string; data: Buffer }[] = [];
    const dirs: string[] = [dest];
    const walk = (from: string, to: string, shown: string) => {
      // Temp files an upload killed midway left behind: never a final name, so never served or linked.
      for (const n of readdirSync(to)) if (TEMP.test(n)) rmSync(join(to, n), { force: true });
      for (const e of readdirSync(from, { withFileTypes: true })) {
        const s = join(from, e.name);
        const d = join(to, e.name);
        const n = shown ? `${shown}/${e.name}` : e.name;
        if (e.isDirectory()) {
          mkdirSync(d, { recursive: true });
          dirs.push(d);
          walk(s, d, n);
        } else if (e.isFile()) {
          const data = readFileSync(s);
          const tmp = join(to, `.rl-up-${randomBytes(6).toString('hex')}`);
          writeFileSync(tmp, data, { flag: 'wx', mode: (statSync(s).mode & 0o755) | 0o644 });
          files.push({ tmp, to: d, shown: n, data });
        } else {
          throw new OperationFailed(
            'pointer/bundle-entry',
            `${rel}/${n}: a bundle holds only files and directories`,
          );
        }
      }
    };
    const conflicts: string[] = [];
    try {
      walk(src, dest, '');
      durable(
        this.root,
        files.map((f) => f.tmp),
      );
      // Every destination is checked before any file is linked: a conflicting upload links nothing.
      for (const f of files) if (!absentOrSame(f.to, f.data)) conflicts.push(f.shown);
      if (conflicts.length === 0)
        for (const f of files) if (!linkOnce(f.tmp, f.to, f.data)) conflicts.push(f.shown);
    } finally {
      for (const f of files) rmSync(f.tmp, { force: true });
    }
    for (const d of dirs.reverse()) fsyncDir(d);
    if (conflicts.length > 0)
      throw new OperationFailed(
        'pointer/bundle-conflict',
        `${this.name}: ${rel} already holds different content (${conflicts.slice(0, 3).join(', ')}${conflicts.length > 3 ? ', …' : ''}); stored files are never overwritten`,
        {
          expected:
            'remove the bundle directory from the storage by hand if it is not in use, then run again',
        },
      );
  }

  has(rel: string): boolean {
    try {
      return lstatSync(this.abs(rel)).isDirectory();
    } catch {
      return false;
    }
  }

  list(module: string): StoredBundle[] {
    const dir = this.abs(module);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const out: StoredBundle[] = [];
    for (const n of names) {
      try {
        const st = lstatSync(join(dir, n));
        if (st.isDirectory()) out.push({ dir: n, mtimeMs: st.mtimeMs });
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  modules(): string[] {
    const out: string[] = [];
    const dirs = (p: string) => {
      try {
        return readdirSync(p, { withFileTypes: true })
          .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
          .map((e) => e.name);
      } catch {
        return [];
      }
    };
    for (const n of dirs(this.root)) {
      if (n.startsWith('@')) for (const m of dirs(join(this.root, n))) out.push(`${n}/${m}`);
      else out.push(n);
    }
    return out.sort();
  }

  remove(rel: string): void {
    rmSync(this.abs(rel), { recursive: true, force: true });
  }

  async verify(rel: string, sha256: string): Promise<string | undefined> {
    if (!this.has(rel)) return `${rel} is missing from the bundle storage`;
    try {
      const h = await hashTree(this.abs(rel), rel);
      return h.digest === sha256
        ? undefined
        : `bundle ${rel} changed in the storage (${h.digest.slice(0, 19)}…, recorded ${sha256.slice(0, 19)}…)`;
    } catch (e) {
      return `bundle ${rel} cannot be verified: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
}

/**
 * Makes the temp files durable: one `sync -f` (syncfs of the storage's file system) when coreutils has it — one call
 * instead of one fsync per file, which dominates an upload of many small files — else an fsync per file.
 */
function durable(root: string, paths: string[]): void {
  if (paths.length === 0) return;
  if (paths.length > 4 && spawnSync('sync', ['-f', root], { stdio: 'ignore' }).status === 0) return;
  for (const p of paths) {
    const fd = openSync(p, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** Whether `dest` does not exist or already holds `data`. */
function absentOrSame(dest: string, data: Buffer): boolean {
  try {
    lstatSync(dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    return false;
  }
  try {
    return readFileSync(dest).equals(data);
  } catch {
    return false;
  }
}

/** Links `tmp` to `dest` unless `dest` exists; true when `dest` now holds `data` (linked, or identical already). */
function linkOnce(tmp: string, dest: string, data: Buffer): boolean {
  try {
    linkSync(tmp, dest);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      return readFileSync(dest).equals(data);
    } catch {
      return false;
    }
  }
}
