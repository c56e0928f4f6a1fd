import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ExtractOptions, extractArchive } from '../src/artifacts/extract.js';
import { packModule } from '../src/artifacts/pack.js';
import { InputError } from '../src/errors.js';
import { hashTree } from '../src/hash/tree-hash.js';
import { type RawTarEntry, type RawZipEntry, rawTar, rawTgz, rawZip } from './fixtures-archives.js';
import { manifest, type Tree, testdir } from './helpers.js';

const TREE: Tree = {
  'module.json': manifest('orders', '1.5.0'),
  'bin/reindex.sh': { exec: '#!/bin/sh\nexit 0\n' },
  'src/Order.php': '<?php class Order {}\n',
  'src/deep/er/still.txt': 'x\n',
  'src/é.txt': 'accent\n',
};
const hasZip = spawnSync('zip', ['-v']).status === 0;
const mode = (p: string) => statSync(p).mode & 0o7777;

describe('extractArchive: round trips', () => {
  it('unpacks a packed module to the same content hash, with normalised modes, whatever the umask', async () => {
    const src = testdir(TREE);
    const r = await packModule(src, join(testdir(), 'o'));
    const dest = join(testdir(), 'staging', 'orders');
    const old = process.umask(0o077);
    let res: Awaited<ReturnType<typeof extractArchive>>;
    try {
      res = await extractArchive(r.artifact, dest);
    } finally {
      process.umask(old);
    }
    expect(res).toEqual({ format: 'tgz', entries: 5, files: 5, bytes: r.manifest.size_bytes });
    expect((await hashTree(dest, 'x')).digest).toBe(r.manifest.sha256);
    expect(mode(join(dest, 'bin/reindex.sh'))).toBe(0o755);
    expect(mode(join(dest, 'module.json'))).toBe(0o644);
    expect(mode(join(dest, 'src/deep/er'))).toBe(0o755);
    expect(mode(dest)).toBe(0o755);
  });

  it('unpacks what GNU tar packs ("./" entries, directories, odd modes)', async () => {
    const src = testdir(TREE);
    const tgz = join(testdir(), 'gnu.tgz');
    expect(spawnSync('tar', ['-czf', tgz, '-C', src, '.']).status).toBe(0);
    const dest = join(testdir(), 'd');
    const res = await extractArchive(tgz, dest);
    expect(res.files).toBe(5);
    expect((await hashTree(dest, 'x')).digest).toBe((await hashTree(src, 'y')).digest);
  });

  it.runIf(hasZip)('unpacks a zip made by the zip CLI, exec bit included', async () => {
    const src = testdir(TREE);
    const zip = join(testdir(), 'm.zip');
    expect(spawnSync('zip', ['-qr', zip, '.'], { cwd: src }).status).toBe(0);
    const dest = join(testdir(), 'd');
    expect(await extractArchive(zip, dest)).toMatchObject({ format: 'zip', files: 5 });
    expect((await hashTree(dest, 'x')).digest).toBe((await hashTree(src, 'y')).digest);
    expect(mode(join(dest, 'bin/reindex.sh'))).toBe(0o755);
  });

  it('unpacks a zip from the raw writer (stored and deflated entries)', async () => {
    const entries: RawZipEntry[] = [
      { name: 'module.json', data: manifest('orders', '1.5.0') },
      { name: 'bin/', mode: 0o40755 },
      { name: 'bin/reindex.sh', data: '#!/bin/sh\nexit 0\n', mode: 0o100755, method: 8 },
      { name: 'src/é.txt', data: 'accent\n', method: 8 },
    ];
    const root = testdir({ 'm.zip': rawZip(entries) });
    const dest = join(root, 'd');
    expect(await extractArchive(join(root, 'm.zip'), dest)).toMatchObject({
      format: 'zip',
      entries: 4,
      files: 3,
    });
    expect(readdirSync(dest, { recursive: true }).sort()).toEqual([
      'bin',
      'bin/reindex.sh',
      'module.json',
      'src',
      'src/é.txt',
    ]);
    expect(mode(join(dest, 'bin/reindex.sh'))).toBe(0o755);
  });

  it('decodes unflagged zip names as UTF-8 when they are, else as CP437', async () => {
    const zip = rawZip([
      { name: 'utf8-é.txt', data: 'a', utf8: false },
      { name: Buffer.from([0x63, 0x70, 0x82, 0x2e, 0x74, 0x78, 0x74]), data: 'b', utf8: false }, // "cpé.txt" in CP437
    ]);
    const root = testdir({ 'm.zip': zip });
    await extractArchive(join(root, 'm.zip'), join(root, 'd'));
    expect(readdirSync(join(root, 'd')).sort()).toEqual(['cpé.txt', 'utf8-é.txt']);
  });

  it('detects the format by magic bytes, not by the file name', async () => {
    const root = testdir({ 'really-a-zip.tgz': rawZip([{ name: 'a', data: 'a' }]), 'text.zip': 'hello\n' });
    await expect(extractArchive(join(root, 'really-a-zip.tgz'), join(root, 'd1'))).resolves.toMatchObject({
      format: 'zip',
    });
    await expect(extractArchive(join(root, 'text.zip'), join(root, 'd2'))).rejects.toMatchObject({
      code: 'archive/unsupported',
    });
  });

  it('wants a fresh destination and leaves an existing one alone', async () => {
    const root = testdir({ 'a.tgz': rawTgz([{ name: 'a', data: 'a' }]), 'd/keep': 'mine' });
    await expect(extractArchive(join(root, 'a.tgz'), join(root, 'd'))).rejects.toMatchObject({
      code: 'archive/dest-exists',
    });
    expect(readdirSync(join(root, 'd'))).toEqual(['keep']);
    await expect(extractArchive(join(root, 'missing.tgz'), join(root, 'e'))).rejects.toMatchObject({
      code: 'archive/not-found',
    });
    expect(existsSync(join(root, 'e'))).toBe(false);
  });
});

