// End to end: the real daemon (a child process) watching a platform repository served by a real git smart-HTTP server
// on 127.0.0.1, applying its canary lock onto a real target from a file registry. Both git drivers.
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildPlatform,
  expectConsistent,
  HOOKS,
  healthPath,
  type ModuleSpec,
  type Platform,
  processAlive,
  runCli,
  scratch,
  startHealthServer,
} from './fixtures-platform.js';
import {
  bump,
  type DaemonProcess,
  DEADLINE_MS,
  gitIn,
  pushEvent,
  type Remote,
  SECRETS,
  serveRepo,
  startDaemon,
} from './support/daemon.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

async function setup(
  t: Ctx,
  modules: Record<string, ModuleSpec> = {
    base: { version: '1.0.0' },
    app: { version: '1.0.0', dependencies: { base: '^1.0.0' } },
  },
  opts: { token?: string; targetConfig?: string } = {},
): Promise<{ p: Platform; remote: Remote }> {
  const p = await buildPlatform(scratch(t, 'daemon'), modules, { targetConfig: opts.targetConfig });
  const remote = await serveRepo(p, { token: opts.token });
  t.onTestFinished(() => remote.close());
  return { p, remote };
}

async function daemon(t: Ctx, p: Platform, o: Parameters<typeof startDaemon>[1]): Promise<DaemonProcess> {
  const d = await startDaemon(p, o);
  t.onTestFinished(async () => {
    await d.stop('SIGKILL');
  });
  return d;
}

const head = (p: Platform, module: string) => p.state().modules[module]?.active.version;

/** No secret value may appear anywhere the daemon printed, nor in its status. */
async function expectNoSecrets(d: DaemonProcess): Promise<void> {
  const printed = d.output() + JSON.stringify(await d.status().catch(() => ({})));
  for (const [name, value] of Object.entries(SECRETS))
    expect(printed.includes(value), `${name} secret leaked`).toBe(false);
}

