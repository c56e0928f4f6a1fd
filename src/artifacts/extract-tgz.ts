// .tgz: zlib inflates (every byte counted against a cap, so a bomb stops while inflating), node-tar's
// UnpackSync writes with sync fs calls, and our ledger judges each entry in node-tar's filter before its body.
import { createReadStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type ReadEntry, UnpackSync } from 'tar';
import { checkEntryPath, type EntryLedger, shownName } from './safe-path.js';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const KINDS: Record<string, string> = {
  SymbolicLink: 'symlink',
  Link: 'hard link',
  CharacterDevice: 'character device',
  BlockDevice: 'block device',
  FIFO: 'FIFO',
};

export async function extractTgz(file: string, dest: string, ledger: EntryLedger): Promise<void> {
  let tarError: unknown;
  let sawEof = false;
  const u = new UnpackSync({
    cwd: dest,
    strict: true,
    preservePaths: false,
    preserveOwner: false,
    unlink: false,
    // mtimes mean nothing to the content hash; skipping them saves a syscall per file.
    noMtime: true,
    // We feed inflated bytes: node-tar must not start a second, uncounted decompressor (it sniffs zstd).
    zstd: false,
    // Throwing here aborts the whole extraction; returning false would silently skip the entry.
    filter: (_path, entry) => {
      admit(entry as ReadEntry, ledger);
      return true;
    },
  });
  // strict: node-tar's warnings (bad checksum, truncation, its own path refusals) arrive here as errors.
  u.on('error', (e: Error) => {
    tarError ??= e;
    u.abort(e);
  });
  u.on('eof', () => {
    sawEof = true;
  });
  // A NUL in a PAX path or GNU long name: node-tar would cut the name there; we refuse instead.
  u.on('meta', (meta: string) => {
    const bad = meta.split('\n').find((line) => /\0+[^\0]/.test(line));
    if (bad !== undefined)
      ledger.fail('archive/unsafe-path', `NUL byte in an extended name ${shownName(bad)}`);
  });
  const cap = ledger.limits.maxArchiveBytes;
  let seen = 0;
  // Our own refusal, kept: pipeline() reports a consumer's throw as an AbortError of the source.
  let refusal: unknown;
  const consume = async (source: AsyncIterable<Buffer>) => {
    try {
      for await (const chunk of source) {
        if (seen === 0) refuseNestedCompression(chunk, ledger);
        seen += chunk.length;
        if (seen > cap) {
          ledger.fail(
            'archive/too-large',
            `the archive inflates to more than ${cap} bytes (decompression bomb?)`,
            `at most ${cap} bytes of tar`,
          );
        }
        // After the end-of-archive blocks node-tar would buffer whatever follows; it is only counted here.
        if (sawEof) continue;
        u.write(chunk);
        if (tarError) throw tarError;
      }
    } catch (e) {
      refusal = e;
      throw e;
    }
  };
  try {
    await pipeline(
      createReadStream(file, { highWaterMark: Math.min(1 << 20, Math.max(1, statSync(file).size)) }),
      createGunzip({ chunkSize: 1 << 18 }),
      consume,
    );
  } catch (e) {
    throw refusal ?? e;
  }
  if (ledger.entries === 0 && !tarError)
    ledger.fail('archive/empty', 'the archive holds no entries', 'at least one file');
  u.end();
  if (tarError) throw tarError;
}

/** node-tar sniffs the first bytes it is given and would inflate a gzip inside our gzip outside our count. */
function refuseNestedCompression(chunk: Buffer, ledger: EntryLedger): void {
  const gzip = chunk[0] === 0x1f && chunk[1] === 0x8b;
  const zstd = chunk.length >= 4 && chunk.readUInt32BE(0) === 0x28b52ffd;
  if (gzip || zstd)
    ledger.fail('archive/corrupt', 'the tar inside the gzip is itself compressed', 'one layer of gzip');
}

function admit(entry: ReadEntry, ledger: EntryLedger): void {
  const raw = entry.path;
  const type = String(entry.type);
  if (FILE_TYPES.has(type) || type === 'Directory') {
    const dir = type === 'Directory';
    const exec = !dir && ((entry.mode ?? 0) & 0o100) !== 0;
    ledger.admit(raw, dir ? 'directory' : 'file', dir ? 0 : entry.size, exec);
    // node-tar creates with this mode: setuid bits or a mode-000 directory never reach the disk.
    entry.mode = dir || exec ? 0o755 : 0o644;
    return;
  }
  // An unsafe name is reported as such, whatever the entry is.
  checkEntryPath(raw, 'file', ledger.archive);
  const kind = KINDS[type] ?? `"${type}" entry`;
  if (type === 'SymbolicLink' || type === 'Link') {
    ledger.fail(
      'archive/link',
      `entry ${shownName(raw)} is a ${kind} to ${shownName(entry.linkpath ?? '')}: links are not allowed`,
      'regular files and directories only',
    );
  }
  ledger.fail(
    'archive/special-file',
    `entry ${shownName(raw)} is a ${kind}: only regular files and directories are allowed`,
    'regular files and directories only',
  );
}
