// Writes a file so that readers see the old bytes or the new bytes, never a mix: temp file, fsync, rename, fsync dir.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError, isErrnoException, OperationFailed } from '../errors.js';
import { fsyncDir } from './fsync.js';
import { moveSync } from './move.js';

export { fsyncDir } from './fsync.js';

export function writeFileAtomic(path: string, data: string | Buffer, display = path, durable = true): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, 'wx', 0o644);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    moveSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The temp file was never created (its directory is not one).
    }
    const code = isErrnoException(e) ? e.code : undefined;
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      throw new InputError('file/write', 'cannot write: a parent path is a file, not a directory', {
        file: display,
        cause: e,
      });
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EISDIR') {
      throw new InputError('file/write', `cannot write (${code})`, { file: display, cause: e });
    }
    // ENOSPC, EIO: the machine failed, not the input.
    throw new OperationFailed('file/write', `cannot write (${code ?? String(e)})`, {
      file: display,
      cause: e,
    });
  }
  if (durable) fsyncDir(dir);
}