describe.concurrent.each(['native', 'isomorphic'] as const)('daemon with the %s git driver', (driver) => {
  it('applies the lock at start, then a pushed upgrade within the webhook that announces it', async (t) => {
    const { p, remote } = await setup(t, undefined, { token: SECRETS.git });
    const first = gitHead(remote);
    const d = await daemon(t, p, { repo: remote.url, driver, env: { RINGLOCK_GIT_TOKEN: SECRETS.git } });
    expect((await d.get('/readyz')).status === 200 || (await d.status()).ready === false).toBe(true);
    const s1 = await d.until('first commit applied', (s) => s.appliedCommit === first);
    expect(s1.ready).toBe(true);
    expect(s1.health).toBe('ok');
    expect(s1.gitDriver).toBe(driver);
    expect(s1.lockPath).toBe('rings/canary.lock.json');
    expect(s1.modules.map((m) => [m.name, m.desired, m.deployed, m.state])).toEqual([
      ['app', '1.0.0', '1.0.0', 'active'],
      ['base', '1.0.0', '1.0.0', 'active'],
    ]);
    expect((await d.get('/readyz')).status).toBe(200);
    expect((await d.get('/healthz')).status).toBe(200);

    await bump(p, 'app', { version: '1.1.0', dependencies: { base: '^1.0.0' } });
    const second = remote.push('app 1.1.0');
    const hook = await d.webhook(pushEvent(second));
    expect(hook.status).toBe(202);
    expect(JSON.parse(hook.text)).toMatchObject({ triggered: true });
    const s2 = await d.until('upgrade applied', (s) => s.appliedCommit === second);
    expect(s2.lastAttempt).toMatchObject({
      trigger: 'webhook',
      outcome: 'succeeded',
      commit: second,
      applied: 1,
    });
    expect(head(p, 'app')).toBe('1.1.0');
    const rec = p
      .history()
      .filter((h) => h.module === 'app')
      .at(-1)!;
    expect(rec).toMatchObject({
      op: 'upgrade',
      from: '1.0.0',
      to: '1.1.0',
      actor: 'daemon',
      lockCommit: second,
      outcome: 'succeeded',
    });
    const metrics = (await d.get('/metrics')).text;
    expect(metrics).toMatch(/^ringlock_reconciles_total\{outcome="succeeded"\} [1-9]/m);
    expect(metrics).toMatch(/^ringlock_git_fetch_duration_seconds_count [1-9]/m);
    expect(metrics).toMatch(/^ringlock_modules\{state="active"\} 2$/m);
    expect(metrics).toMatch(/^ringlock_last_success_timestamp_seconds [1-9]/m);
    await expectNoSecrets(d);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    await expectConsistent(p);
  });

  it('keeps the last good state while the git server is down and recovers by itself', async (t) => {
    const { p, remote } = await setup(t);
    const first = gitHead(remote);
    const d = await daemon(t, p, { repo: remote.url, driver, schedule: '*/1 * * * * *' });
    await d.until('applied', (s) => s.appliedCommit === first);
    await remote.server.stop();
    await bump(p, 'base', { version: '1.0.1' });
    const second = remote.push('base 1.0.1');
    const down = await d.until('git failure reported', (s) => s.git.failures >= 2);
    expect(down.health).toBe('degraded');
    expect(down.lastError?.code).toBe('git/unreachable');
    expect(down.degradedReason).toMatch(/^git: /);
    expect(down.appliedCommit).toBe(first);
    expect(head(p, 'base')).toBe('1.0.0');
    expect((await d.get('/healthz')).status).toBe(200);
    await remote.server.start();
    const up = await d.until('recovered', (s) => s.appliedCommit === second, DEADLINE_MS);
    expect(up.git.failures).toBe(0);
    expect(up.health).toBe('ok');
    expect(head(p, 'base')).toBe('1.0.1');
  });

  it('retries a failed fetch when its backoff ends, not only at the next scheduled tick', async (t) => {
    const { p, remote } = await setup(t);
    await remote.server.stop();
    // The default schedule here is yearly: only the retry can bring the first commit in.
    const d = await daemon(t, p, { repo: remote.url, driver });
    await d.until('git failure reported', (s) => s.git.failures >= 1);
    await remote.server.start();
    const up = await d.until('applied after the retry', (s) => s.appliedCommit === gitHead(remote));
    expect(up.git.failures).toBe(0);
    expect(up.lastAttempt?.trigger).toBe('git-retry');
    expect(head(p, 'base')).toBe('1.0.0');
  });

  it('follows a force-pushed branch: the new tip wins', async (t) => {
    const { p, remote } = await setup(t);
    const d = await daemon(t, p, { repo: remote.url, driver });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    await bump(p, 'base', { version: '1.1.0' });
    const pushed = remote.push('base 1.1.0');
    await d.webhook(pushEvent(pushed));
    await d.until('1.1.0 applied', (s) => s.appliedCommit === pushed);
    // Rewrite history: drop that commit and publish 1.2.0 on top of the first one instead.
    await bump(p, 'base', { version: '1.2.0' });
    const rewritten = forcePush(p, 'base 1.2.0 (rewritten)');
    await d.webhook(pushEvent(rewritten));
    await d.until('rewritten tip applied', (s) => s.appliedCommit === rewritten);
    expect(head(p, 'base')).toBe('1.2.0');
  });
});

