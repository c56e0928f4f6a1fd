// The artifact's size is checked with its integrity; a platform-wide health check applies to modules without one.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { healthSpecFor } from '../src/apply/health.js';
import { parseDuration } from '../src/model/duration.js';
import { cli, REPO_ROOT, testdir } from './helpers.js';

/** A copy of the repository's example platform with auth published; `prepare` edits the copy before publishing. */
function published(prepare?: (dir: string) => void): string {
  const dir = testdir();
  for (const p of ['ringlock.yaml', 'rings', 'examples'])
    cpSync(join(REPO_ROOT, p), join(dir, p), { recursive: true });
  prepare?.(dir);
  expect(cli(['publish', '--ring', 'canary', 'auth', '--cwd', dir]).code).toBe(0);
  return dir;
}

const lockPath = (dir: string) => join(dir, 'rings/canary.lock.json');

describe('artifact size', () => {
  it('publish records it, and a different size is refused before extraction', () => {
    const dir = published();
    const lock = JSON.parse(readFileSync(lockPath(dir), 'utf8'));
    expect(lock.modules.auth.artifact_size).toBeGreaterThan(0);
    lock.modules.auth.artifact_size += 1;
    writeFileSync(lockPath(dir), `${JSON.stringify(lock, null, 2)}\n`);
    const r = cli(['install', 'auth@2.1.0', '--yes', '--skip-hooks', '--json', '--cwd', dir]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ outcome: 'failed', code: 'integrity/size' });
    expect(JSON.parse(cli(['list', '--json', '--cwd', dir]).stdout).modules).toEqual([]);
  });
});

describe('platform-wide health check', () => {
  it('applies to a module without its own, and rolls back a module that fails it', () => {
    const base = { timeoutMs: 1000, intervalMs: 100 };
    expect(
      healthSpecFor({ name: 'a', version: '1.0.0' }, { ...base, command: 'true' }, parseDuration),
    ).toMatchObject({ command: 'true' });
    expect(
      healthSpecFor(
        { name: 'a', version: '1.0.0', healthCheck: { command: 'x' } },
        { ...base, command: 'true' },
        parseDuration,
      ),
    ).toMatchObject({
      command: 'x',
    });
    expect(healthSpecFor({ name: 'a', version: '1.0.0' }, base, parseDuration)).toBeUndefined();
    // auth's own check waits 30 s in 5 s steps; a failing command fails the same way in 2 s.
    const dir = published((d) => {
      const auth = join(d, 'examples/platform/modules/auth/module.json');
      const text = readFileSync(auth, 'utf8');
      const quick = text.replace(
        '"timeout": "30s",\n    "interval": "5s"',
        '"timeout": "2s",\n    "interval": "200ms"',
      );
      if (quick === text)
        throw new Error('fixture edit: the auth module no longer has its 30s/5s health check');
      writeFileSync(auth, quick);
      expect(cli(['lock', '--module', 'auth', '--cwd', d]).code).toBe(0);
    });
    writeFileSync(
      join(dir, 'ringlock.yaml'),
      readFileSync(join(dir, 'ringlock.yaml'), 'utf8').replace('health:\n', 'health:\n  command: "exit 1"\n'),
    );
    const r = cli(['install', 'auth@2.1.0', '--yes', '--skip-hooks', '--json', '--cwd', dir]);
    // auth declares an http check of its own but no base URL is set: the platform-wide command stands in.
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ outcome: 'rolled_back' });
    const list = JSON.parse(cli(['list', '--json', '--cwd', dir]).stdout);
    expect(list.quarantine.map((q: { module: string }) => q.module)).toEqual(['auth']);
  });
});
