// The pointer target's lock order on a real redis-server: two workspaces of one git repository, one checked out at an
// older commit of the ring's lock. The older writer never moves the pointer backwards — neither as a "repair" of what
// it sees as drift (its own state) nor as a downgrade (a shared state) — unless the operator overrides it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockOrderFromGit } from '../src/runtime/pointer.js';
import { scratch, show } from './fixtures-platform.js';
import { pointerPlatform } from './fixtures-pointer.js';
import { type RedisServer, startRedis } from './support/redis.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const git = (cwd: string, args: string[], date?: string) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}) },
  }).trim();

describe('pointer target lock order', () => {
  it('a writer with an older lock neither repairs nor downgrades the pointer a newer lock switched', async (t) => {
    const root = scratch(t, 'pointer-order');
    const pp = await pointerPlatform(
      root,
      redis,
      { crm: { version: '1.0.0' } },
      { tenants: { acme: 'canary' } },
    );
    const repo = pp.p.repo;
    git(repo, ['init', '-q', '-b', 'main']);
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-qm', 'crm 1.0.0'], '2026-01-01T00:00:00Z');
    const old = join(root, 'old');
    git(root, ['clone', '-q', repo, old]);
    const lockFile = join('rings', 'canary.lock.json');
    expect(lockOrderFromGit(old, lockFile)?.at).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
    const oldRun = (args: string[], env: Record<string, string> = {}) =>
      pp.p.cli(['apply', '--ring', 'canary', '--yes', ...args], { cwd: old, env: { ...pp.env, ...env } });
    // The old workspace is a sidecar replica with a state of its own.
    const own = ['--target', join(root, 'target-old')];
    expect((await oldRun(own)).code).toBe(0);
    const v1 = pp.tenant('acme');

    pp.p.writeModule('crm', { version: '1.1.0', files: { 'remoteEntry.js': '// crm 1.1.0\n' } });
    await pp.p.release(['crm']);
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-qm', 'crm 1.1.0'], '2026-02-01T00:00:00Z');
    const r = await pp.apply();
    expect(r.code, show(r)).toBe(0);
    const v2 = pp.tenant('acme');
    expect(v2).not.toEqual(v1);
    expect(pp.ringDoc()).toMatchObject({ lockAt: Date.parse('2026-02-01T00:00:00Z') / 1000 });

    // The lagging replica: the newer pointer is not drift to it.
    const lag = await oldRun(own);
    expect(lag.code, show(lag)).toBe(0);
    expect(pp.tenant('acme')).toEqual(v2);
    // An old checkout applied to the shared state: its downgrade is refused, nothing changes.
    const back = await oldRun([]);
    expect(back.code, show(back)).toBe(3);
    expect(back.stdout + back.stderr).toContain('another writer is ahead');
    expect(pp.tenant('acme')).toEqual(v2);
    expect(pp.p.state().modules.crm?.active.version).toBe('1.1.0');
    // The operator's explicit override moves it back.
    const forced = await oldRun([], { RINGLOCK_POINTER_OVERRIDE: '1' });
    expect(forced.code, show(forced)).toBe(0);
    expect(pp.tenant('acme')).toEqual(v1);
  });
});