describe.concurrent('daemon', () => {
  it('authenticates webhooks: a bad or missing signature triggers nothing; ping, other events and branches are answered', async (t) => {
    const { p, remote } = await setup(t);
    const d = await daemon(t, p, { repo: remote.url });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    await bump(p, 'base', { version: '1.0.1' });
    const second = remote.push('base 1.0.1');
    const before = (await d.status()).lastAttempt;
    expect((await d.webhook(pushEvent(second), { secret: 'not-the-secret' })).status).toBe(401);
    expect((await d.webhook(pushEvent(second), { secret: null })).status).toBe(401);
    expect((await d.webhook(pushEvent(second), { signature: 'sha256=00' })).status).toBe(401);
    expect((await d.webhook(pushEvent(second), { signature: 'sha1=abc' })).status).toBe(401);
    expect((await d.webhook({ zen: 'Keep it logically awesome.' }, { event: 'ping' })).status).toBe(200);
    const other = await d.webhook({ action: 'opened' }, { event: 'pull_request' });
    expect(other.status).toBe(202);
    expect(JSON.parse(other.text)).toMatchObject({ triggered: false });
    const branch = await d.webhook(pushEvent(second, 'refs/heads/feature'));
    expect(branch.status).toBe(202);
    expect(JSON.parse(branch.text)).toMatchObject({ triggered: false });
    const bad = await d.post('/hooks/github', 'not json', {
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRETS.webhook).update('not json').digest('hex')}`,
    });
    expect(bad.status).toBe(400);
    const huge = await d
      .post('/hooks/github', 'x'.repeat(26 * 1024 * 1024), { 'x-github-event': 'push' })
      .catch(() => ({ status: 413, text: '' }));
    expect(huge.status).toBe(413);
    expect((await d.post('/reconcile', '', {})).status).toBe(401);
    expect((await d.post('/reconcile', '', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await d.get('/hooks/github')).status).toBe(405);
    expect((await d.get('/nope')).status).toBe(404);
    // Nothing above started a run: the target still runs the first commit.
    const after = await d.status();
    expect(after.lastAttempt?.startedAt).toBe(before?.startedAt);
    expect(head(p, 'base')).toBe('1.0.0');
    expect((await d.post('/reconcile', '', { authorization: `Bearer ${SECRETS.api}` })).status).toBe(202);
    await d.until('applied through /reconcile', (s) => s.appliedCommit === second);
    const metrics = (await d.get('/metrics')).text;
    expect(metrics).toMatch(/^ringlock_webhooks_total\{result="unauthorized"\} 4$/m);
    await expectNoSecrets(d);
  });

  it('never applies an invalid lock: status shows file:line, the fix is picked up on the next commit', async (t) => {
    const { p, remote } = await setup(t);
    const d = await daemon(t, p, { repo: remote.url });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    const good = p.readLock();
    await bump(p, 'base', { version: '1.0.1' });
    const bumped = p.readLock();
    const broken = bumped.replace('"version": "1.0.1"', '"version": "1.0"');
    p.writeLock(broken);
    const bad = remote.push('broken lock');
    await d.webhook(pushEvent(bad));
    const s = await d.until('invalid lock reported', (x) => x.lastError?.commit === bad);
    const line = broken.split('\n').findIndex((l) => l.includes('"version": "1.0"')) + 1;
    expect(s.lastError).toMatchObject({ file: 'rings/canary.lock.json', line, code: 'schema/pattern' });
    expect(s.lastAttempt?.outcome).toBe('invalid');
    expect(s.health).toBe('degraded');
    expect(s.appliedCommit).not.toBe(bad);
    expect(head(p, 'base')).toBe('1.0.0');
    expect((await d.get('/healthz')).status).toBe(200);
    p.writeLock(bumped);
    const fixed = remote.push('fix lock');
    await d.webhook(pushEvent(fixed));
    const ok = await d.until('fixed lock applied', (x) => x.appliedCommit === fixed);
    expect(ok.lastError).toBeUndefined();
    expect(head(p, 'base')).toBe('1.0.1');
    void good;
  });

  it('finishes the module in flight on SIGTERM and exits 0; the target stays consistent', async (t) => {
    const { p, remote } = await setup(t, { base: { version: '1.0.0', lifecycle: HOOKS } });
    // The first install by hand, so that only the upgrade's hook is slow.
    expect((await p.apply()).code).toBe(0);
    const d = await daemon(t, p, {
      repo: remote.url,
      args: ['--shutdown-timeout', '20s'],
      env: { RL_HOOK_SLOW: 'base', RL_HOOK_SLEEP: '1' },
    });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    await bump(p, 'base', { version: '1.1.0', lifecycle: HOOKS });
    const second = remote.push('base 1.1.0');
    rmSync(join(p.out, 'base.hook.pid'), { force: true });
    await d.webhook(pushEvent(second));
    await waitFor(() => existsSync(join(p.out, 'base.hook.pid')), 'the upgrade hook running');
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    expect(head(p, 'base')).toBe('1.1.0');
    // The hook ran with the RINGLOCK_* context of its operation, and none of the daemon's own secrets.
    const hookEnv = readFileSync(join(p.out, 'base-onUpgrade-1.1.0.env'), 'utf8');
    expect(hookEnv).toContain('RINGLOCK_TO_VERSION=1.1.0');
    for (const value of Object.values(SECRETS)) expect(hookEnv).not.toContain(value);
    expect(hookEnv).not.toMatch(/RINGLOCK_(API_TOKEN|WEBHOOK_SECRET|GIT_TOKEN)=/);
    await expectConsistent(p);
  });

  it('on SIGTERM with a hook outlasting the shutdown budget, stops it: the old version stays, exit 0', async (t) => {
    const { p, remote } = await setup(t, { base: { version: '1.0.0', lifecycle: HOOKS } });
    expect((await p.apply()).code).toBe(0);
    const d = await daemon(t, p, {
      repo: remote.url,
      args: ['--shutdown-timeout', '3s'],
      env: { RL_HOOK_SLOW: 'base', RL_HOOK_SLEEP: '60' },
    });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    await bump(p, 'base', { version: '1.1.0', lifecycle: HOOKS });
    const second = remote.push('base 1.1.0');
    rmSync(join(p.out, 'base.hook.pid'), { force: true });
    await d.webhook(pushEvent(second));
    await waitFor(() => existsSync(join(p.out, 'base.hook.pid')), 'the upgrade hook running');
    const hookPid = Number(readFileSync(join(p.out, 'base.hook.pid'), 'utf8'));
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    expect(processAlive(hookPid)).toBe(false);
    expect(head(p, 'base')).toBe('1.0.0');
    // Consistent, on the old version (the lock's 1.1.0 is for the next start).
    await expectConsistent(p, p.target, { verified: [] });
  }, 60_000);

  it('applies nothing while suspended, reports what is pending, and applies after resume', async (t) => {
    const { p, remote } = await setup(t);
    const d = await daemon(t, p, { repo: remote.url });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    const sus = await runCli(
      ['suspend', '--ring', 'canary', '--target', p.target, '--reason', 'incident 42', '--json'],
      { cwd: p.root },
    );
    expect(sus.code).toBe(0);
    await bump(p, 'base', { version: '1.0.1' });
    const second = remote.push('base 1.0.1');
    await d.webhook(pushEvent(second));
    const s = await d.until('suspended run', (x) => x.lastAttempt?.commit === second);
    expect(s.lastAttempt?.outcome).toBe('suspended');
    expect(s.health).toBe('suspended');
    expect(s.suspended).toMatchObject({ ring: 'canary', reason: 'incident 42' });
    expect(s.modules.find((m) => m.name === 'base')).toMatchObject({ desired: '1.0.1', deployed: '1.0.0' });
    expect(head(p, 'base')).toBe('1.0.0');
    expect((await d.get('/metrics')).text).toMatch(/^ringlock_suspended 1$/m);
    const wrong = await runCli(['resume', '--ring', 'stable', '--target', p.target], { cwd: p.root });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/runs ring "canary"/);
    expect((await runCli(['resume', '--ring', 'canary', '--target', p.target], { cwd: p.root })).code).toBe(
      0,
    );
    await d.post('/reconcile', '', { authorization: `Bearer ${SECRETS.api}` });
    await d.until('applied after resume', (x) => x.appliedCommit === second);
    expect(head(p, 'base')).toBe('1.0.1');
  });

  it('reports drift made by hand and heals it: a removed link at once, edited files on the full re-hash', async (t) => {
    const { p, remote } = await setup(t);
    const d = await daemon(t, p, { repo: remote.url });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    const api = { authorization: `Bearer ${SECRETS.api}` };
    rmSync(join(p.target, 'base'));
    await d.post('/reconcile', '', api);
    await waitFor(() => p.link('base') !== undefined, 'the removed link restored');
    const storeDir = p.state().modules.app!.active.storeDir;
    writeFileSync(join(p.target, storeDir, 'src/index.php'), '<?php // edited in place\n');
    await d.post('/reconcile?full=1', '', api);
    await waitFor(
      () => p.history().some((h) => h.module === 'app' && h.op === 'reinstall' && h.outcome === 'succeeded'),
      'app reinstalled',
    );
    // The daemon logged both before it applied; its stdout may reach this process after the history file does (a
    // test beside this one can hold the event loop): wait for the lines, then count them.
    const drifted = () => d.logLines().filter((l) => l.msg === 'drift detected in 1 module(s)');
    await waitFor(() => drifted().length >= 2, 'both drifts logged').catch(() => undefined);
    expect(drifted().length, d.output().slice(-4000)).toBeGreaterThanOrEqual(2);
    await d.until('settled', (s) => s.phase === 'idle');
    await expectConsistent(p);
  });

  it('with self-heal off, reports drift and leaves it', async (t) => {
    const { p, remote } = await setup(t);
    const d = await daemon(t, p, { repo: remote.url, args: ['--no-self-heal'] });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    rmSync(join(p.target, 'base'));
    await d.post('/reconcile', '', { authorization: `Bearer ${SECRETS.api}` });
    const s = await d.until('drift reported', (x) => x.drift.some((e) => e.module === 'base'));
    expect(s.drift.find((e) => e.module === 'base')?.reason).toBe('missing from the target');
    expect(s.modules.find((m) => m.name === 'base')?.drift).toBe('missing from the target');
    expect((await d.get('/metrics')).text).toMatch(/^ringlock_drift_modules 1$/m);
    expect(p.link('base')).toBeUndefined();
  });

  it('rolls back a version whose health check fails, quarantines it, and does not loop on it', async (t) => {
    const health = await startHealthServer();
    t.onTestFinished(() => health.close());
    // 1.1.0's check fails fast; 1.0.0's passes, with room for a health server slowed by the tests beside this one.
    const hc = (v: string, timeout = '1s') => ({
      http: { url: `${health.url}${healthPath('base', v).slice(1)}` },
      timeout,
      interval: '100ms',
    });
    const { p, remote } = await setup(t, { base: { version: '1.0.0', healthCheck: hc('1.0.0', '15s') } });
    const d = await daemon(t, p, { repo: remote.url, schedule: '*/1 * * * * *' });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    health.failing.add(healthPath('base', '1.1.0'));
    await bump(p, 'base', { version: '1.1.0', healthCheck: hc('1.1.0') });
    const second = remote.push('base 1.1.0');
    const s = await d.until('quarantined', (x) => x.quarantined.some((q) => q.version === '1.1.0'));
    expect(head(p, 'base')).toBe('1.0.0');
    expect(s.modules.find((m) => m.name === 'base')).toMatchObject({
      state: 'rolled_back',
      desired: '1.1.0',
      deployed: '1.0.0',
    });
    // Several more ticks: none tries 1.1.0 again.
    const ticks =
      (await d.get('/metrics')).text.match(/^ringlock_reconciles_total\{outcome="noop"\} (\d+)$/m)?.[1] ??
      '0';
    await waitFor(async () => {
      const m =
        (await d.get('/metrics')).text.match(/^ringlock_reconciles_total\{outcome="noop"\} (\d+)$/m)?.[1] ??
        '0';
      return Number(m) >= Number(ticks) + 3;
    }, 'three more ticks');
    const attempts = p.history().filter((h) => h.module === 'base' && h.to === '1.1.0');
    expect(attempts.map((h) => h.outcome)).toEqual(['rolled_back']);
    expect(health.count(healthPath('base', '1.1.0'))).toBeGreaterThan(0);
    void second;
    await expectConsistent(p, p.target, { verified: [] });
  });

  it('a newer commit cuts a waiting health check short instead of queueing behind it', async (t) => {
    const health = await startHealthServer();
    t.onTestFinished(() => health.close());
    const hc = (v: string) => ({
      http: { url: `${health.url}${healthPath('base', v).slice(1)}` },
      timeout: '60s',
      interval: '100ms',
    });
    const { p, remote } = await setup(t, { base: { version: '1.0.0', healthCheck: hc('1.0.0') } });
    const d = await daemon(t, p, { repo: remote.url });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    health.failing.add(healthPath('base', '1.1.0'));
    await bump(p, 'base', { version: '1.1.0', healthCheck: hc('1.1.0') });
    const slow = remote.push('base 1.1.0 (never healthy)');
    await d.webhook(pushEvent(slow));
    await waitFor(() => health.count(healthPath('base', '1.1.0')) >= 2, 'the health check of 1.1.0 waiting');
    await bump(p, 'base', { version: '1.2.0', healthCheck: hc('1.2.0') });
    const fix = remote.push('base 1.2.0');
    await d.webhook(pushEvent(fix));
    await d.until('1.2.0 applied', (s) => s.appliedCommit === fix, DEADLINE_MS);
    expect(head(p, 'base')).toBe('1.2.0');
    const h = p.history().filter((r) => r.module === 'base' && r.to === '1.1.0');
    expect(h.map((r) => r.outcome)).toEqual(['superseded']);
    expect((await d.status()).quarantined).toEqual([]);
    await expectConsistent(p);
  });

  it('a module whose artifact cannot be fetched fails alone and is retried with backoff; the others proceed', async (t) => {
    const { p, remote } = await setup(t, { base: { version: '1.0.0' }, other: { version: '1.0.0' } });
    const d = await daemon(t, p, { repo: remote.url, schedule: '*/1 * * * * *' });
    await d.until('applied', (s) => s.appliedCommit === gitHead(remote));
    await bump(p, 'base', { version: '1.1.0' });
    await bump(p, 'other', { version: '1.1.0' });
    const artifact = join(p.registry, 'other', '1.1.0');
    renameSync(artifact, `${artifact}.away`);
    const second = remote.push('both 1.1.0');
    const s = await d.until('other failing', (x) =>
      x.modules.some((m) => m.name === 'other' && m.retryAt !== undefined),
    );
    expect(head(p, 'base')).toBe('1.1.0');
    expect(head(p, 'other')).toBe('1.0.0');
    expect(s.health).toBe('degraded');
    expect(s.appliedCommit).not.toBe(second);
    renameSync(`${artifact}.away`, artifact);
    await d.until('other retried and applied', (x) => x.appliedCommit === second, DEADLINE_MS);
    expect(head(p, 'other')).toBe('1.1.0');
    const fails = p.history().filter((h) => h.module === 'other' && h.outcome === 'failed');
    expect(fails.length).toBeGreaterThanOrEqual(1);
    expect(fails.length).toBeLessThan(6);
  });

  it('refuses a wrong git token without leaking it, and bad arguments with exit 2', async (t) => {
    const { p, remote } = await setup(t, undefined, { token: SECRETS.git });
    const d = await daemon(t, p, { repo: remote.url, env: { RINGLOCK_GIT_TOKEN: `${SECRETS.git}-wrong` } });
    const s = await d.until('auth failure', (x) => x.lastError?.code === 'git/auth');
    expect(s.ready).toBe(false);
    expect((await d.get('/readyz')).status).toBe(503);
    expect(d.output().includes(`${SECRETS.git}-wrong`)).toBe(false);
    await expectNoSecrets(d);
    const noRing = await runCli(['daemon', '--repo', remote.url], { cwd: p.root });
    expect(noRing.code).toBe(2);
    expect(noRing.stderr).toMatch(/--ring or RING_NAME/);
    const creds = await runCli(
      ['daemon', '--ring', 'canary', '--repo', `http://u:${SECRETS.git}@127.0.0.1/x.git`],
      { cwd: p.root },
    );
    expect(creds.code).toBe(2);
    expect(creds.stderr).not.toContain(SECRETS.git);
    const driver = await runCli(['daemon', '--ring', 'canary', '--repo', remote.url, '--git-driver', 'svn'], {
      cwd: p.root,
    });
    expect(driver.code).toBe(2);
    const cron = await runCli(
      ['daemon', '--ring', 'canary', '--repo', remote.url, '--schedule', 'every minute'],
      { cwd: p.root },
    );
    expect(cron.code).toBe(2);
    const listen = await runCli(['daemon', '--ring', 'canary', '--repo', remote.url, '--listen', 'nowhere'], {
      cwd: p.root,
    });
    expect(listen.code).toBe(2);
  });
});

function gitHead(remote: Remote): string {
  return gitIn(remote.bare, 'rev-parse', 'refs/heads/main');
}

/** Replaces the last commit and force-pushes: the old tip is no longer on the branch. */
function forcePush(p: Platform, message: string): string {
  gitIn(p.repo, 'add', '-A');
  gitIn(p.repo, 'commit', '-q', '--amend', '-m', message);
  gitIn(p.repo, 'push', '-q', '--force', 'origin', 'HEAD:refs/heads/main');
  return gitIn(p.repo, 'rev-parse', 'HEAD');
}

async function waitFor(
  ok: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = DEADLINE_MS,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
