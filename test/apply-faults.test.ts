// Faults during apply, through the real CLI: lifecycle hooks that fail or hang, health checks that fail (a real HTTP
// server on 127.0.0.1, and commands) with automatic rollback and quarantine, and two writers on one target.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanAction } from '../src/plan/types.js';
import {
  buildPlatform,
  expectConsistent,
  type HealthServer,
  HOOKS,
  healthPath,
  type Platform,
  processAlive,
  RING,
  type Run,
  STORES,
  scratch,
  show,
  startHealthServer,
} from './fixtures-platform.js';

interface ApplyJson {
  ok: boolean;
  actions: PlanAction[];
  results: { module: string; action: string; from?: string; to?: string; outcome: string; error?: string }[];
}

const parse = <T>(r: Run): T => {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON: ${show(r)}`);
  }
};

const result = (r: Run, m: string) => parse<ApplyJson>(r).results.find((x) => x.module === m);

type Ctx = { onTestFinished(fn: () => void): void };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const readEnv = (file: string) =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe.concurrent.each(STORES)('lifecycle hooks (%s store)', (store) => {
  const hooked = (t: Ctx) =>
    buildPlatform(
      scratch(t),
      {
        base: { version: '1.0.0' },
        orders: { version: '1.0.0', dependencies: { base: '^1.0.0' }, lifecycle: HOOKS },
        reports: { version: '1.0.0', dependencies: { orders: '^1.0.0' }, lifecycle: HOOKS },
      },
      { store },
    );

  it('onInstall, onUpgrade and onDowngrade get the context as JSON on stdin and as RINGLOCK_* env', async (t) => {
    const p = await hooked(t);
    const env = { RL_HOOK_OUT: p.out };
    expect((await p.apply([], { env })).code).toBe(0);
    const v1 = p.state().modules.orders!.active.storeDir;
    const install = readJson<Record<string, unknown>>(join(p.out, 'orders-onInstall-1.0.0.json'));
    expect(install).toMatchObject({
      module: 'orders',
      operation: 'install',
      fromVersion: null,
      toVersion: '1.0.0',
      sourcePath: join(p.target, v1),
      hook: 'onInstall',
      manifest: { name: 'orders', version: '1.0.0', lifecycle: HOOKS },
    });
    expect(readEnv(join(p.out, 'orders-onInstall-1.0.0.env'))).toMatchObject({
      RINGLOCK_MODULE: 'orders',
      RINGLOCK_OPERATION: 'install',
      RINGLOCK_FROM_VERSION: '',
      RINGLOCK_TO_VERSION: '1.0.0',
      RINGLOCK_SOURCE_PATH: join(p.target, v1),
      RINGLOCK_HOOK: 'onInstall',
    });

    const v1Lock = p.readLock();
    p.writeModule('orders', { version: '1.1.0', dependencies: { base: '^1.0.0' }, lifecycle: HOOKS });
    await p.release(['orders']);
    expect((await p.apply([], { env })).code).toBe(0);
    const v2 = p.state().modules.orders!.active.storeDir;
    expect(readJson(join(p.out, 'orders-onUpgrade-1.1.0.json'))).toMatchObject({
      operation: 'upgrade',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      sourcePath: join(p.target, v2),
      hook: 'onUpgrade',
    });
    expect(readEnv(join(p.out, 'orders-onUpgrade-1.1.0.env'))).toMatchObject({
      RINGLOCK_OPERATION: 'upgrade',
      RINGLOCK_FROM_VERSION: '1.0.0',
      RINGLOCK_TO_VERSION: '1.1.0',
      RINGLOCK_HOOK: 'onUpgrade',
    });

    p.writeLock(v1Lock);
    expect((await p.apply([], { env })).code).toBe(0);
    // The newer version's onDowngrade runs, from its own tree: it knows what it changed.
    expect(readJson(join(p.out, 'orders-onDowngrade-1.0.0.json'))).toMatchObject({
      operation: 'rollback',
      fromVersion: '1.1.0',
      toVersion: '1.0.0',
      sourcePath: join(p.target, v2),
      manifest: { version: '1.1.0' },
      hook: 'onDowngrade',
    });
    expect(readEnv(join(p.out, 'orders-onDowngrade-1.0.0.env'))).toMatchObject({
      RINGLOCK_OPERATION: 'rollback',
      RINGLOCK_FROM_VERSION: '1.1.0',
      RINGLOCK_HOOK: 'onDowngrade',
    });
    // --skip-hooks runs none.
    p.writeModule('orders', { version: '1.2.0', dependencies: { base: '^1.0.0' }, lifecycle: HOOKS });
    await p.release(['orders']);
    expect((await p.apply(['--skip-hooks'], { env })).code).toBe(0);
    expect(existsSync(join(p.out, 'orders-onUpgrade-1.2.0.json'))).toBe(false);
  });

  it('a hook exiting 1 fails the module: the old version stays active, dependents are not switched, exit 3', async (t) => {
    const p = await hooked(t);
    expect((await p.apply()).code).toBe(0);
    const before = { orders: p.link('orders'), reports: p.link('reports') };
    p.writeModule('orders', { version: '1.1.0', dependencies: { base: '^1.0.0' }, lifecycle: HOOKS });
    p.writeModule('reports', { version: '1.1.0', dependencies: { orders: '^1.0.0' }, lifecycle: HOOKS });
    await p.release(['orders', 'reports']);

    const r = await p.apply(['--json'], { env: { RL_HOOK_FAIL: 'orders' } });
    expect(r.code, show(r)).toBe(3);
    expect(result(r, 'orders')).toMatchObject({ action: 'upgrade', outcome: 'failed' });
    expect(result(r, 'orders')?.error).toMatch(
      /onUpgrade of orders 1\.1\.0 failed \(exit 1\).*hook refuses orders/,
    );
    expect(result(r, 'reports')).toMatchObject({ action: 'upgrade', outcome: 'blocked' });
    expect(result(r, 'reports')?.error).toMatch(/dependency orders failed in this run; keeps 1\.0\.0/);
    expect(p.link('orders')).toBe(before.orders);
    expect(p.link('reports')).toBe(before.reports);
    expect(p.state().modules.orders).toMatchObject({ active: { version: '1.0.0' }, status: 'failed' });
    expect(p.history().at(-1)).toMatchObject({ module: 'orders', op: 'upgrade', outcome: 'failed' });
    expect(p.history().filter((h) => h.module === 'reports')).toHaveLength(1);
    await expectConsistent(p, p.target, { verified: ['base'] });

    const again = await p.apply(['--json']);
    expect(again.code, show(again)).toBe(0);
    expect(p.state().modules.orders).toMatchObject({ active: { version: '1.1.0' }, status: 'active' });
    await expectConsistent(p);
  });

  it('a hook running past --hook-timeout is killed with its children and the module fails', async (t) => {
    const p = await hooked(t);
    const started = Date.now();
    const r = await p.apply(['--json', '--hook-timeout', '1s'], {
      env: { RL_HOOK_OUT: p.out, RL_HOOK_SLOW: 'orders', RL_HOOK_CHILD: '1' },
    });
    expect(r.code, show(r)).toBe(3);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result(r, 'orders')).toMatchObject({ outcome: 'failed' });
    expect(result(r, 'orders')?.error).toMatch(/onInstall of orders 1\.0\.0 timed out after 1000 ms/);
    expect(result(r, 'reports')?.error).toMatch(/dependency orders failed in this run; stays uninstalled/);
    const hookPid = Number(readFileSync(join(p.out, 'orders.hook.pid'), 'utf8'));
    const childPid = Number(readFileSync(join(p.out, 'orders.child.pid'), 'utf8'));
    await waitFor(
      'the hook and its child to be gone',
      () => !processAlive(hookPid) && !processAlive(childPid),
      3000,
    );
    expect(existsSync(join(p.target, 'orders'))).toBe(false);
    expect(p.history().find((h) => h.module === 'orders')).toMatchObject({
      op: 'install',
      outcome: 'failed',
    });
    await expectConsistent(p);
  });

  // A hook that starts a background service (which keeps the hook's stdout open) has finished when it exits: the
  // apply must not wait for the pipes to close, i.e. until --hook-timeout, and then fail the module.
  it('a hook that exits 0 leaving a background process is a success, not a timeout', async (t) => {
    const p = await buildPlatform(
      scratch(t),
      { svc: { version: '1.0.0', lifecycle: { onInstall: 'sleep 10 & echo started' } } },
      { store },
    );
    // Waiting for the background sleep's open stdout would outlast --hook-timeout and fail the module: a success is
    // the proof (no clock in the test).
    const r = await p.apply(['--json', '--hook-timeout', '3s']);
    expect(result(r, 'svc')).toMatchObject({ outcome: 'succeeded' });
    expect(r.code, show(r)).toBe(0);
  });
});

// One health server per store: the tests of both stores use the same module names.
describe.concurrent.each(STORES)('health checks (%s store)', (store) => {
  let server: HealthServer;
  beforeAll(async () => {
    server = await startHealthServer();
  });
  afterAll(async () => {
    await server.close();
  });

  // Each test has its own module name: the server's failing/hanging paths and request counts are shared.
  const web = (version: string, timeout = '2s', name = 'web') => ({
    version,
    healthCheck: { http: { path: healthPath(name, version) }, timeout, interval: '200ms' },
  });

  it('a failing health check rolls back and quarantines; the next apply does not retry it until `ringlock retry`', async (t) => {
    const p = await buildPlatform(scratch(t), { base: { version: '1.0.0' }, web: web('1.0.0') }, { store });
    const h = ['--health-url', server.url];
    expect((await p.apply(h)).code).toBe(0);
    expect(server.count(healthPath('web', '1.0.0'))).toBe(1);
    const v1 = p.link('web');

    p.writeModule('web', web('1.1.0'));
    await p.release(['web']);
    const bad = healthPath('web', '1.1.0');
    server.failing.add(bad);
    const started = Date.now();
    const r = await p.apply(['--json', ...h]);
    const took = Date.now() - started;
    expect(r.code, show(r)).toBe(3);
    expect(result(r, 'web')).toMatchObject({ action: 'upgrade', outcome: 'rolled_back' });
    expect(took).toBeGreaterThanOrEqual(1800);
    const polled = server.count(bad);
    expect(polled).toBeGreaterThanOrEqual(3);
    expect(polled).toBeLessThanOrEqual(12);
    expect(p.link('web')).toBe(v1);
    const s = p.state();
    expect(s.modules.web).toMatchObject({ active: { version: '1.0.0' }, status: 'rolled_back' });
    expect(s.modules.web?.lastError).toMatch(/HTTP 500/);
    expect(s.quarantine).toMatchObject([{ module: 'web', version: '1.1.0' }]);
    expect(s.quarantine[0]?.integrity).toBe(
      (JSON.parse(p.readLock()) as { modules: Record<string, { integrity: string }> }).modules.web!.integrity,
    );
    const rec = p.history().at(-1)!;
    expect(rec).toMatchObject({
      module: 'web',
      op: 'upgrade',
      from: '1.0.0',
      to: '1.1.0',
      outcome: 'rolled_back',
    });
    expect(rec.error).toMatch(/health check failed: HTTP 500.*rolled back to 1\.0\.0; quarantined/);
    await expectConsistent(p, p.target, { verified: ['base'] });

    const next = await p.apply(['--json', ...h]);
    expect(next.code, show(next)).toBe(1);
    const blocked = parse<ApplyJson>(next).actions.find((a) => a.module === 'web');
    expect(blocked).toMatchObject({ kind: 'blocked' });
    expect(blocked?.reason).toMatch(/quarantined/);
    expect(server.count(bad), 'the quarantined version was not tried again').toBe(polled);
    expect(p.link('web')).toBe(v1);
    const list = parse<{ quarantine: { module: string }[] }>(await p.ok(['list', '--json']));
    expect(list.quarantine.map((q) => q.module)).toEqual(['web']);

    const retry = await p.cli(['retry', 'web', '--json']);
    expect(retry.code, show(retry)).toBe(0);
    expect(p.state().quarantine).toEqual([]);
    expect(p.history().at(-1)).toMatchObject({ module: 'web', op: 'retry', outcome: 'succeeded' });
    server.failing.delete(bad);
    const fixed = await p.apply(['--json', ...h]);
    expect(fixed.code, show(fixed)).toBe(0);
    expect(server.count(bad)).toBe(polled + 1);
    expect(p.state().modules.web).toMatchObject({ active: { version: '1.1.0' }, status: 'active' });
    await expectConsistent(p);
  });

  it('a first install that fails its health check is removed and quarantined', async (t) => {
    const p = await buildPlatform(
      scratch(t),
      { base: { version: '1.0.0' }, fresh: web('2.0.0', '1s', 'fresh') },
      { store },
    );
    server.failing.add(healthPath('fresh', '2.0.0'));
    const r = await p.apply(['--json'], { env: { RINGLOCK_HEALTH_URL: server.url } });
    expect(r.code, show(r)).toBe(3);
    expect(result(r, 'fresh')).toMatchObject({ action: 'install', outcome: 'rolled_back' });
    expect(existsSync(join(p.target, 'fresh'))).toBe(false);
    expect(p.state().modules.fresh).toBeUndefined();
    expect(p.state().quarantine).toMatchObject([{ module: 'fresh', version: '2.0.0' }]);
    expect(p.history().at(-1)?.error).toMatch(/removed; quarantined/);
    await expectConsistent(p);
    const count = server.count(healthPath('fresh', '2.0.0'));
    const next = await p.apply(['--json'], { env: { RINGLOCK_HEALTH_URL: server.url } });
    expect(next.code, show(next)).toBe(1);
    expect(server.count(healthPath('fresh', '2.0.0'))).toBe(count);
  });

  it('a command health check that exits 1 rolls back too', async (t) => {
    const check = (version: string, command: string) => ({
      version,
      healthCheck: { command, timeout: '1s', interval: '200ms' },
    });
    const p = await buildPlatform(scratch(t), { job: check('1.0.0', 'test -f src/index.php') }, { store });
    expect((await p.apply()).code).toBe(0);
    const v1 = p.link('job');
    p.writeModule('job', check('1.1.0', 'exit 1'));
    await p.release();
    const r = await p.apply(['--json']);
    expect(r.code, show(r)).toBe(3);
    expect(result(r, 'job')).toMatchObject({ outcome: 'rolled_back' });
    expect(p.link('job')).toBe(v1);
    expect(p.state().quarantine).toMatchObject([{ module: 'job', version: '1.1.0' }]);
    expect(p.state().modules.job?.lastError).toMatch(/exit 1/);
    await expectConsistent(p, p.target, { verified: [] });
  });

  // The check's own timeout bounds an HTTP probe too (not only the 5 s per-request deadline): a module declaring
  // `timeout: 1s` whose endpoint hangs must not stay live for 5 s.
  it('a health endpoint that never answers is given up on within the check timeout, then rolled back', async (t) => {
    const p = await buildPlatform(scratch(t), { stuck: web('1.0.0', '2s', 'stuck') }, { store });
    // The same apply with a health check that answers at once: what the machine adds, however loaded it is.
    const controlStarted = Date.now();
    expect((await p.apply(['--health-url', server.url])).code).toBe(0);
    const control = Date.now() - controlStarted;
    const v1 = p.link('stuck');
    p.writeModule('stuck', web('1.1.0', '1s', 'stuck'));
    await p.release();
    server.hanging.add(healthPath('stuck', '1.1.0'));
    const started = Date.now();
    const r = await p.apply(['--json', '--health-url', server.url]);
    const took = Date.now() - started;
    expect(result(r, 'stuck')).toMatchObject({ outcome: 'rolled_back' });
    expect(p.link('stuck')).toBe(v1);
    // The 1 s timeout plus the rollback, beyond the control; the 5 s per-request deadline would add at least 5 s.
    expect(took - control, `a 1 s health timeout (apply ${took} ms, control ${control} ms)`).toBeLessThan(
      3000,
    );
  });
});

describe.concurrent.each(STORES)('one writer per target (%s store)', (store) => {
  const slow = (t: Ctx) =>
    buildPlatform(
      scratch(t),
      { base: { version: '1.0.0' }, orders: { version: '1.0.0', lifecycle: HOOKS } },
      { store },
    );

  it('a second apply while one runs exits 2 naming the holder; both leave the target consistent', async (t) => {
    const p: Platform = await slow(t);
    const first = p.start(['apply', '--ring', RING, '--yes'], {
      env: { RL_HOOK_OUT: p.out, RL_HOOK_SLOW: 'orders', RL_HOOK_SLEEP: '60', RL_HOOK_GATE: '1' },
    });
    await waitFor('the slow hook to start', () => existsSync(join(p.out, 'orders.hook.pid')));
    const second = await p.apply(['--lock-timeout', '500ms']);
    expect(second.code, show(second)).toBe(2);
    // The lock file names the holder's pid and host; the lease row names the holder (its pid is the connection's).
    expect(second.stderr).toContain(
      store === 'file'
        ? `locked by "ringlock apply --ring ${RING}" (pid ${first.child.pid} on ${hostname()}`
        : `ring "${RING}" is being changed by ringlock apply --ring ${RING} (lease until`,
    );
    const imperative = await p.cli(['install', 'base@1.0.0', '--yes', '--force', '--lock-timeout', '200ms']);
    expect(imperative.code, show(imperative)).toBe(2);
    writeFileSync(join(p.out, 'orders.go'), '');
    const done = await first.done;
    expect(done.code, show(done)).toBe(0);
    expect(await p.writerHeld()).toBe(false);
    await expectConsistent(p);
  });

  it('concurrent applies wait for each other: every module is installed exactly once', async (t) => {
    const p = await slow(t);
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() => p.start(['apply', '--ring', RING, '--yes', '--json']).done),
    );
    for (const r of runs) expect(r.code, show(r)).toBe(0);
    const installs = p.history().filter((h) => h.op === 'install');
    expect(installs.map((h) => h.module).sort()).toEqual(['base', 'orders']);
    await expectConsistent(p);
  });

  // The per-module state machine (pending → installing → active | failed | rolled_back) is visible while it runs.
  it('`ringlock list` shows a module as installing while its operation runs', async (t) => {
    const p = await slow(t);
    expect((await p.apply()).code).toBe(0);
    p.writeModule('orders', { version: '1.1.0', lifecycle: HOOKS });
    await p.release(['orders']);
    const run = p.start(['apply', '--ring', RING, '--yes'], {
      env: { RL_HOOK_OUT: p.out, RL_HOOK_SLOW: 'orders', RL_HOOK_SLEEP: '60', RL_HOOK_GATE: '1' },
    });
    try {
      await waitFor('the slow hook to start', () => existsSync(join(p.out, 'orders.hook.pid')));
      const list = JSON.parse((await p.ok(['list', '--json'])).stdout) as {
        modules: { name: string; status: string }[];
      };
      expect(list.modules.find((m) => m.name === 'orders')?.status).toBe('installing');
    } finally {
      writeFileSync(join(p.out, 'orders.go'), '');
      expect((await run.done).code).toBe(0);
    }
  });

  // Hooks run in their own process group (so a timeout can kill their children), which Ctrl-C does not reach: an
  // apply stopped with SIGTERM/SIGINT must take its hook down itself, or the next apply would run the same hook
  // (a migration) again while the orphan still runs.
  it('an apply stopped with SIGTERM does not leave its hook running', async (t) => {
    const p = await slow(t);
    const run = p.start(['apply', '--ring', RING, '--yes'], {
      env: { RL_HOOK_OUT: p.out, RL_HOOK_SLOW: 'orders', RL_HOOK_SLEEP: '5' },
    });
    await waitFor('the slow hook to start', () => existsSync(join(p.out, 'orders.hook.pid')));
    const hookPid = Number(readFileSync(join(p.out, 'orders.hook.pid'), 'utf8'));
    run.child.kill('SIGTERM');
    const stopped = await run.done;
    try {
      expect(stopped.code, show(stopped)).toBe(143);
      await waitFor('the hook to be gone', () => !processAlive(hookPid), 2000);
      expect(await p.writerHeld(), 'the writer lock is released').toBe(false);
      // The operation cut short is recovered by the next run, which converges.
      const again = await p.apply();
      expect(again.code, show(again)).toBe(0);
      expect(p.history().some((h) => h.op === 'recover' && h.module === 'orders')).toBe(true);
      await expectConsistent(p);
    } finally {
      // The hook leads its own process group (detached): stop what this test started.
      try {
        process.kill(-hookPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('a hook orphaned by kill -9 of its apply is stopped by the next run before it does anything', async (t) => {
    const p = await slow(t);
    const run = p.start(['apply', '--ring', RING, '--yes'], {
      env: { RL_HOOK_OUT: p.out, RL_HOOK_SLOW: 'orders', RL_HOOK_SLEEP: '30' },
    });
    await waitFor('the slow hook to start', () => existsSync(join(p.out, 'orders.hook.pid')));
    const hookPid = Number(readFileSync(join(p.out, 'orders.hook.pid'), 'utf8'));
    run.child.kill('SIGKILL');
    await run.done;
    try {
      expect(processAlive(hookPid), 'kill -9 cannot take the hook down: it is an orphan now').toBe(true);
      const again = await p.apply();
      expect(again.code, show(again)).toBe(0);
      await waitFor('the orphaned hook to be gone', () => !processAlive(hookPid), 2000);
      expect(p.history().some((h) => h.op === 'recover' && h.module === 'orders')).toBe(true);
      await expectConsistent(p);
    } finally {
      try {
        process.kill(-hookPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it("a hook whose group leader exec'd into another environment is still found (by a group member) after kill -9", async (t) => {
    const once = `[ -e "$RL_HOOK_OUT/once" ] && exit 0; touch "$RL_HOOK_OUT/once"`;
    const p = await buildPlatform(
      scratch(t, 'orphan-group'),
      {
        orders: {
          version: '1.0.0',
          lifecycle: {
            onInstall: `${once}; sleep 301 & echo $! > "$RL_HOOK_OUT/child.pid"; echo $$ > "$RL_HOOK_OUT/leader.pid"; exec env -i sleep 302`,
          },
        },
      },
      { store },
    );
    const run = p.start(['apply', '--ring', RING, '--yes'], { env: { RL_HOOK_OUT: p.out } });
    await waitFor('the hook to start its child', () => existsSync(join(p.out, 'leader.pid')));
    const child = Number(readFileSync(join(p.out, 'child.pid'), 'utf8'));
    const leader = Number(readFileSync(join(p.out, 'leader.pid'), 'utf8'));
    await sleep(200); // the leader has exec'd by now: its environment no longer names the operation
    run.child.kill('SIGKILL');
    await run.done;
    try {
      expect(processAlive(child)).toBe(true);
      const again = await p.apply([], { env: { RL_HOOK_OUT: p.out } });
      expect(again.code, show(again)).toBe(0);
      await waitFor('the orphaned group to be gone', () => !processAlive(child), 2000);
    } finally {
      try {
        process.kill(-leader, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('takes over a lock left by a process that died', async (t) => {
    const p = await slow(t);
    if (store === 'file') {
      const dead = spawnSync('true');
      expect(dead.pid).toBeGreaterThan(0);
      mkdirSync(p.stateDir(), { recursive: true });
      writeFileSync(
        join(p.stateDir(), 'lock'),
        JSON.stringify({
          pid: dead.pid,
          host: hostname(),
          since: new Date().toISOString(),
          command: 'ringlock apply',
        }),
        { flag: 'w' },
      );
    } else {
      // The lease of a holder whose connection is gone (no such backend) and that has not renewed for 10 s (it would
      // every 2 s), far from expiring: the connection's end, not the TTL, frees it.
      await p.pg!.sql(
        p.target,
        `INSERT INTO $S.leases (ring, token, holder, holder_pid, holder_backend_start, acquired_at, renewed_at, expires_at)
         VALUES ($1, 7, 'ringlock apply', 2147483646, now(), now() - interval '10 seconds', now() - interval '10 seconds',
                 now() + interval '1 hour')`,
        [RING],
      );
    }
    expect(await p.writerHeld()).toBe(true);
    const r = await p.apply(['--lock-timeout', '500ms']);
    expect(r.code, show(r)).toBe(0);
    expect(await p.writerHeld()).toBe(false);
    await expectConsistent(p);
  });
});
