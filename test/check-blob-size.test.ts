// `ringlock check` reads git blobs in linear time and under caps: a huge module file is hashed by streaming it, a huge
// lock or manifest is reported at the file instead of being read whole.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobReader } from '../src/git/cli.js';
import { testdir } from './helpers.js';
import { git, platformGitRepo, ringlock } from './support/check-repo.js';

const MiB = 1024 * 1024;

/** `n` bytes that are not all alike (a counter every 4 KiB), cheap for git to compress. */
function bigBuffer(n: number): Buffer {
  const b = Buffer.alloc(n, 0x61);
  for (let i = 0; i + 8 <= n; i += 4096) b.writeUInt32BE(i / 4096, i);
  return b;
}

describe('check on huge blobs', () => {
  it('hashes a 90 MB module file by streaming it: the check finishes and agrees with ringlock hash', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    writeFileSync(join(repo.dir, 'modules/a/src/big.bin'), bigBuffer(90 * MiB));
    repo.editManifest('a', (m) => {
      m.version = '1.0.1';
    });
    repo.lock();
    const head = repo.commit('a 1.0.1 with a big file');
    const r = ringlock(repo.dir, ['check', '--base', base, '--head', head, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    // canary tracks the sources: RL004 compares its pin with the hash of the tree read from git.
    expect(report.rules.find((x: { id: string }) => x.id === 'RL004').outcome).toBe('pass');
    expect(report.rules.find((x: { id: string }) => x.id === 'RL002').outcome).toBe('pass');
    const hashed = JSON.parse(ringlock(repo.dir, ['hash', 'modules/a', '--json']).stdout);
    const lock = JSON.parse(repo.read('rings/canary.lock.json'));
    expect(lock.modules.a.sha256).toBe(hashed.sha256);
  }, 120_000);

  it('reports a lock over 16 MiB and a module.json over 64 KiB at the file, with its size and the cap', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    // Valid JSON, padded with whitespace past the caps.
    repo.edit('rings/canary.lock.json', (t) => t + ' '.repeat(17 * MiB));
    repo.edit('modules/b/module.json', (t) => t + ' '.repeat(70 * 1024));
    const head = repo.commit('huge files');
    const r = ringlock(repo.dir, ['check', '--base', base, '--head', head, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const findings = JSON.parse(r.stdout).findings as { rule: string; file: string; message: string }[];
    const lock = findings.find((f) => f.file === 'rings/canary.lock.json');
    expect(lock?.rule).toBe('RL001');
    expect(lock?.message).toMatch(/is \d+ bytes, more than the 16777216 bytes a ring lock may have/);
    const manifest = findings.find((f) => f.file === 'modules/b/module.json');
    expect(manifest?.rule).toBe('RL001');
    expect(manifest?.message).toMatch(/is \d+ bytes, more than the 65536 bytes a module\.json may have/);
  }, 120_000);
});

describe('BlobReader', () => {
  it('streams a 90 MB blob through the hash with bounded buffering, skips over a capped one, and stays in step', async () => {
    const dir = testdir({ 'small.txt': 'small\n' });
    const big = bigBuffer(90 * MiB);
    writeFileSync(join(dir, 'big.bin'), big);
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'blobs']);
    const reader = new BlobReader(dir);
    try {
      const hashed = await reader.hashObject('HEAD:big.bin');
      expect(hashed?.sha256).toBe(createHash('sha256').update(big).digest('hex'));
      expect(hashed?.size).toBe(big.length);
      // The pipe is paused while the reader is behind: it never holds the blob, nor a large part of it.
      expect(reader.peakBuffered).toBeLessThan(16 * MiB);
      const skipped = await reader.readCapped('HEAD:big.bin', MiB);
      expect(skipped).toMatchObject({ type: 'blob', size: big.length });
      expect(skipped?.data).toBeUndefined();
      // After the skipped bytes, the next answer is the next object's, whole.
      expect(await reader.read('HEAD:small.txt')).toBe('small\n');
      const whole = await reader.readObject('HEAD:big.bin');
      expect(whole?.data.equals(big)).toBe(true);
      expect(await reader.read('HEAD:missing')).toBeUndefined();
      expect(await reader.read('HEAD:small.txt')).toBe('small\n');
    } finally {
      reader.close();
    }
  }, 120_000);
});
