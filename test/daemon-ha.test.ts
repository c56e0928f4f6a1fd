// Two daemons on one ring with the PostgreSQL store, sharing one target: one leads (holds the ring's writer lease),
// the other waits as a standby and takes over when the leader dies — killed at each named point of an apply, paused
// past its lease, or stopped — and the database restarting mid-apply; a webhook that reaches the standby wakes the
// leader. Real daemons (child processes), a real git smart-HTTP server and a real PostgreSQL.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { DaemonStatus } from '../src/daemon/status.js';
import {
  buildPlatform,
  HOOKS,
  healthPath,
  type ModuleSpec,
  type Platform,
  processAlive,
  scratch,
  startHealthServer,
} from './fixtures-platform.js';
import {
  bump,
  type DaemonProcess,
  DEADLINE_MS,
  pushEvent,
  type Remote,
  serveRepo,
  startDaemon,
} from './support/daemon.js';
import { expectConsistentPg, type PgRing, pgRing, readRing, sql, tokens } from './support/pg-state.js';
import { startPostgres, uniqueSchema } from './support/postgres.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

const url = inject('pgUrl');

const b = (version: string): ModuleSpec => ({
  version,
  dependencies: { a: '^1.0.0' },
  lifecycle: HOOKS,
  healthCheck: { http: { path: healthPath('b', version) }, timeout: '5s', interval: '100ms' },
});
const MODULES = { a: { version: '1.0.0' }, b: b('1.0.0') };

interface Ring {
  p: Platform;
  remote: Remote;
  pg: PgRing;
  env: Record<string, string>;
}

async function setup(t: Ctx, dbUrl = url, extra: Record<string, string> = {}): Promise<Ring> {
  const p = await buildPlatform(scratch(t, 'daemon-ha'), MODULES);
  const remote = await serveRepo(p);
  t.onTestFinished(() => remote.close());
  const health = await startHealthServer();
  t.onTestFinished(() => health.close());
  const pg = pgRing(dbUrl, uniqueSchema('ha'), extra);
  return { p, remote, pg, env: { ...pg.env, RINGLOCK_HEALTH_URL: health.url } };
}

async function daemon(
  t: Ctx,
  r: Ring,
  env: Record<string, string> = {},
  o: { schedule?: string } = {},
): Promise<DaemonProcess> {
  const d = await startDaemon(r.p, { repo: r.remote.url, env: { ...r.env, ...env }, schedule: o.schedule });
  t.onTestFinished(async () => {
    await d.stop('SIGKILL');
  });
  return d;
}

