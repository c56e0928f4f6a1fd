// /status, /metrics and the state tell the truth after a failure: a module the lock pins at its deployed version again
// is active, and an attempt that refused an invalid lock names that lock's commit. The real daemon, a real git server.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform, scratch } from './fixtures-platform.js';
import { bump, gitIn, pushEvent, type Remote, SECRETS, serveRepo, startDaemon } from './support/daemon.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

async function setup(t: Ctx) {
  const p = await buildPlatform(scratch(t, 'status'), {
    base: { version: '1.0.0' },
    other: { version: '1.0.0' },
  });
  const remote = await serveRepo(p);
  t.onTestFinished(() => remote.close());
  const d = await startDaemon(p, { repo: remote.url });
  t.onTestFinished(async () => {
    await d.stop('SIGKILL');
  });
  await d.until('first commit applied', (s) => s.appliedCommit === head(remote));
  return { p, remote, d };
}

const head = (remote: Remote) => gitIn(remote.bare, 'rev-parse', 'refs/heads/main');

describe('daemon status truth', () => {
  it('a failed module is active again once the lock pins its deployed version: health ok, no failed modules', async (t) => {
    const { p, remote, d } = await setup(t);
    const good = p.readLock();
    await bump(p, 'other', { version: '1.1.0' });
    const artifact = join(p.registry, 'other', '1.1.0');
    renameSync(artifact, `${artifact}.away`);
    const broken = remote.push('other 1.1.0, artifact missing');
    await d.webhook(pushEvent(broken));
    const failing = await d.until('other failed', (s) =>
      s.modules.some((m) => m.name === 'other' && m.state === 'failed'),
    );
    expect(failing.health).toBe('degraded');
    expect((await d.get('/metrics')).text).toMatch(/^ringlock_modules\{state="failed"\} 1$/m);

    p.writeLock(good);
    const reverted = remote.push('revert other to 1.0.0');
    await d.webhook(pushEvent(reverted));
    const s = await d.until('revert judged', (x) => x.lastAttempt?.commit === reverted && x.phase === 'idle');
    expect(s.modules.map((m) => [m.name, m.desired, m.deployed, m.state])).toEqual([
      ['base', '1.0.0', '1.0.0', 'active'],
      ['other', '1.0.0', '1.0.0', 'active'],
    ]);
    expect(s.modules.find((m) => m.name === 'other')?.lastError).toBeUndefined();
    expect(s.health).toBe('ok');
    expect(s.degradedReason).toBeUndefined();
    expect(s.appliedCommit).toBe(reverted);
    expect((await d.get('/metrics')).text).toMatch(/^ringlock_modules\{state="failed"\} 0$/m);
    expect(p.state().modules.other).toMatchObject({ status: 'active' });
    expect(p.state().modules.other?.lastError).toBeUndefined();
  });

  it('an attempt that refuses an invalid lock names the invalid commit, as lastError does', async (t) => {
    const { p, remote, d } = await setup(t);
    const valid = head(remote);
    await bump(p, 'base', { version: '1.0.1' });
    p.writeLock(p.readLock().replace('"version": "1.0.1"', '"version": "1.0"'));
    const bad = remote.push('broken lock');
    await d.webhook(pushEvent(bad));
    const s = await d.until('invalid lock judged', (x) => x.lastAttempt?.outcome === 'invalid');
    expect(s.lastError?.commit).toBe(bad);
    expect(s.lastAttempt?.commit).toBe(bad);
    expect(s.desiredCommit).toBe(bad);
    expect(s.appliedCommit).toBe(valid);
    // The next attempt judges the same invalid head and says so again.
    await d.post('/reconcile', '', { authorization: `Bearer ${SECRETS.api}` });
    const again = await d.until(
      'second attempt',
      (x) => x.lastAttempt?.trigger === 'api' && x.phase === 'idle',
    );
    expect(again.lastAttempt).toMatchObject({ outcome: 'invalid', commit: bad });
  });
});
