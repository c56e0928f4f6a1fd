// .zip: yauzl reads the central directory and inflates (entry sizes validated against the declared ones);
// we decode names strictly, judge each entry in the ledger, and write files ourselves: O_EXCL, O_NOFOLLOW, CRC-32 checked.
import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as zlib from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { InputError, isErrnoException, RinglockError } from '../errors.js';
import { checkEntryPath, type EntryLedger, shownName } from './safe-path.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const SPECIAL = new Map<number, string>([
  [0o10000, 'FIFO'],
  [0o20000, 'character device'],
  [0o60000, 'block device'],
  [0o140000, 'socket'],
]);
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
// zlib.crc32 arrived in Node 20.15; without it the sizes are still checked and the content hash follows.
const crc32 = typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined;

export async function extractZip(file: string, dest: string, ledger: EntryLedger): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      autoClose: false,
      // Raw names: we decode them below with yauzl's strict rules and report unsafe ones under our own codes.
      decodeStrings: false,
      strictFileNames: true,
      validateEntrySizes: true,
    });
  } catch (e) {
    throw corrupt(e, ledger);
  }
  try {
    const { maxEntries } = ledger.limits;
    // The central directory says how many entries follow: refuse before reading any.
    if (zip.entryCount > maxEntries) {
      ledger.fail(
        'archive/too-many-entries',
        `${zip.entryCount} entries, more than ${maxEntries}`,
        `at most ${maxEntries} entries`,
      );
    }
    if (zip.entryCount === 0)
      ledger.fail('archive/empty', 'the archive holds no entries', 'at least one file');
    const made = new Set<string>([dest]);
    const entries = zip.eachEntry();
    for (;;) {
      let next: IteratorResult<Entry>;
      try {
        next = await entries.next();
      } catch (e) {
        throw corrupt(e, ledger);
      }
      if (next.done) break;
      await writeEntry(zip, next.value, dest, ledger, made);
    }
  } finally {
    zip.close();
  }
}

async function writeEntry(zip: ZipFile, entry: Entry, dest: string, ledger: EntryLedger, made: Set<string>) {
  const name = entryName(entry);
  // Unix zips keep st_mode in the high 16 bits of the external attributes.
  const mode = entry.externalFileAttributes >>> 16;
  const fmt = mode & S_IFMT;
  if (fmt !== 0 && fmt !== S_IFREG && fmt !== S_IFDIR) {
    checkEntryPath(name, 'file', ledger.archive);
    if (fmt === S_IFLNK)
      ledger.fail(
        'archive/link',
        `entry ${shownName(name)} is a symlink: links are not allowed`,
        'regular files and directories only',
      );
    ledger.fail(
      'archive/special-file',
      `entry ${shownName(name)} is a ${SPECIAL.get(fmt) ?? `file of type 0o${fmt.toString(8)}`}: only regular files and directories are allowed`,
      'regular files and directories only',
    );
  }
  const dir = fmt === S_IFDIR || name.endsWith('/');
  const exec = !dir && (mode & 0o100) !== 0;
  const rel = ledger.admit(name, dir ? 'directory' : 'file', dir ? 0 : entry.uncompressedSize, exec);
  // yauzl's own rules as a second opinion (they are a subset of ours today).
  const why = yauzl.validateFileName(name);
  if (why !== null) ledger.fail('archive/unsafe-path', `entry ${shownName(name)}: ${why}`);
  if (rel === '') return;
  const abs = join(dest, rel);
  if (dir) return ensureDir(abs, made);
  if (!entry.canDecodeFileData()) {
    ledger.fail(
      'archive/unsupported',
      `entry ${shownName(name)} is encrypted or uses compression method ${entry.compressionMethod}`,
      'stored or deflated entries',
    );
  }
  ensureDir(dirname(abs), made);
  const fd = openSync(abs, CREATE, exec ? 0o755 : 0o644);
  try {
    let size = 0;
    let crc = 0;
    try {
      const stream = await zip.openReadStreamPromise(entry);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (crc32) crc = crc32(chunk, crc);
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
      }
    } catch (e) {
      throw corrupt(e, ledger, name);
    }
    if (size !== entry.uncompressedSize || (crc32 && crc !== entry.crc32))
      ledger.fail(
        'archive/corrupt',
        `entry ${shownName(name)}: ${size !== entry.uncompressedSize ? 'size' : 'CRC-32'} mismatch`,
      );
  } finally {
    closeSync(fd);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * yauzl's strict decoding (UTF-8 flag or Info-ZIP Unicode path field, else CP437; backslashes kept, to be refused),
 * except for unflagged names that are valid UTF-8: Info-ZIP's zip on Linux writes UTF-8 names without the flag,
 * and unzip there writes those bytes back as they are; CP437 would turn "é" into "├⌐" and the content hash with it.
 */
function entryName(entry: Entry): string {
  const raw = entry.fileNameRaw;
  const flagged =
    (entry.generalPurposeBitFlag & 0x800) !== 0 || entry.extraFields.some((f) => f.id === 0x7075);
  if (!flagged && raw.some((b) => b >= 0x80)) {
    try {
      return UTF8.decode(raw);
    } catch {
      // not UTF-8: a legacy code page, as the spec says
    }
  }
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, true);
}

function ensureDir(abs: string, made: Set<string>): void {
  if (made.has(abs)) return;
  // Safe to create parents: every path was checked, the tree is fresh and private, and no link is ever made.
  mkdirSync(abs, { recursive: true, mode: 0o755 });
  made.add(abs);
}

/** yauzl's and zlib's errors mean a damaged archive; our refusals and disk errors pass through. */
function corrupt(e: unknown, ledger: EntryLedger, entry?: string): unknown {
  if (e instanceof RinglockError) return e;
  if (isErrnoException(e) && !e.code!.startsWith('Z_')) return e;
  const at = entry ? `entry ${shownName(entry)}: ` : '';
  return new InputError(
    'archive/corrupt',
    `${at}the zip is damaged: ${e instanceof Error ? e.message : String(e)}`,
    {
      file: ledger.archive,
      cause: e,
    },
  );
}
