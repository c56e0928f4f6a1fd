// Our own check of every archive entry, on top of node-tar's and yauzl's (the way Flux and Helm do it):
// names, kinds, sizes and counts are judged here before a single byte of the entry is written.
import { InputError, isErrnoException } from '../errors.js';

export interface ExtractLimits {
  /** Largest single file, in bytes (default 512 MiB). */
  maxEntryBytes?: number;
  /** Sum of all file sizes, in bytes (default 2 GiB). */
  maxTotalBytes?: number;
  /** Files and directories together (default 100,000). */
  maxEntries?: number;
  /**
   * Cap on the decompressed tar stream, headers and padding included, so a bomb is stopped while it inflates
   * (default: maxTotalBytes + 2 KiB per allowed entry + 1 MiB).
   */
  maxArchiveBytes?: number;
}

export const DEFAULT_LIMITS = {
  maxEntryBytes: 512 * 1024 * 1024,
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
  maxEntries: 100_000,
} as const;

export function resolveLimits(l: ExtractLimits): Required<ExtractLimits> {
  const maxEntryBytes = l.maxEntryBytes ?? DEFAULT_LIMITS.maxEntryBytes;
  const maxTotalBytes = l.maxTotalBytes ?? DEFAULT_LIMITS.maxTotalBytes;
  const maxEntries = l.maxEntries ?? DEFAULT_LIMITS.maxEntries;
  // A header, a PAX header with its record and the padding fit in 2 KiB for any sane path.
  const maxArchiveBytes = l.maxArchiveBytes ?? maxTotalBytes + maxEntries * 2048 + (1 << 20);
  return { maxEntryBytes, maxTotalBytes, maxEntries, maxArchiveBytes };
}

export type EntryKind = 'file' | 'directory';

/** Shows an entry name in a message with its control characters visible. */
export function shownName(raw: string): string {
  return JSON.stringify(raw.length > 300 ? `${raw.slice(0, 300)}…` : raw);
}

/**
 * Returns the entry's path relative to the destination ('' for the root directory entry `./`), or throws
 * `archive/unsafe-path`. Leading `./` are normalised away; everything else unusual is refused, not repaired.
 */
export function checkEntryPath(raw: string, kind: EntryKind, archive: string): string {
  const refuse = (why: string): never => {
    throw new InputError('archive/unsafe-path', `entry ${shownName(raw)}: ${why}`, {
      file: archive,
      expected: 'a relative path with / separators, inside the archive root',
    });
  };
  if (raw === '') refuse('empty name');
  if (raw.includes('\0')) refuse('NUL byte in the name');
  // Line breaks would also break the content hash's manifest lines; other controls are never legitimate.
  if (/[\x01-\x1f\x7f]/.test(raw)) refuse('control character in the name');
  if (raw.includes('\\')) refuse('backslash in the name (a Windows separator)');
  if (raw.startsWith('/')) refuse('absolute path');
  if (/^[A-Za-z]:/.test(raw)) refuse('drive-letter path');
  let p = raw;
  while (p.startsWith('./')) p = p.slice(2);
  if (p === '.') p = '';
  if (p.endsWith('/')) {
    if (kind === 'file') refuse('a file name ending in /');
    p = p.slice(0, -1);
  }
  if (p === '') {
    if (kind === 'file') refuse('empty name');
    return '';
  }
  for (const seg of p.split('/')) {
    if (seg === '..') refuse("'..' segment (leads outside the destination)");
    if (seg === '.') refuse("'.' segment inside the path");
    if (seg === '') refuse('empty path segment (//)');
  }
  return p;
}

/**
 * Admits entries one by one: path, count and size caps, and collisions. Exact duplicates and a file where a
 * directory is (or the reverse) are refused, so no entry can replace another. Names differing only in case are
 * allowed, as git and Linux allow them; on a case-insensitive file system the content-hash check that follows
 * extraction catches the overwrite.
 */
export class EntryLedger {
  readonly files = new Map<string, boolean>();
  readonly dirs = new Set<string>();
  entries = 0;
  bytes = 0;

  constructor(
    readonly limits: Required<ExtractLimits>,
    readonly archive: string,
  ) {}

  fail(code: string, message: string, expected?: string): never {
    throw new InputError(code, message, { file: this.archive, expected });
  }

  /** Returns the normalised path, '' for the root directory (nothing to create). */
  admit(raw: string, kind: EntryKind, size: number, exec = false): string {
    const { maxEntries, maxEntryBytes, maxTotalBytes } = this.limits;
    if (++this.entries > maxEntries)
      this.fail(
        'archive/too-many-entries',
        `more than ${maxEntries} entries`,
        `at most ${maxEntries} entries`,
      );
    const p = checkEntryPath(raw, kind, this.archive);
    if (p === '') return p;
    if (kind === 'file') {
      if (size > maxEntryBytes)
        this.fail(
          'archive/too-large',
          `entry ${shownName(raw)} is ${size} bytes`,
          `at most ${maxEntryBytes} bytes per file`,
        );
      this.bytes += size;
      if (this.bytes > maxTotalBytes)
        this.fail(
          'archive/too-large',
          `entry ${shownName(raw)} takes the unpacked size past ${maxTotalBytes} bytes`,
          `at most ${maxTotalBytes} bytes in all`,
        );
    }
    if (this.files.has(p) || (kind === 'file' && this.dirs.has(p)))
      this.fail(
        'archive/duplicate',
        `entry ${shownName(raw)} appears twice (or as both a file and a directory)`,
      );
    // Ancestors, deepest first; once one is known, the rest were checked with it.
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      const a = p.slice(0, i);
      if (this.files.has(a))
        this.fail('archive/duplicate', `entry ${shownName(raw)} lies under the file ${shownName(a)}`);
      if (this.dirs.has(a)) break;
      this.dirs.add(a);
    }
    if (kind === 'file') this.files.set(p, exec);
    else this.dirs.add(p);
    return p;
  }
}

export function errno(e: unknown): string {
  return isErrnoException(e) ? (e.code ?? e.message) : String(e);
}
