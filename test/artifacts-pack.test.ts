import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyFile } from '../src/artifacts/integrity.js';
import { manifestJson, packModule } from '../src/artifacts/pack.js';
import { run } from '../src/cli/commands/pack.js';
import type { CommandContext } from '../src/cli/spec.js';
import { InputError } from '../src/errors.js';
import { hashTree } from '../src/hash/tree-hash.js';
import { manifest, type Tree, testdir, writeTree } from './helpers.js';

const LONG_DIR = `src/${'d'.repeat(60)}/${'e'.repeat(60)}`; // a 130-byte path: needs the ustar prefix
const VERY_LONG = `${'deep/'.repeat(55)}file.txt`; // 283 bytes: needs a PAX path

/** Exercises every header form: prefix split, PAX path, non-ASCII, exec bit, empty, block-sized and multi-chunk files. */
function moduleTree(): Tree {
  return {
    'module.json': manifest('@acme/analytics', '0.4.0'),
    'bin/run.sh': { exec: '#!/bin/sh\necho hi\n' },
    'src/empty.txt': '',
    'src/block.bin': Buffer.alloc(512, 1),
    'src/big.bin': Buffer.from(Array.from({ length: 2_600_000 }, (_, i) => (i * 7919) % 251)),
    'src/é日本.txt': 'accent\n',
    [`${LONG_DIR}/x.php`]: '<?php\n',
    [VERY_LONG]: 'deep\n',
    '.ringlockignore': 'secret.txt\n',
    'secret.txt': 'not packed\n',
    'node_modules/x/index.js': 'not packed\n',
  };
}