/**
 * Extracts a hostile archive next to a sentinel directory and checks: refused with `code` (an InputError
 * whose message names `names`), the destination gone, the sentinel still empty, nothing else created.
 */
async function refused(
  archive: Buffer,
  code: string,
  names: string[],
  opts: ExtractOptions = {},
  ext = 'tgz',
) {
  const root = testdir({ [`a.${ext}`]: archive });
  const sentinel = join(root, 'sentinel');
  mkdirSync(sentinel);
  const dest = join(root, 'dest');
  const err = await extractArchive(join(root, `a.${ext}`), dest, opts).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect(err).toMatchObject({ code, file: join(root, `a.${ext}`) });
  for (const n of names) expect((err as Error).message).toContain(n);
  expect(existsSync(dest)).toBe(false);
  expect(readdirSync(sentinel)).toEqual([]);
  expect(readdirSync(root).sort()).toEqual([`a.${ext}`, 'sentinel']);
  return err as InputError;
}

const ok: RawTarEntry = { name: 'module.json', data: '{}\n' };

// An absolute target that must never come to exist.
const ABS = join(tmpdir(), `ringlock-abs-${process.pid}`, 'pwned');

describe('extractArchive: hostile tar archives', () => {
  it.each<[string, RawTarEntry[], string, string[]]>([
    [
      '../x',
      [ok, { name: '../sentinel/pwned', data: 'x' }],
      'archive/unsafe-path',
      ['"../sentinel/pwned"', "'..'"],
    ],
    ['a/../../x', [{ name: 'a/../../sentinel/pwned', data: 'x' }], 'archive/unsafe-path', ["'..'"]],
    ['/abs', [{ name: ABS, data: 'x' }], 'archive/unsafe-path', [ABS, 'absolute']],
    ['C:../x', [{ name: 'C:../sentinel/pwned', data: 'x' }], 'archive/unsafe-path', ['drive-letter']],
    ['backslashes', [{ name: '..\\sentinel\\pwned', data: 'x' }], 'archive/unsafe-path', ['backslash']],
    [
      'NUL in a PAX path',
      [{ name: 'ok', pax: { path: 'ok\0../../sentinel/pwned' }, data: 'x' }],
      'archive/unsafe-path',
      ['NUL', 'sentinel/pwned'],
    ],
    ['a line break', [{ name: 'a\nb', data: 'x' }], 'archive/unsafe-path', ['control character']],
    [
      'a symlink outside',
      [ok, { name: 'up', type: '2', linkname: '../sentinel' }],
      'archive/link',
      ['"up"', 'symlink', '"../sentinel"'],
    ],
    [
      'a hard link outside',
      [{ name: 'h', type: '1', linkname: '../sentinel/pwned' }],
      'archive/link',
      ['"h"', 'hard link'],
    ],
    [
      'a symlink, then a file through it',
      [
        { name: 'l', type: '2', linkname: '../sentinel' },
        { name: 'l/pwned', data: 'x' },
      ],
      'archive/link',
      ['"l"'],
    ],
    ['a char device', [{ name: 'null', type: '3' }], 'archive/special-file', ['"null"', 'character device']],
    ['a block device', [{ name: 'sda', type: '4' }], 'archive/special-file', ['block device']],
    ['a FIFO', [ok, { name: 'pipe', type: '6' }], 'archive/special-file', ['"pipe"', 'FIFO']],
    [
      'a duplicate entry',
      [ok, { name: './module.json', data: 'evil' }],
      'archive/duplicate',
      ['"./module.json"'],
    ],
    [
      'a file under a file',
      [ok, { name: 'module.json/x', data: 'x' }],
      'archive/duplicate',
      ['"module.json"'],
    ],
  ])('refuses %s', async (_label, entries, code, names) => {
    await refused(rawTgz(entries), code, names);
    expect(existsSync(ABS)).toBe(false);
  });

  it('stops a decompression bomb by the declared size before writing it', async () => {
    const bomb = rawTgz([ok, { name: 'zeros', data: Buffer.alloc(20 << 20) }]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    await refused(bomb, 'archive/too-large', ['"zeros"', '20971520'], { maxEntryBytes: 1 << 20 });
  });

  it('stops files that are each small but too large together', async () => {
    const parts = [1, 2, 3].map((i) => ({ name: `part${i}`, data: Buffer.alloc(600 * 1024, i) }));
    await refused(rawTgz(parts), 'archive/too-large', ['"part2"'], { maxTotalBytes: 1 << 20 });
  });

  it('stops a bomb hidden after the end of the archive while inflating', async () => {
    const bomb = gzipSync(rawTar([ok], { trailing: Buffer.alloc(20 << 20) }));
    await refused(bomb, 'archive/too-large', ['inflates to more than 1048576'], { maxArchiveBytes: 1 << 20 });
  });

  it('refuses too many entries', async () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: 'x' }));
    await refused(rawTgz(many), 'archive/too-many-entries', ['more than 10'], { maxEntries: 10 });
  });

  it.each<[string, Buffer]>([
    ['an empty file', Buffer.alloc(0)],
    ['an empty gzip', gzipSync(Buffer.alloc(0))],
    ['a tar with no entries', rawTgz([])],
    ['a tar of directories only', rawTgz([{ name: 'd/', type: '5' }])],
  ])('refuses %s as empty', async (_label, archive) => {
    await refused(archive, 'archive/empty', []);
  });

  const good = rawTgz([
    ok,
    { name: 'big', data: Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 253)) },
  ]);
  const flipped = Buffer.from(good);
  flipped[40] = (flipped[40]! ^ 0xff) & 0xff;
  it.each<[string, Buffer]>([
    ['a truncated gzip', good.subarray(0, good.length >> 1)],
    ['a damaged deflate stream', flipped],
    ['a truncated tar', gzipSync(rawTar([{ name: 'a', data: Buffer.alloc(10_000, 7) }]).subarray(0, 2048))],
    ['a bad header checksum', rawTgz([{ ...ok, badChecksum: true }])],
    ['a gzip of something else', gzipSync(Buffer.from('not a tar at all\n'.repeat(64)))],
    ['a gzip inside the gzip', gzipSync(rawTgz([ok]))],
  ])('refuses %s as corrupt', async (_label, archive) => {
    await refused(archive, 'archive/corrupt', []);
  });
});

