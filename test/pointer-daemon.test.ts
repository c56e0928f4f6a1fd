// The daemon on the pointer target, on a real redis-server: the first commit's bundles uploaded and every tenant key
// (the tenants read at the commit, not from a workspace) switched; a pushed upgrade switches them again.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratch } from './fixtures-platform.js';
import { pointerPlatform } from './fixtures-pointer.js';
import { bump, gitIn, pushEvent, serveRepo, startDaemon } from './support/daemon.js';
import { type RedisServer, startRedis } from './support/redis.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

describe('daemon on the pointer target', () => {
  it('switches the tenant keys at each applied commit', async (t: Ctx) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-daemon'),
      redis,
      { crm: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary', globex: 'stable' },
      },
    );
    const remote = await serveRepo(pp.p);
    t.onTestFinished(() => remote.close());
    // The daemon runs outside the repository: tenants come from rings/tenants.yaml at the commit.
    const d = await startDaemon(pp.p, { repo: remote.url, env: pp.env });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const first = gitIn(remote.bare, 'rev-parse', 'refs/heads/main');
    await d.until('first commit applied', (s) => s.appliedCommit === first);
    expect(pp.tenant('acme')).toEqual({ crm: pp.entryOf('crm') });
    expect(pp.tenant('globex')).toBeUndefined();

    await bump(pp.p, 'crm', { version: '1.1.0', files: { 'remoteEntry.js': '// crm 1.1.0\n' } });
    const second = remote.push('crm 1.1.0');
    await d.webhook(pushEvent(second));
    await d.until('upgrade applied', (s) => s.appliedCommit === second);
    expect(pp.tenant('acme')).toEqual({ crm: pp.entryOf('crm') });
    expect(pp.entryOf('crm')).toContain('/crm/1.1.0-');
    // The daemon has no checkout: the lock's order is its commit's, read from git (a lagging replica is refused).
    expect(pp.ringDoc()).toMatchObject({
      lockCommit: second,
      lockAt: Number(gitIn(remote.bare, 'show', '-s', '--format=%ct', second).trim()),
    });

    // acme moves to stable, whose writer already set its key: the canary daemon, reading tenants.yaml at its commit,
    // leaves that key to stable instead of deleting it as a tenant in no ring.
    const stableValue = JSON.stringify({ crm: 'https://cdn.example.test/crm/9.9.9-stable/remoteEntry.js' });
    redis.cli('SET', `${pp.prefix}:modules:active:acme`, stableValue);
    writeFileSync(join(pp.p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: stable\n  globex: stable\n');
    const third = remote.push('acme to stable');
    await d.webhook(pushEvent(third));
    await d.until('tenant move applied', (s) => s.appliedCommit === third);
    expect(pp.ringDoc()?.tenants).toEqual([]);
    expect(redis.cli('GET', `${pp.prefix}:modules:active:acme`)).toBe(stableValue);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  }, 90_000);
});