function sha256File(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

describe('packModule', () => {
  it('writes <base>-<version>.tgz, a sha256sum sidecar and a byte-stable MANIFEST.json', async () => {
    const dir = testdir(moduleTree());
    const out = join(testdir(), 'out');
    const r = await packModule(dir, out);
    const source = await hashTree(dir, 'src');

    expect(r.artifact).toBe(join(out, 'analytics-0.4.0.tgz'));
    expect(r.manifest).toEqual({
      artifact: 'analytics-0.4.0.tgz',
      compressed_size: statSync(r.artifact).size,
      file_count: source.fileCount,
      integrity: expect.stringMatching(/^sha512-[A-Za-z0-9+/]{86}==$/),
      name: '@acme/analytics',
      sha256: source.digest,
      size_bytes: source.sizeBytes,
      version: '0.4.0',
    });
    expect(() => verifyFile(r.artifact, r.manifest.integrity, r.manifest.compressed_size)).not.toThrow();
    const text = readFileSync(r.manifestFile, 'utf8');
    expect(text).toBe(manifestJson(r.manifest));
    expect(Object.keys(JSON.parse(text))).toEqual(Object.keys(JSON.parse(text)).sort());
    expect(text).toMatch(/^\{\n {2}"artifact": "analytics-0\.4\.0\.tgz",\n[\s\S]*\n\}\n$/);

    expect(readFileSync(r.sidecar, 'utf8')).toBe(`${sha256File(r.artifact)}  analytics-0.4.0.tgz\n`);
    const check = spawnSync('sha256sum', ['-c', 'analytics-0.4.0.tgz.sha256'], {
      cwd: out,
      encoding: 'utf8',
    });
    expect(check.stdout).toBe('analytics-0.4.0.tgz: OK\n');
    expect(check.status).toBe(0);
    // No temp file left behind.
    expect(readdirSync(out).sort()).toEqual([
      'MANIFEST.json',
      'analytics-0.4.0.tgz',
      'analytics-0.4.0.tgz.sha256',
    ]);
  });

  it('gives the same bytes every time, from copies with other mtimes, owners and permission bits', async () => {
    const a = testdir(moduleTree());
    const b = join(testdir(), 'elsewhere', 'copy');
    mkdirSync(b, { recursive: true });
    writeTree(b, moduleTree());
    utimesSync(join(b, 'module.json'), new Date('2011-11-11'), new Date('2011-11-11'));
    utimesSync(join(b, 'src/big.bin'), 12345, 67890);
    chmodSync(join(b, 'src/block.bin'), 0o600); // not executable: still 0644 in the archive
    chmodSync(join(b, 'bin/run.sh'), 0o700); // executable: still 0755
    if (process.getuid?.() === 0) chownSync(join(b, 'module.json'), 1234, 5678);

    const r1 = await packModule(a, join(testdir(), 'o1'));
    const r2 = await packModule(a, join(testdir(), 'o2'));
    const r3 = await packModule(b, join(testdir(), 'o3'));
    const bytes = readFileSync(r1.artifact);
    expect(readFileSync(r2.artifact).equals(bytes)).toBe(true);
    expect(readFileSync(r3.artifact).equals(bytes)).toBe(true);
    expect(readFileSync(r3.manifestFile, 'utf8')).toBe(readFileSync(r1.manifestFile, 'utf8'));
  });

  it('writes a fixed gzip header: no name, mtime 0, OS byte 3 (Unix)', async () => {
    const r = await packModule(testdir(moduleTree()), join(testdir(), 'o'));
    expect([...readFileSync(r.artifact).subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  });

  it('is listed by GNU tar with normalised headers and extracts to a tree with the same content hash', async () => {
    const dir = testdir(moduleTree());
    const r = await packModule(dir, join(testdir(), 'o'));
    const list = spawnSync('tar', ['-tvzf', r.artifact], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stderr).toBe('');
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(r.manifest.file_count);
    for (const line of lines) expect(line).toMatch(/^-rw(-|x)r-(-|x)r-(-|x) 0\/0 +\d+ 2000-01-01 00:00 /);
    expect(lines.find((l) => l.endsWith(' bin/run.sh'))).toMatch(/^-rwxr-xr-x /);
    expect(lines.find((l) => l.endsWith(' module.json'))).toMatch(/^-rw-r--r-- /);
    expect(lines.map((l) => l.replace(/^.* 00:00 /, ''))).toEqual([
      '.ringlockignore',
      'bin/run.sh',
      VERY_LONG,
      'module.json',
      'src/big.bin',
      'src/block.bin',
      `${LONG_DIR}/x.php`,
      'src/empty.txt',
      'src/é日本.txt',
    ]);

    const x = testdir();
    const ex = spawnSync('tar', ['-xzf', r.artifact, '-C', x], { encoding: 'utf8' });
    expect(ex.stderr).toBe('');
    expect(ex.status).toBe(0);
    expect((await hashTree(x, 'gnu')).digest).toBe(r.manifest.sha256);
  });

  it('refuses a module holding a symlink, naming it, and writes nothing', async () => {
    const dir = testdir({ ...moduleTree(), current: { symlink: 'src/empty.txt' } });
    const out = join(testdir(), 'o');
    const err = await packModule(dir, out, { display: 'modules/analytics' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'pack/symlink', file: 'modules/analytics/current' });
    expect((err as Error).message).toContain('-> src/empty.txt');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses what the content hash refuses: a FIFO, a link leading outside', async () => {
    const fifo = testdir(moduleTree());
    spawnSync('mkfifo', [join(fifo, 'src/pipe')]);
    await expect(packModule(fifo, join(testdir(), 'o'))).rejects.toMatchObject({ code: 'hash/special-file' });
    const outside = testdir({ ...moduleTree(), 'src/up': { symlink: '../../etc/passwd' } });
    await expect(packModule(outside, join(testdir(), 'o'))).rejects.toMatchObject({
      code: 'hash/symlink-escape',
    });
  });

  it('refuses an output directory inside the module, unless the walk leaves it out', async () => {
    const dir = testdir(moduleTree());
    await expect(packModule(dir, join(dir, 'artifacts'))).rejects.toMatchObject({
      code: 'pack/out-inside-module',
    });
    await expect(packModule(dir, dir)).rejects.toMatchObject({ code: 'pack/out-inside-module' });
    const before = (await hashTree(dir, 'x')).digest;
    const r = await packModule(dir, join(dir, 'dist/artifacts'));
    expect(r.manifest.sha256).toBe(before);
    expect((await packModule(dir, join(dir, 'dist/again'))).manifest.sha256).toBe(before);
  });

  it('needs a valid module.json', async () => {
    const dir = testdir({ 'src/a.txt': 'a\n' });
    await expect(packModule(dir, join(testdir(), 'o'))).rejects.toMatchObject({ code: 'file/not-found' });
  });
});

describe('ringlock pack', () => {
  const context = (
    cwd: string,
    positionals: string[],
    options: CommandContext['options'],
    asJson = false,
  ) => {
    const out: string[] = [];
    const ctx: CommandContext = {
      io: { out: (t) => out.push(t), err: () => {}, color: false, tty: false, progress: false },
      cwd,
      json: asJson,
      options,
      positionals,
    };
    return { ctx, out };
  };

  it('writes into ./artifacts by default and says what it wrote', async () => {
    const cwd = testdir({});
    writeTree(join(cwd, 'modules/analytics'), moduleTree());
    const { ctx, out } = context(cwd, ['modules/analytics/'], {});
    expect(await run(ctx)).toBe(0);
    const text = out.join('');
    expect(text).toContain('packed @acme/analytics 0.4.0 → artifacts/analytics-0.4.0.tgz');
    expect(text).toContain('wrote      artifacts/analytics-0.4.0.tgz.sha256, artifacts/MANIFEST.json');
    expect(existsSync(join(cwd, 'artifacts/analytics-0.4.0.tgz'))).toBe(true);
  });

  it('prints the manifest and the paths with --json, honouring --out', async () => {
    const cwd = testdir({});
    writeTree(join(cwd, 'm'), moduleTree());
    const { ctx, out } = context(cwd, ['m'], { out: 'dist/a' }, true);
    expect(await run(ctx)).toBe(0);
    const j = JSON.parse(out.join(''));
    const m = JSON.parse(readFileSync(join(cwd, 'dist/a/MANIFEST.json'), 'utf8'));
    expect(j).toEqual({
      ok: true,
      dir: 'm',
      ...m,
      artifact_path: 'dist/a/analytics-0.4.0.tgz',
      sidecar_path: 'dist/a/analytics-0.4.0.tgz.sha256',
      manifest_path: 'dist/a/MANIFEST.json',
    });
  });
});
