// A registry that is a plain directory (the built-in default): `<root>/<module>/<version>/<files>`.
// Releases are immutable: publishing the same bytes again is a no-op, different bytes are refused.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  type Stats,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError, isErrnoException, OperationFailed } from '../../errors.js';
import { fsyncDir } from '../../fsutil/atomic-write.js';
import { moveSync } from '../../fsutil/move.js';
import {
  type ArtifactRef,
  type ArtifactRegistry,
  checkPublish,
  type PublishFile,
  resolveArtifact,
} from './types.js';

export class FileRegistry implements ArtifactRegistry {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = this.root;
  }

  async fetch(ref: ArtifactRef, dest: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const rel = resolveArtifact(ref, false) as string;
    const src = join(this.root, rel);
    try {
      // Reflink where the file system can (btrfs, XFS, APFS), a plain copy elsewhere; never over an existing dest.
      copyFileSync(src, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    } catch (e) {
      const code = isErrnoException(e) ? e.code : undefined;
      if (code !== 'EEXIST') rmSync(dest, { force: true });
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
        throw new OperationFailed(
          'registry/not-found',
          `${ref.module}@${ref.version}: no artifact at ${src} in the file registry`,
          { expected: `a file published with "ringlock publish" at ${rel}`, cause: e },
        );
      }
      throw new OperationFailed(
        'registry/read',
        `${ref.module}@${ref.version}: cannot copy ${src} (${code ?? String(e)})`,
        { cause: e },
      );
    }
  }

  async publish(module: string, version: string, files: PublishFile[]): Promise<{ artifact: string }> {
    const artifact = checkPublish(module, version, files);
    const dir = join(this.root, module, version);
    // Judge every file before writing any, so a refused publish changes nothing.
    const todo = files.filter((f) => !this.alreadyThere(module, version, f));
    if (todo.length > 0) mkdirSync(dir, { recursive: true });
    for (const f of todo) this.place(module, version, f);
    if (todo.length > 0) fsyncDir(dir);
    return { artifact };
  }

  /** True when the same bytes are already published; throws `registry/immutable` when different ones are. */
  private alreadyThere(module: string, version: string, f: PublishFile): boolean {
    const target = join(this.root, module, version, f.name);
    let st: Stats;
    try {
      st = statSync(target);
    } catch (e) {
      if (isErrnoException(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return false;
      throw new OperationFailed('registry/read', `${module}@${version}: cannot read ${target}`, { cause: e });
    }
    if (!st.isFile()) {
      throw new InputError('registry/immutable', `${module}@${version}: ${target} exists and is not a file`);
    }
    if (sameBytes(f.path, target)) return true;
    throw new InputError(
      'registry/immutable',
      `${module}@${version}: ${f.name} is already published with different content; releases are immutable`,
      { file: target, expected: `a new version number for changed content (not ${version})` },
    );
  }

  private place(module: string, version: string, f: PublishFile): void {
    const target = join(this.root, module, version, f.name);
    const tmp = join(dirname(target), `.${f.name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      copyFileSync(f.path, tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      // link() fails when the name exists, so a concurrent publisher's file is never replaced.
      try {
        linkSync(tmp, target);
      } catch (e) {
        if (!isErrnoException(e) || (e.code !== 'EPERM' && e.code !== 'ENOTSUP' && e.code !== 'EEXIST'))
          throw e;
        // EEXIST: someone published meanwhile; fine if it is the same bytes, refused otherwise.
        if (e.code === 'EEXIST') this.alreadyThere(module, version, f);
        else moveSync(tmp, target);
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new OperationFailed(
        'registry/write',
        `${module}@${version}: cannot write ${target} (${isErrnoException(e) ? e.code : String(e)})`,
        { cause: e },
      );
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}

/** Byte-for-byte comparison, in bounded chunks. */
function sameBytes(a: string, b: string): boolean {
  if (statSync(a).size !== statSync(b).size) return false;
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  const ba = Buffer.allocUnsafe(1 << 16);
  const bb = Buffer.allocUnsafe(1 << 16);
  try {
    for (;;) {
      const na = readSync(fa, ba, 0, ba.length, null);
      const nb = readSync(fb, bb, 0, bb.length, null);
      if (na !== nb || ba.compare(bb, 0, nb, 0, na) !== 0) return false;
      if (na === 0) return true;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}
