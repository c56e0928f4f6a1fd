// ringlock wait against a real running daemon (real git server, real target) and against the target's own state:
// reaching a commit and a module version, a version whose health check fails (rolled back → exit 1 with the reason),
// timing out (124), an unreachable daemon (kept polling, then 124), and bad input (2).
import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { judgeState, judgeStatus } from '../src/daemon/rollout.js';
import type { DaemonStatus } from '../src/daemon/status.js';
import {
  buildPlatform,
  healthPath,
  type Run,
  scratch,
  show,
  startCli,
  startHealthServer,
} from './fixtures-platform.js';
import { bump, pushEvent, serveRepo, startDaemon } from './support/daemon.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

/** Starts `ringlock wait …` in `cwd`; resolves (with its exit to come) once it has printed its first progress line. */
async function startWait(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ done: Promise<Run> }> {
  const { child, done } = startCli(['wait', '--ring', 'canary', '--interval', '100ms', ...args], {
    cwd,
    env,
  });
  await new Promise<void>((resolve) => {
    let err = '';
    const onData = (b: Buffer) => {
      err += b.toString('utf8');
      if (err.includes('waiting: ')) {
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    void done.then(() => resolve());
  });
  return { done };
}

/** Runs `ringlock wait …` to its end. */
async function waitRun(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return (await startWait(cwd, args, env)).done;
}

const result = (r: Run) => JSON.parse(r.stdout) as Record<string, unknown>;

async function setup(t: Ctx, modules: Parameters<typeof buildPlatform>[1]) {
  const p = await buildPlatform(scratch(t, 'wait'), modules);
  const remote = await serveRepo(p);
  t.onTestFinished(() => remote.close());
  const d = await startDaemon(p, { repo: remote.url });
  t.onTestFinished(async () => {
    await d.stop('SIGKILL');
  });
  await d.until('first commit applied', (s) => s.appliedCommit !== undefined);
  return { p, remote, d };
}

describe.concurrent('ringlock wait', () => {
  it('waits for a commit and a module version, from /status and from the target state', async (t) => {
    const { p, remote, d } = await setup(t, { base: { version: '1.0.0' }, other: { version: '1.0.0' } });
    await bump(p, 'other', { version: '1.1.0' });
    const commit = remote.push('other 1.1.0');

    // Started before the daemon hears of the commit: each says it is waiting, then reaches it.
    const waits = await Promise.all([
      startWait(p.repo, ['--commit', commit.slice(0, 10), '--url', d.base, '--timeout', '2m', '--json']),
      startWait(p.repo, ['--module', 'other@1.1.0', '--timeout', '2m'], {
        RINGLOCK_STATUS_URL: `${d.base}/status`,
      }),
      startWait(p.repo, ['--module', 'other@1.1.0', '--timeout', '2m', '--json']),
    ]);
    await d.webhook(pushEvent(commit));
    const [c, m, l] = await Promise.all([waits[0].done, waits[1].done, waits[2].done]);
    expect(c.code, show(c)).toBe(0);
    expect(result(c)).toMatchObject({
      ok: true,
      result: 'reached',
      ring: 'canary',
      commit: commit.slice(0, 10),
    });
    expect(c.stderr).toMatch(/waiting: ring canary: desired/);
    expect(m.code, show(m)).toBe(0);
    expect(m.stdout).toContain('reached: ring canary runs other 1.1.0');
    expect(m.stderr).toMatch(/waiting: ring canary: other deployed 1\.0\.0 \(active\), desired/);
    expect(l.code, show(l)).toBe(0);
    expect(result(l)).toMatchObject({
      result: 'reached',
      module: 'other',
      version: '1.1.0',
      source: 'the target state',
    });

    const localCommit = await waitRun(p.repo, ['--commit', commit, '--timeout', '1m']);
    expect(localCommit.code, show(localCommit)).toBe(0);
    expect(localCommit.stdout).toContain(`reached: target runs ${commit.slice(0, 12)}`);

    // A commit the ring never gets: 124, saying what it last saw.
    const late = await waitRun(p.repo, [
      '--commit',
      'deadbeef',
      '--url',
      d.base,
      '--timeout',
      '1s',
      '--json',
    ]);
    expect(late.code, show(late)).toBe(124);
    expect(result(late)).toMatchObject({ ok: false, result: 'timeout', exitCode: 124 });

    // The daemon serves another ring than the one asked: bad input.
    const wrong = await startCli(
      ['wait', '--ring', 'stable', '--commit', commit, '--url', d.base, '--timeout', '1m'],
      {
        cwd: p.repo,
      },
    ).done;
    expect(wrong.code, show(wrong)).toBe(2);
    expect(wrong.stderr).toMatch(/serves ring "canary", not "stable"/);
  });

  it('a lock commit followed by an unrelated commit is reached: the ring runs its lock', async (t) => {
    const { p, remote, d } = await setup(t, { base: { version: '1.0.0' } });
    await bump(p, 'base', { version: '1.1.0' });
    const lockCommit = remote.push('base 1.1.0');
    await d.webhook(pushEvent(lockCommit));
    await d.until('lock commit applied', (s) => s.appliedCommit === lockCommit);
    const unrelated = remote.push('docs only');
    await d.webhook(pushEvent(unrelated));
    const s = await d.until('unrelated commit applied', (x) => x.appliedCommit === unrelated);
    expect(s.appliedLockCommit).toBe(lockCommit);

    // From /status alone (no git checkout where wait runs) and from the checkout: both reached.
    const bare = scratch(t, 'wait-nogit');
    for (const cwd of [bare, p.repo]) {
      const r = await waitRun(cwd, ['--commit', lockCommit, '--url', d.base, '--timeout', '1m']);
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toContain(`reached: ring canary runs ${unrelated.slice(0, 12)} (the lock of`);
    }

    // The target's own state applies the same rule: it recorded the lock commit, and the checkout shows the unrelated
    // commit after it with the same lock.
    for (const c of [lockCommit, unrelated]) {
      const r = await waitRun(p.repo, ['--commit', c, '--timeout', '1m']);
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toContain(`reached: target runs ${lockCommit.slice(0, 12)}`);
    }
  });

  it('a lock commit the daemon never saw as the head: the checkout tells that the ring runs its lock', async (t) => {
    const { p, remote, d } = await setup(t, { base: { version: '1.0.0' } });
    await bump(p, 'base', { version: '1.1.0' });
    const lockCommit = remote.push('base 1.1.0');
    const unrelated = remote.push('docs only');
    // One push event for both (the schedule never fires in these tests): the daemon applies only the newer.
    await d.webhook(pushEvent(unrelated));
    const s = await d.until('both applied', (x) => x.appliedCommit === unrelated);
    expect(s.appliedLockCommit).toBe(unrelated);
    const inCheckout = await waitRun(p.repo, ['--commit', lockCommit, '--url', d.base, '--timeout', '1m']);
    expect(inCheckout.code, show(inCheckout)).toBe(0);
    expect(inCheckout.stdout).toContain(`(the lock of ${lockCommit.slice(0, 12)})`);
    // Without a checkout, /status alone cannot tell: the documented limit.
    const bare = await waitRun(scratch(t, 'wait-nogit'), [
      '--commit',
      lockCommit,
      '--url',
      d.base,
      '--timeout',
      '1s',
    ]);
    expect(bare.code, show(bare)).toBe(124);
  });

  it("locally, --ring must be a ring of ringlock.yaml and the state must be that ring's: exit 2", async (t) => {
    const { p } = await setup(t, { base: { version: '1.0.0' } });
    const nope = await startCli(['wait', '--ring', 'nope', '--commit', 'abcdef1', '--timeout', '1m'], {
      cwd: p.repo,
    }).done;
    expect(nope.code, show(nope)).toBe(2);
    expect(nope.stderr).toMatch(/unknown ring "nope"/);
    const other = await startCli(['wait', '--ring', 'stable', '--module', 'base@1.0.0', '--timeout', '1m'], {
      cwd: p.repo,
    }).done;
    expect(other.code, show(other)).toBe(2);
    expect(other.stderr).toMatch(/the target's state belongs to ring "canary", not "stable"/);
  });

  it('a commit applied with a module blocked is a failure with the chain, not a success', async (t) => {
    const { p, remote, d } = await setup(t, { base: { version: '1.0.0' }, reports: { version: '1.0.0' } });
    await bump(p, 'reports', { version: '1.1.0', dependencies: { base: '^2.0.0' } });
    const commit = remote.push('reports 1.1.0 needs base 2');
    await d.webhook(pushEvent(commit));
    const s = await d.until('blocked commit applied', (x) => x.appliedCommit === commit);
    expect(s.modules.find((m) => m.name === 'reports')).toMatchObject({ state: 'blocked' });
    const r = await waitRun(p.repo, ['--commit', commit, '--url', d.base, '--timeout', '1m', '--json']);
    expect(r.code, show(r)).toBe(1);
    expect(result(r)).toMatchObject({ result: 'failed' });
    expect(String(result(r).reason)).toMatch(/^reports: blocked: reports needs base \^2\.0\.0 → /);
    // By version: the same chain, said once ("blocked: blocked: …" was printed before).
    const m = await waitRun(p.repo, ['--module', 'reports@1.1.0', '--url', d.base, '--timeout', '1m']);
    expect(m.code, show(m)).toBe(1);
    expect(m.stdout).toMatch(
      /^failed: reports 1\.1\.0 in ring canary: blocked: reports needs base \^2\.0\.0 → /m,
    );
    expect(m.stdout).not.toContain('blocked: blocked:');
  });

  it('exits 1 with the reason when the version fails its health check and is rolled back', async (t) => {
    const health = await startHealthServer();
    t.onTestFinished(() => health.close());
    const hc = (v: string, timeout = '1s') => ({
      http: { url: `${health.url}${healthPath('base', v).slice(1)}` },
      timeout,
      interval: '100ms',
    });
    const { p, remote, d } = await setup(t, { base: { version: '1.0.0', healthCheck: hc('1.0.0', '15s') } });
    health.failing.add(healthPath('base', '1.1.0'));
    await bump(p, 'base', { version: '1.1.0', healthCheck: hc('1.1.0') });
    const commit = remote.push('base 1.1.0');
    const waits = await Promise.all([
      startWait(p.repo, ['--module', 'base@1.1.0', '--url', d.base, '--timeout', '2m', '--json']),
      startWait(p.repo, ['--commit', commit, '--url', d.base, '--timeout', '2m']),
    ]);
    await d.webhook(pushEvent(commit));
    const [m, c] = await Promise.all([waits[0].done, waits[1].done]);
    expect(m.code, show(m)).toBe(1);
    expect(result(m)).toMatchObject({ ok: false, result: 'failed', module: 'base', version: '1.1.0' });
    expect(String(result(m).reason)).toMatch(/^base 1\.1\.0: .*health/);
    expect(c.code, show(c)).toBe(1);
    expect(c.stdout).toMatch(/^failed: [0-9a-f]{40} in ring canary: base: .*health/m);

    const local = await waitRun(p.repo, ['--module', 'base@1.1.0', '--timeout', '1m']);
    expect(local.code, show(local)).toBe(1);
    expect(local.stdout).toMatch(/^failed: base 1\.1\.0 in ring canary: base 1\.1\.0: .*health/m);
  });
});

describe.concurrent('ringlock wait without a daemon', () => {
  it('keeps polling an unreachable daemon, says so, and times out with 124', async (t) => {
    const dir = scratch(t, 'wait-bad');
    // A port nobody listens on: taken, then given back.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const url = `http://127.0.0.1:${port}`;
    const r = await waitRun(dir, ['--commit', 'abcdef1', '--url', url, '--timeout', '1s']);
    expect(r.code, show(r)).toBe(124);
    expect(r.stderr).toContain(`waiting: cannot reach ${url}: ECONNREFUSED; still waiting`);
    expect(r.stdout).toMatch(/^timed out after \d+s waiting for abcdef1 in ring canary/);
  });

  it.each([
    [['--commit', 'abcdef1', '--module', 'a@1.0.0'], /only one of --commit/],
    [[], /one of --commit/],
    [['--commit', 'abcdef1', '--timeout', '10 minutes'], /--timeout 10 minutes: not a duration/],
    [['--commit', 'not-a-sha'], /--commit not-a-sha: not a commit id/],
    [['--module', 'orders'], /--module orders: give the module and its version/],
    [['--commit', 'abcdef1', '--url', 'ftp://example.test/'], /ftp: is not http or https/],
    [['--commit', 'abcdef1', '--url', 'http://u:p@127.0.0.1:1/'], /the URL carries credentials/],
  ])('bad input %j: exit 2', async (args, message) => {
    const r = await startCli(['wait', '--ring', 'canary', ...args], { cwd: process.cwd() }).done;
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--ring is required', async () => {
    const r = await startCli(['wait', '--commit', 'abcdef1'], { cwd: process.cwd() }).done;
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/--ring <ring> is required/);
  });
});

describe('the verdict from one /status document', () => {
  const status = (over: Partial<DaemonStatus>): DaemonStatus => ({
    ring: 'canary',
    repo: 'r',
    branch: 'main',
    path: '.',
    gitDriver: 'native',
    phase: 'idle',
    ready: true,
    health: 'ok',
    git: { failures: 0 },
    modules: [],
    drift: [],
    quarantined: [],
    ...over,
  });

  it('a version the plan blocks is a failure with the reason, not a wait until the timeout', () => {
    const s = status({
      modules: [
        {
          name: 'orders',
          desired: '2.0.0',
          deployed: '1.0.0',
          state: 'active',
          blocked: 'orders needs base ^2.0.0 → the ring has base 1.0.0; keeps 1.0.0',
        },
      ],
    });
    expect(judgeStatus(s, { module: 'orders', version: '2.0.0' })).toMatchObject({
      phase: 'failed',
      reason: 'blocked: orders needs base ^2.0.0 → the ring has base 1.0.0; keeps 1.0.0',
    });
    // The plan's reason already says "blocked: ": said once.
    const again = status({ modules: [{ ...s.modules[0]!, blocked: 'blocked: orders needs base ^2.0.0' }] });
    expect(judgeStatus(again, { module: 'orders', version: '2.0.0' }).reason).toBe(
      'blocked: orders needs base ^2.0.0',
    );
    expect(judgeStatus(s, { module: 'orders', version: '1.0.0' }).phase).toBe('reached');
  });

  it('a commit refused as invalid fails with the error; an abbreviated commit in any case matches', () => {
    const sha = 'ABCDEF0123456789abcdef0123456789abcdef01';
    const s = status({
      lastAttempt: {
        startedAt: '',
        finishedAt: '',
        durationMs: 0,
        trigger: 'webhook',
        commit: sha.toLowerCase(),
        outcome: 'invalid',
        applied: 0,
        failed: 0,
      },
      lastError: {
        code: 'schema/pattern',
        message: 'rings/canary.lock.json:3:5: invalid value',
        commit: sha.toLowerCase(),
        diagnostics: [],
        at: '',
      },
    });
    expect(judgeStatus(s, { commit: 'abcdef01' })).toMatchObject({
      phase: 'failed',
      reason: 'rings/canary.lock.json:3:5: invalid value',
    });
    expect(judgeStatus(status({ appliedCommit: sha.toLowerCase() }), { commit: 'ABCDEF01' }).phase).toBe(
      'reached',
    );
  });

  it('the target state: a hook error repeated by each retry is said once', () => {
    const sha = 'abcdef0123456789abcdef0123456789abcdef01';
    const rec = (id: string) => ({
      id,
      module: 'orders',
      op: id === 'a' ? ('upgrade' as const) : ('retry' as const),
      from: '1.0.0',
      to: '1.1.0',
      actor: 'daemon',
      lockCommit: sha,
      startedAt: '',
      finishedAt: '',
      outcome: 'failed' as const,
      error: 'hook preInstall exited 1',
    });
    const v = judgeState(
      'canary',
      { stateVersion: 1, ring: 'canary', modules: {}, quarantine: [] },
      undefined,
      [rec('a'), rec('b'), rec('c')],
      { commit: sha.slice(0, 8) },
    );
    expect(v).toMatchObject({ phase: 'failed', reason: 'orders: hook preInstall exited 1' });
  });
});
