// Safe extraction of a module artifact (.tgz or .zip, told apart by magic bytes) into a fresh directory.
// Any refusal throws InputError and removes the directory: a half-extracted tree is never left behind.
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsync as fsyncCb,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { InputError, isErrnoException, OperationFailed, RinglockError } from '../errors.js';
import { extractTgz } from './extract-tgz.js';
import { extractZip } from './extract-zip.js';
import { EntryLedger, type ExtractLimits, errno, resolveLimits } from './safe-path.js';

export type { ExtractLimits } from './safe-path.js';

export interface ExtractOptions extends ExtractLimits {
  /** The archive as shown in messages (default: the path). */
  display?: string;
  /** fsync every file and directory before returning (default true): a crash after the caller's rename
   * must not leave empty files behind. */
  fsync?: boolean;
}

export interface ExtractResult {
  format: 'tgz' | 'zip';
  /** Files and directories admitted. */
  entries: number;
  files: number;
  /** Sum of the file sizes. */
  bytes: number;
}

/**
 * Extracts `file` into `dest`, which must not exist yet; it is created 0700 and opened up to 0755 once complete.
 * Files and directories are fsynced; `dest`'s parent is not: the caller renames the tree into place and fsyncs there.
 */
export async function extractArchive(
  file: string,
  dest: string,
  opts: ExtractOptions = {},
): Promise<ExtractResult> {
  const display = opts.display ?? file;
  const format = sniff(file, display);
  mkdirSync(dirname(dest), { recursive: true });
  try {
    // Private until complete: nobody else can look into (or plant anything in) a tree being written.
    mkdirSync(dest, { mode: 0o700 });
  } catch (e) {
    const why =
      isErrnoException(e) && e.code === 'EEXIST' ? 'already exists' : `cannot be created (${errno(e)})`;
    throw new InputError('archive/dest-exists', `extraction directory ${why}`, {
      file: dest,
      expected: 'a path that does not exist yet',
    });
  }
  const ledger = new EntryLedger(resolveLimits(opts), display);
  try {
    if (format === 'tgz') await extractTgz(file, dest, ledger);
    else await extractZip(file, dest, ledger);
    if (ledger.files.size === 0)
      ledger.fail('archive/empty', 'the archive holds no files', 'at least one file');
    await settle(dest, ledger, opts.fsync !== false);
    return { format, entries: ledger.entries, files: ledger.files.size, bytes: ledger.bytes };
  } catch (e) {
    rmSync(dest, { recursive: true, force: true });
    throw translate(e, display);
  }
}

/** Magic bytes, not the name: gzip 1f 8b; zip PK\3\4 (or PK\5\6, an empty zip). */
function sniff(file: string, display: string): 'tgz' | 'zip' {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const missing = isErrnoException(e) && e.code === 'ENOENT';
    throw new InputError(
      missing ? 'archive/not-found' : 'archive/unreadable',
      missing ? 'no such file' : `cannot be read (${errno(e)})`,
      { file: display, cause: e },
    );
  }
  const head = Buffer.alloc(4);
  let n: number;
  try {
    if (!fstatSync(fd).isFile())
      throw new InputError('archive/unreadable', 'not a regular file', { file: display });
    n = readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (n === 0) throw new InputError('archive/empty', 'the archive file is empty', { file: display });
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tgz';
  if (
    n === 4 &&
    head.readUInt16BE(0) === 0x504b &&
    (head.readUInt16BE(2) === 0x0304 || head.readUInt16BE(2) === 0x0506)
  )
    return 'zip';
  throw new InputError('archive/unsupported', 'not a gzip-compressed tar or a zip archive', {
    file: display,
    expected: '.tgz / .tar.gz or .zip',
  });
}

const fsyncAsync = promisify(fsyncCb);
// fsyncs in flight: each costs ~200 µs here, mostly waiting on the disk; 8 at once bring 50 files from ~10 to ~5 ms.
const FSYNC_IN_FLIGHT = 8;

/**
 * Normalises modes (0644, or 0755 with the exec bit; directories 0755: neither umask nor archive bits matter)
 * and fsyncs everything, after all writes so the disk can batch them. O_NOFOLLOW: nothing here follows a link.
 */
async function settle(dest: string, ledger: EntryLedger, fsync: boolean): Promise<void> {
  const todo: Array<[string, number, number]> = [];
  for (const [rel, exec] of ledger.files) todo.push([join(dest, rel), 0, exec ? 0o755 : 0o644]);
  for (const rel of ledger.dirs) todo.push([join(dest, rel), constants.O_DIRECTORY, 0o755]);
  todo.push([dest, constants.O_DIRECTORY, 0o755]);
  const open = ([abs, flags, mode]: [string, number, number]) => {
    const fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | flags);
    try {
      fchmodSync(fd, mode);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return fd;
  };
  if (!fsync) {
    for (const t of todo) closeSync(open(t));
    return;
  }
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const fd = open(todo[next++]!);
      try {
        await fsyncAsync(fd);
      } finally {
        closeSync(fd);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FSYNC_IN_FLIGHT, todo.length) }, worker));
}

const WRITE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EMFILE', 'ENFILE']);

/** Library errors → ours, at the boundary. Tar and zlib failures mean a damaged archive; disk failures do not. */
function translate(e: unknown, archive: string): unknown {
  if (e instanceof RinglockError) return e;
  const entry = (e as { entry?: { path?: string } }).entry?.path;
  const at = entry ? ` (entry ${JSON.stringify(entry)})` : '';
  if (isErrnoException(e) && WRITE_ERRNOS.has(e.code!)) {
    return new OperationFailed('archive/write', `cannot write the extracted files${at}: ${e.code}`, {
      file: archive,
      cause: e,
    });
  }
  if (isErrnoException(e) && e.code === 'ENAMETOOLONG') {
    return new InputError('archive/unsafe-path', `name too long${at}`, { file: archive, cause: e });
  }
  const tar = typeof (e as { tarCode?: unknown }).tarCode === 'string';
  const zlib = isErrnoException(e) && e.code!.startsWith('Z_');
  if (tar || zlib) {
    return new InputError(
      'archive/corrupt',
      `the archive is damaged or truncated${at}: ${(e as Error).message}`,
      {
        file: archive,
        cause: e,
      },
    );
  }
  return e;
}