describe('extractArchive: hostile zip archives', () => {
  it.each<[string, RawZipEntry[], string, string[]]>([
    ['../x', [{ name: '../sentinel/pwned', data: 'x' }], 'archive/unsafe-path', ['"../sentinel/pwned"']],
    ['/abs', [{ name: ABS, data: 'x' }], 'archive/unsafe-path', ['absolute']],
    ['C:../x', [{ name: 'C:../sentinel/pwned', data: 'x' }], 'archive/unsafe-path', ['drive-letter']],
    ['backslashes', [{ name: '..\\sentinel\\pwned', data: 'x' }], 'archive/unsafe-path', ['backslash']],
    ['NUL in a name', [{ name: 'ok\0/../../sentinel/pwned', data: 'x' }], 'archive/unsafe-path', ['NUL']],
    ['a symlink', [{ name: 'up', data: '../sentinel', mode: 0o120777 }], 'archive/link', ['"up"', 'symlink']],
    [
      'a symlink, then a file through it',
      [
        { name: 'l', data: '../sentinel', mode: 0o120777 },
        { name: 'l/pwned', data: 'x' },
      ],
      'archive/link',
      ['"l"'],
    ],
    ['a FIFO', [{ name: 'p', mode: 0o10644 }], 'archive/special-file', ['FIFO']],
    ['a char device', [{ name: 'c', mode: 0o20644 }], 'archive/special-file', ['character device']],
    [
      'a duplicate entry',
      [
        { name: 'a', data: 'x' },
        { name: './a', data: 'y' },
      ],
      'archive/duplicate',
      ['"./a"'],
    ],
    ['an empty name', [{ name: '', data: 'x' }], 'archive/unsafe-path', ['empty name']],
    ['no entries', [], 'archive/empty', []],
    ['directories only', [{ name: 'd/', mode: 0o40755 }], 'archive/empty', []],
  ])('refuses %s', async (_label, entries, code, names) => {
    await refused(rawZip(entries), code, names, {}, 'zip');
    expect(existsSync(ABS)).toBe(false);
  });

  it('refuses a bomb by its declared size, and a lying size as corrupt', async () => {
    const zeros = Buffer.alloc(20 << 20);
    const bomb = rawZip([{ name: 'zeros', data: zeros, method: 8 }]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    await refused(bomb, 'archive/too-large', ['"zeros"'], { maxEntryBytes: 1 << 20 }, 'zip');
    await refused(
      rawZip([{ name: 'zeros', data: zeros, method: 8, size: 100 }]),
      'archive/corrupt',
      ['"zeros"'],
      {},
      'zip',
    );
  });

  it('refuses too many entries before reading any', async () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: 'x' }));
    await refused(rawZip(many), 'archive/too-many-entries', ['11 entries'], { maxEntries: 10 }, 'zip');
  });

  it('refuses a truncated zip', async () => {
    const z = rawZip([{ name: 'a', data: Buffer.alloc(5000, 1), method: 8 }]);
    await refused(z.subarray(0, z.length - 30), 'archive/corrupt', [], {}, 'zip');
  });
});

describe('extractArchive: limits', () => {
  it('lets through exactly what the caps allow', async () => {
    const root = testdir({});
    const entries = Array.from({ length: 4 }, (_, i) => ({ name: `f${i}`, data: Buffer.alloc(256, i) }));
    writeFileSync(join(root, 'a.tgz'), rawTgz(entries));
    const res = await extractArchive(join(root, 'a.tgz'), join(root, 'd'), {
      maxEntries: 4,
      maxEntryBytes: 256,
      maxTotalBytes: 1024,
      maxArchiveBytes: 4 * 1024 + 1024,
    });
    expect(res).toEqual({ format: 'tgz', entries: 4, files: 4, bytes: 1024 });
  });
});