/** Waits until the daemon logged `line` (or exited: then returns false). */
async function logged(d: DaemonProcess, line: string, timeoutMs = DEADLINE_MS): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (d.output().includes(line)) return true;
    if (d.child.exitCode !== null || d.child.signalCode !== null) return d.output().includes(line);
    if (Date.now() > end) throw new Error(`timed out waiting for "${line}":\n${d.output().slice(-4000)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** This replica leads, and a run of its own applied `commit` (a new leader's state may name it before its first run). */
const leads = (commit: string) => (s: DaemonStatus) =>
  s.role === 'leader' &&
  s.appliedCommit === commit &&
  s.lastAttempt?.commit === commit &&
  (s.lastAttempt.outcome === 'succeeded' || s.lastAttempt.outcome === 'noop');

const gitHead = (r: Ring) => r.remote.push('noop');

describe('two daemons on one ring (PostgreSQL store)', () => {
  it('one leads and applies, the other waits as a standby; a webhook to the standby wakes the leader', async (t) => {
    const r = await setup(t);
    const first = gitHead(r);
    const a = await daemon(t, r);
    await a.until('leader applied', leads(first));
    const standby = await daemon(t, r);
    const s = await standby.until('standby', (x) => x.role === 'standby');
    const l = await a.status();
    expect(l.role).toBe('leader');
    expect(s.leader?.holder).toBe(l.replica);
    expect(s.phase).toBe('standby');
    expect((await standby.get('/readyz')).status).toBe(200);
    expect((await a.get('/readyz')).status).toBe(200);
    expect(s.modules.map((m) => [m.name, m.deployed])).toEqual([
      ['a', '1.0.0'],
      ['b', '1.0.0'],
    ]);
    expect((await standby.get('/metrics')).text).toMatch(/^ringlock_leader 0$/m);
    expect((await a.get('/metrics')).text).toMatch(/^ringlock_leader 1$/m);
    expect(a.output()).toContain('became leader');
    expect(standby.output()).toContain(`standby: waiting for ${l.replica}`);

    await bump(r.p, 'b', b('1.1.0'));
    const second = r.remote.push('b 1.1.0');
    const hook = await standby.webhook(pushEvent(second));
    expect(hook.status).toBe(202);
    const done = await a.until('leader applied the pushed commit', leads(second));
    expect(done.lastAttempt?.trigger).toBe('webhook');
    expect(a.output()).toContain('webhook relayed by a standby');
    await expectConsistentPg(r.p, r.pg);

    // A stopped leader hands the lease over at once, after its operation in flight.
    expect(await a.stop()).toEqual({ code: 0, signal: null });
    await standby.until('standby took over', leads(second));
    expect((await standby.get('/metrics')).text).toMatch(/^ringlock_lease_takeovers_total 1$/m);
  });

  it('refuses to start on PostgreSQL while the file journal shows an operation in flight', async (t) => {
    const r = await setup(t);
    const journal = join(r.p.stateDir(), 'journal.json');
    mkdirSync(r.p.stateDir(), { recursive: true });
    writeFileSync(journal, JSON.stringify({ id: 'x', phase: 'switching', module: 'a' }));
    const e = await startDaemon(r.p, { repo: r.remote.url, env: r.env }).then(
      async (d) => {
        await d.stop('SIGKILL');
        return 'started';
      },
      (err: Error) => err.message,
    );
    expect(e).toMatch(/exited \(2\) before listening/);
    expect(e).toContain(journal);
    expect(e).toMatch(
      /recover first: run ringlock apply with the file store \(RINGLOCK_STATE_TYPE=file\), or ringlock state migrate/,
    );
    const schema = await sql(r.pg, () => `SELECT 1 FROM pg_namespace WHERE nspname = '${r.pg.schema}'`);
    expect(schema, 'nothing was written to the database').toEqual([]);
  });

  // Each kill is deterministic: the leader SIGKILLs itself at the named point (RINGLOCK_CRASH_AT).
  const INSTALL_POINTS = [
    'after-fetch',
    'after-extract',
    'after-store',
    'after-hook',
    'after-journal',
    'after-switch',
    'after-health',
    'after-state',
    'after-history',
  ];
  it.concurrent.for(INSTALL_POINTS)(
    'leader killed at %s of a first install: the standby takes over, recovers and converges',
    async (point, t) => {
      const r = await setup(t);
      const first = gitHead(r);
      const a = await daemon(t, r, { RINGLOCK_CRASH_AT: point });
      expect(await logged(a, 'became leader'), a.output()).toBe(true);
      const s = await daemon(t, r);
      expect(await a.exited, a.output()).toEqual({ code: null, signal: 'SIGKILL' });
      await s.until('the standby took over and converged', leads(first));
      const state = await expectConsistentPg(r.p, r.pg);
      expect(versions(state)).toEqual({ a: '1.0.0', b: '1.0.0' });
      // One operation was interrupted: it is recovered at most once.
      const { history } = await readRing(r.pg);
      expect(history.filter((h) => h.op === 'recover').length).toBeLessThanOrEqual(1);
    },
  );

  const UPGRADE_POINTS = ['after-journal', 'after-switch', 'after-health'];
  it.concurrent.for(UPGRADE_POINTS)(
    'leader killed at %s of an upgrade it took over from a stopped leader: a third replica converges',
    async (point, t) => {
      const r = await setup(t);
      const first = gitHead(r);
      const one = await daemon(t, r);
      await one.until('first leader applied', leads(first));
      const two = await daemon(t, r, { RINGLOCK_CRASH_AT: point });
      await two.until('standby', (x) => x.role === 'standby');
      await bump(r.p, 'b', b('2.0.0'));
      const second = r.remote.push('b 2.0.0');
      expect(await one.stop()).toEqual({ code: 0, signal: null });
      expect(await two.exited, two.output()).toEqual({ code: null, signal: 'SIGKILL' });
      expect(two.output()).toContain('became leader');
      // The operation the killed leader left in flight ends in exactly one history record.
      const { journal } = await readRing(r.pg);
      expect(journal?.module).toBe('b');
      const three = await daemon(t, r);
      await three.until('the third replica converged', leads(second));
      const state = await expectConsistentPg(r.p, r.pg);
      expect(versions(state)).toEqual({ a: '1.0.0', b: '2.0.0' });
      const { history } = await readRing(r.pg);
      // Its own record (written before the kill) or the recovery's, never both, never twice.
      const ends = history.filter(
        (h) => h.id === journal?.id || (h.op === 'recover' && h.module === journal?.module),
      );
      expect(ends, JSON.stringify({ journal, history }, null, 1)).toHaveLength(1);
    },
  );

  it('a leader paused past its lease cannot write once resumed: it exits 3, the new leader owns the state', async (t) => {
    const r = await setup(t, url, { RINGLOCK_LEASE_TTL: '3s' });
    const first = gitHead(r);
    const a = await daemon(t, r, { RL_HOOK_SLOW: 'b', RL_HOOK_SLEEP: '1' });
    await a.until('leader applied', leads(first));
    const s = await daemon(t, r);
    await s.until('standby', (x) => x.role === 'standby');
    const pid = join(r.p.out, 'b.hook.pid');
    rmSync(pid, { force: true });
    await bump(r.p, 'b', b('2.0.0'));
    const second = r.remote.push('b 2.0.0');
    expect((await a.webhook(pushEvent(second))).status).toBe(202);
    await until('the leader runs the upgrade hook', () => existsSync(pid));
    a.child.kill('SIGSTOP');
    await s.until('the standby took over past the lease and applied', leads(second));
    const before = await tokens(r.pg);
    a.child.kill('SIGCONT');
    expect(await a.exited, a.output()).toEqual({ code: 3, signal: null });
    expect(a.output()).toMatch(/lost the lease: .*(expired|lost its lease)/);
    const after = await tokens(r.pg);
    expect(after).toEqual(before);
    expect(after.holder).toBe((await s.status()).replica);
    expect(after.ring).toBe(after.lease);
    expect(Math.max(...after.modules)).toBe(after.lease);
    const state = await expectConsistentPg(r.p, r.pg);
    expect(versions(state)).toEqual({ a: '1.0.0', b: '2.0.0' });
    expect((await s.status()).role).toBe('leader');
  });

  it('a leader whose lease is taken while a hook runs exits 3, and its hook does not outlive it', async (t) => {
    const r = await setup(t, url, { RINGLOCK_LEASE_TTL: '3s' });
    const first = gitHead(r);
    // c's hook (c comes with the second commit) sleeps until the test ends, unless something kills it.
    const a = await daemon(t, r, { RL_HOOK_SLOW: 'c', RL_HOOK_SLEEP: '120' });
    await a.until('leader applied', leads(first));
    await bump(r.p, 'c', { version: '1.0.0', lifecycle: HOOKS });
    const second = r.remote.push('c 1.0.0');
    expect((await a.webhook(pushEvent(second))).status).toBe(202);
    const pidFile = join(r.p.out, 'c.hook.pid');
    await until('the leader runs the install hook', () => existsSync(pidFile));
    const hook = Number(readFileSync(pidFile, 'utf8').trim());
    t.onTestFinished(() => {
      if (processAlive(hook)) process.kill(hook, 'SIGKILL');
    });
    await sql(
      r.pg,
      (s) =>
        `UPDATE ${s}.leases SET token = token + 1, holder = 'intruder', holder_pid = NULL, expires_at = now() + interval '1 hour' WHERE ring = 'canary'`,
    );
    expect(await a.exited, a.output()).toEqual({ code: 3, signal: null });
    expect(a.output()).toMatch(
      /lost the lease: .*writer lease .*expired or was taken over|lost the lease: .*lost its lease to intruder/,
    );
    expect(processAlive(hook), 'the hook of the lost operation was killed').toBe(false);
    const { state, journal } = await readRing(r.pg);
    expect(versions(state)).toEqual({ a: '1.0.0', b: '1.0.0' });
    expect(journal?.module).toBe('c');
  });

  it('the database restarted mid-apply: the apply fails cleanly, the next pass converges', async (t) => {
    const server = await startPostgres();
    t.onTestFinished(() => server.destroy());
    const r = await setup(t, server.url);
    const first = gitHead(r);
    const a = await daemon(t, r, { RL_HOOK_SLOW: 'b', RL_HOOK_SLEEP: '2' }, { schedule: '*/1 * * * * *' });
    await a.until('leader applied', leads(first));
    const pid = join(r.p.out, 'b.hook.pid');
    rmSync(pid, { force: true });
    await bump(r.p, 'b', b('2.0.0'));
    const second = r.remote.push('b 2.0.0');
    expect((await a.webhook(pushEvent(second))).status).toBe(202);
    await until('the leader runs the upgrade hook', () => existsSync(pid));
    const seen = a.output().length;
    await server.stop();
    await until('the apply failed on the database', () => /state database/.test(a.output().slice(seen)));
    await server.start();
    await a.until('converged after the restart', leads(second));
    const state = await expectConsistentPg(r.p, r.pg);
    expect(versions(state)).toEqual({ a: '1.0.0', b: '2.0.0' });
  });
});

const versions = (s: { modules: Record<string, { active: { version: string } }> }) =>
  Object.fromEntries(Object.entries(s.modules).map(([n, m]) => [n, m.active.version]));

async function until(what: string, ok: () => boolean, timeoutMs = DEADLINE_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}
