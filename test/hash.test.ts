import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashTree, manifestLine } from '../src/hash/tree-hash.js';
import { cli, REPO_ROOT, testdir } from './helpers.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** The README's test vector: keep the two in sync. */
const VECTOR_TREE = {
  'module.json': '{"name":"demo","version":"1.0.0"}\n',
  'bin/run.sh': { exec: '#!/bin/sh\necho hi\n' },
  'src/a.txt': 'a\n',
  'src/é.txt': 'accent\n',
  current: { symlink: 'src/a.txt' },
  'node_modules/x/index.js': 'excluded\n',
  'composer.lock': '{}\n',
};
const VECTOR_HASH = 'sha256:34decd973a6522912cce59cc5b15718d7c3d33613598d298e3b2ce7a3c3c3b9b';

describe('content hash', () => {
  it('matches the documented test vector', async () => {
    const dir = testdir(VECTOR_TREE);
    const h = await hashTree(dir, 'vector');
    // The algorithm, written out independently of the implementation.
    const manifest =
      `${sha('#!/bin/sh\necho hi\n')} 100755 bin/run.sh\n` +
      `${sha('src/a.txt')} 120000 current\n` +
      `${sha('{"name":"demo","version":"1.0.0"}\n')} 100644 module.json\n` +
      `${sha('a\n')} 100644 src/a.txt\n` +
      `${sha('accent\n')} 100644 src/é.txt\n`;
    expect(h.entries.map(manifestLine).join('')).toBe(manifest);
    expect(h.digest).toBe(`sha256:${sha(manifest)}`);
    expect(h.digest).toBe(VECTOR_HASH);
    expect(h.fileCount).toBe(5);
  });

  it('is the vector the README documents, lines and hash', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('**Test vector**'));
    const block = /```\n([\s\S]*?)```/.exec(section)![1]!;
    const hash = /→ `(sha256:[0-9a-f]{64})`/.exec(section)![1];
    const h = await hashTree(testdir(VECTOR_TREE), 'vector');
    expect(h.entries.map(manifestLine).join('')).toBe(block);
    expect(hash).toBe(h.digest);
  });

  it('is the same from the CLI, with the entry lines on --manifest', () => {
    const dir = testdir(VECTOR_TREE);
    const r = cli(['hash', dir, '--manifest']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('100755 bin/run.sh');
    expect(r.stdout).toContain(VECTOR_HASH);
    const j = JSON.parse(cli(['hash', dir, '--json']).stdout);
    expect(j.sha256).toBe(VECTOR_HASH);
  });

  it('sorts by the UTF-8 bytes of the path, not by JavaScript string order', async () => {
    // U+FF5E sorts after U+1F600 in UTF-16 code units but before it in UTF-8 bytes.
    const dir = testdir({ '\u{1F600}.txt': 'x', '\uFF5E.txt': 'y', 'Z.txt': 'z', 'a.txt': 'a' });
    const h = await hashTree(dir, 't');
    expect(h.entries.map((e) => e.path)).toEqual(['Z.txt', 'a.txt', '\uFF5E.txt', '\u{1F600}.txt']);
  });

  it('changes when contents, names or the executable bit change — and not with mtimes', async () => {
    const dir = testdir({ 'a.sh': 'echo\n', 'b.txt': 'b\n' });
    const base = (await hashTree(dir, 't')).digest;
    writeFileSync(join(dir, 'b.txt'), 'b\n');
    expect((await hashTree(dir, 't')).digest).toBe(base);
    chmodSync(join(dir, 'a.sh'), 0o755);
    const exec = (await hashTree(dir, 't')).digest;
    expect(exec).not.toBe(base);
    writeFileSync(join(dir, 'b.txt'), 'B\n');
    expect((await hashTree(dir, 't')).digest).not.toBe(exec);
  });

  it('leaves out default excludes and .ringlockignore patterns, and ignores empty directories', async () => {
    const plain = testdir({ 'src/x.php': '<?php\n', '.ringlockignore': 'tmp/\n*.cache\n' });
    const noisy = testdir({
      'src/x.php': '<?php\n',
      '.ringlockignore': 'tmp/\n*.cache\n',
      'vendor/lib/a.php': 'v',
      'dist/app.js': 'd',
      'build/out': 'b',
      '.next/cache': 'n',
      '.cache/x': 'c',
      'coverage/lcov.info': 'c',
      'storage/framework/views/a.php': 's',
      'storage/logs/laravel.log': 'l',
      'package-lock.json': '{}',
      'yarn.lock': '',
      'pnpm-lock.yaml': '',
      'composer.lock': '{}',
      '.DS_Store': 'x',
      'src/.DS_Store': 'x',
      'deep/node_modules/a.js': 'a',
      '.git/HEAD': 'ref',
      'tmp/scratch': 's',
      'src/data.cache': 'c',
      'empty/.ringlock-placeholder-ignored.cache': '',
    });
    const a = await hashTree(plain, 'a');
    const b = await hashTree(noisy, 'b');
    expect(b.entries.map((e) => e.path)).toEqual(['.ringlockignore', 'src/x.php']);
    expect(b.digest).toBe(a.digest);
  });

  it('keeps storage/ outside the two excluded subfolders', async () => {
    const dir = testdir({
      'storage/app/seed.json': '{}',
      'storage/logs/x.log': 'l',
      'lib/storage/logs/kept.txt': 'k',
    });
    const h = await hashTree(dir, 't');
    expect(h.entries.map((e) => e.path)).toEqual(['lib/storage/logs/kept.txt', 'storage/app/seed.json']);
  });

  it('hashes symlinks as their target and never follows them', async () => {
    const a = testdir({ 'data/big.bin': 'one', link: { symlink: 'data/big.bin' } });
    const b = testdir({ 'data/big.bin': 'two', link: { symlink: 'data/big.bin' } });
    const ha = await hashTree(a, 'a');
    const hb = await hashTree(b, 'b');
    expect(ha.entries.find((e) => e.path === 'link')!.digest).toBe(
      hb.entries.find((e) => e.path === 'link')!.digest,
    );
    // A dangling link inside the module is fine: only its text counts.
    const c = testdir({ 'x.txt': 'x', gone: { symlink: 'missing/file' } });
    expect((await hashTree(c, 'c')).entries.map((e) => e.mode)).toEqual(['120000', '100644']);
  });

  it('gives the same hash with and without the worker thread, for large files read in chunks', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 17, 7);
    const tree: Record<string, string | Buffer> = { 'big.bin': big };
    for (let i = 0; i < 50; i++) tree[`f/${String(i).padStart(3, '0')}.txt`] = `file ${i}\n`.repeat(i + 1);
    const dir = testdir(tree);
    const one = await hashTree(dir, 't', { workers: 0 });
    const two = await hashTree(dir, 't', { workers: 1 });
    expect(two.digest).toBe(one.digest);
    expect(one.entries.find((e) => e.path === 'big.bin')!.digest).toBe(sha(big));
    expect(one.sizeBytes).toBe(
      big.length +
        Object.values(tree)
          .slice(1)
          .reduce((s, v) => s + Buffer.byteLength(v as string), 0),
    );
  });
});
