// The `dir` bundle storage: a directory served as the CDN origin. Every file is written to a temp name and then
// hard-linked to its final name, which fails if the name exists: a file is never overwritten and never seen half
// written, and an upload that a crash cut short is completed by the next one (identical files are accepted).
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
  unlinkSync,
  writeSync,
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
    const conflicts: string[] = [];
    const walk = (from: string, to: string, shown: string) => {
      for (const e of readdirSync(from, { withFileTypes: true })) {
        const s = join(from, e.name);
        const d = join(to, e.name);
        const n = shown ? `${shown}/${e.name}` : e.name;
        if (e.isDirectory()) {
          mkdirSync(d, { recursive: true });
          walk(s, d, n);
        } else if (e.isFile()) {
          if (!putFile(s, d)) conflicts.push(n);
        } else {
          throw new OperationFailed(
            'pointer/bundle-entry',
            `${rel}/${n}: a bundle holds only files and directories`,
          );
        }
      }
      fsyncDir(to);
    };
    walk(src, dest, '');
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

/** Creates `dest` with the bytes of `src` unless it exists; true when it now holds them (created or identical). */
function putFile(src: string, dest: string): boolean {
  const data = readFileSync(src);
  const tmp = join(dest, '..', `.rl-up-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, 'wx', (statSync(src).mode & 0o755) | 0o644);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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
  } finally {
    unlinkSync(tmp);
  }
}

export const isUploadTemp = (name: string) => TEMP.test(name);
