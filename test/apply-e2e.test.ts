// End to end: the real CLI applying a ring's lock onto a real target — install, noop, upgrade, rollback from the store,
// drift repair, prune, dry-run, confirmation, blocked modules, and the imperative commands.
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlanAction } from '../src/plan/types.js';
import type { HistoryRecord } from '../src/state/file-store.js';
import {
  buildPlatform,
  expectConsistent,
  type Platform,
  RING,
  type Run,
  STORES,
  type StoreKind,
  scratch,
  show,
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

const me = (() => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
})();

function lockEntry(p: Platform, m: string): { version: string; sha256: string } {
  return (JSON.parse(p.readLock()) as { modules: Record<string, { version: string; sha256: string }> })
    .modules[m]!;
}

const storeDirOf = (p: Platform, m: string) => {
  const e = lockEntry(p, m);
  return `.ringlock/store/${m}/${e.version}-${e.sha256.slice('sha256:'.length, 'sha256:'.length + 8)}`;
};

/** Everything under a dir: link targets and file bytes (what --dry-run must not change). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const abs = join(dir, rel);
    const st = lstatSync(abs);
    out[rel] = st.isSymbolicLink()
      ? `-> ${readlinkSync(abs)}`
      : st.isFile()
        ? readFileSync(abs, 'base64')
        : `dir ${st.mtimeMs}`;
  }
  return out;
}

type Ctx = { onTestFinished(fn: () => void): void };

const platform = (t: Ctx, store: StoreKind) =>
  buildPlatform(
    scratch(t),
    {
      base: { version: '1.0.0' },
      orders: { version: '1.0.0', dependencies: { base: '^1.0.0' } },
      reports: { version: '1.0.0', dependencies: { orders: '^1.0.0' } },
    },
    { store },
  );

describe.concurrent.each(STORES)('apply end to end (%s store)', (store) => {
  it('installs every module behind links into the store, verifiable, listed and audited', async (t) => {
    const p = await platform(t, store);
    const r = await p.apply(['--json']);
    expect(r.code, show(r)).toBe(0);
    const out = parse<ApplyJson>(r);
    expect(out.results.map((x) => [x.module, x.action, x.outcome])).toEqual([
      ['base', 'install', 'succeeded'],
      ['orders', 'install', 'succeeded'],
      ['reports', 'install', 'succeeded'],
    ]);
    for (const m of ['base', 'orders', 'reports']) {
      expect(p.link(m)).toBe(storeDirOf(p, m));
      expect(lstatSync(join(p.target, m)).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(p.target, m, 'src/index.php'), 'utf8')).toContain(`${m} 1.0.0`);
    }
    await expectConsistent(p);
    const verify = await p.cli(['verify', '--ring', RING, '--dir', p.target]);
    expect(verify.code, show(verify)).toBe(0);

    const list = parse<{ ring: string; modules: { name: string; status: string; origin: string }[] }>(
      await p.ok(['list', '--json']),
    );
    expect(list.ring).toBe(RING);
    expect(list.modules.map((m) => [m.name, m.status, m.origin])).toEqual([
      ['base', 'active', 'lock'],
      ['orders', 'active', 'lock'],
      ['reports', 'active', 'lock'],
    ]);
    const history = parse<{ records: HistoryRecord[] }>(await p.ok(['history', '--json'])).records;
    expect(history).toHaveLength(3);
    for (const h of history) {
      expect(h).toMatchObject({ ring: RING, op: 'install', to: '1.0.0', actor: me, outcome: 'succeeded' });
      expect(h.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(h.integrity).toMatch(/^sha512-/);
      expect(h.source).toBe(storeDirOf(p, h.module));
      expect(Date.parse(h.finishedAt)).toBeGreaterThanOrEqual(Date.parse(h.startedAt));
    }
    const one = parse<{ records: HistoryRecord[] }>(await p.ok(['history', 'orders', '--json'])).records;
    expect(one.map((h) => h.module)).toEqual(['orders']);
  });

  it('a second apply is all noop and fetches nothing (registry and cache deleted)', async (t) => {
    const p = await platform(t, store);
    expect((await p.apply()).code).toBe(0);
    p.dropRegistry();
    const r = await p.apply(['--json']);
    expect(r.code, show(r)).toBe(0);
    expect(parse<ApplyJson>(r).actions.map((a) => a.kind)).toEqual(['noop', 'noop', 'noop']);
    expect(existsSync(join(p.stateDir(), 'cache'))).toBe(false);
    expect(p.history()).toHaveLength(3);
  });

  it('upgrades a bumped module keeping the previous version, then rolls back from the store when the lock moves back', async (t) => {
    const p = await platform(t, store);
    expect((await p.apply()).code).toBe(0);
    const v1Lock = p.readLock();
    const v1Dir = storeDirOf(p, 'orders');
    p.writeModule('orders', {
      version: '1.1.0',
      dependencies: { base: '^1.0.0' },
      files: { 'src/new.php': '<?php // new\n' },
    });
    await p.release(['orders']);
    const v2Dir = storeDirOf(p, 'orders');

    const up = await p.apply(['--json']);
    expect(up.code, show(up)).toBe(0);
    expect(parse<ApplyJson>(up).results.filter((x) => x.outcome !== 'noop')).toMatchObject([
      { module: 'orders', action: 'upgrade', from: '1.0.0', to: '1.1.0', outcome: 'succeeded' },
    ]);
    expect(p.link('orders')).toBe(v2Dir);
    expect(existsSync(join(p.target, v1Dir)), 'the previous version stays in the store').toBe(true);
    expect(p.state().modules.orders).toMatchObject({
      active: { version: '1.1.0', storeDir: v2Dir },
      previous: { version: '1.0.0', storeDir: v1Dir },
      status: 'active',
    });
    expect(p.history().at(-1)).toMatchObject({
      module: 'orders',
      op: 'upgrade',
      from: '1.0.0',
      to: '1.1.0',
      outcome: 'succeeded',
    });
    await expectConsistent(p);

    p.writeLock(v1Lock);
    p.dropRegistry();
    const plan = parse<{ actions: PlanAction[] }>(await p.ok(['plan', '--ring', RING, '--json']));
    expect(plan.actions.find((a) => a.module === 'orders')).toMatchObject({
      kind: 'rollback',
      from: '1.1.0',
      to: '1.0.0',
    });
    const back = await p.apply(['--json']);
    expect(back.code, show(back)).toBe(0);
    expect(parse<ApplyJson>(back).results.find((x) => x.module === 'orders')).toMatchObject({
      action: 'rollback',
      outcome: 'succeeded',
    });
    expect(p.link('orders')).toBe(v1Dir);
    expect(p.state().modules.orders?.previous?.version).toBe('1.1.0');
    expect(p.history().at(-1)).toMatchObject({
      op: 'rollback',
      from: '1.1.0',
      to: '1.0.0',
      outcome: 'succeeded',
    });
    await expectConsistent(p);
  });

  it('detects an edited file in the active store dir as drift and repairs it', async (t) => {
    const p = await platform(t, store);
    expect((await p.apply()).code).toBe(0);
    const file = join(p.target, storeDirOf(p, 'orders'), 'src/index.php');
    writeFileSync(file, '<?php // tampered\n');
    const plan = parse<{ actions: PlanAction[] }>(await p.ok(['plan', '--ring', RING, '--json']));
    const orders = plan.actions.find((a) => a.module === 'orders');
    expect(orders?.kind).toBe('reinstall');
    expect(orders?.reason).toMatch(/content changed on disk/);
    expect(plan.actions.filter((a) => a.kind !== 'noop').map((a) => a.module)).toEqual(['orders']);

    const r = await p.apply(['--json']);
    expect(r.code, show(r)).toBe(0);
    expect(parse<ApplyJson>(r).results.find((x) => x.module === 'orders')).toMatchObject({
      action: 'reinstall',
      outcome: 'succeeded',
    });
    expect(readFileSync(join(p.target, 'orders/src/index.php'), 'utf8')).toContain('orders 1.0.0');
    await expectConsistent(p);
    expect(
      parse<{ actions: PlanAction[] }>(await p.ok(['plan', '--ring', RING, '--json'])).actions.map(
        (a) => a.kind,
      ),
    ).toEqual(['noop', 'noop', 'noop']);
  });

  // A drift repair extracts the good copy beside the damaged tree (`<v>-<hash8>.<id>`): a later rollback to that
  // version must find the intact copy in the store rather than download again.
  it('after a drift repair, rolling back to the repaired version needs no download', async (t) => {
    const p = await platform(t, store);
    expect((await p.apply()).code).toBe(0);
    const v1Lock = p.readLock();
    writeFileSync(join(p.target, storeDirOf(p, 'orders'), 'src/index.php'), '<?php // tampered\n');
    expect((await p.apply()).code).toBe(0);
    const repaired = p.state().modules.orders!.active.storeDir;
    p.writeModule('orders', { version: '1.1.0', dependencies: { base: '^1.0.0' } });
    await p.release(['orders']);
    expect((await p.apply()).code).toBe(0);
    expect(p.state().modules.orders?.previous?.storeDir).toBe(repaired);
    p.writeLock(v1Lock);
    p.dropRegistry();
    const r = await p.apply(['--json']);
    expect(parse<ApplyJson>(r).results.find((x) => x.module === 'orders')).toMatchObject({
      action: 'rollback',
      outcome: 'succeeded',
    });
    expect(p.link('orders')).toBe(repaired);
  });

  // Drift that is only a link switched by hand is repaired from the intact store dir, with no download.
  it('repairs a link switched by hand from the store, without the registry', async (t) => {
    const p = await platform(t, store);
    expect((await p.apply()).code).toBe(0);
    const v1Dir = storeDirOf(p, 'orders');
    p.writeModule('orders', { version: '1.1.0', dependencies: { base: '^1.0.0' } });
    await p.release(['orders']);
    expect((await p.apply()).code).toBe(0);
    const v2Dir = storeDirOf(p, 'orders');
    symlinkSync(v1Dir, join(p.target, '.orders.by-hand'));
    renameSync(join(p.target, '.orders.by-hand'), join(p.target, 'orders'));
    p.dropRegistry();
    const plan = parse<{ actions: PlanAction[] }>(await p.ok(['plan', '--ring', RING, '--json']));
    expect(plan.actions.find((a) => a.module === 'orders')?.reason).toMatch(/links to/);
    const r = await p.apply(['--json']);
    expect(parse<ApplyJson>(r).results.find((x) => x.module === 'orders')).toMatchObject({
      outcome: 'succeeded',
    });
    expect(r.code, show(r)).toBe(0);
    expect(p.link('orders')).toBe(v2Dir);
  });

  it('keeps the configured number of versions in the store, never the active or previous one', async (t) => {
    const p = await buildPlatform(
      scratch(t),
      { base: { version: '1.0.0' } },
      { targetConfig: '  keepVersions: 2', store },
    );
    expect((await p.apply()).code).toBe(0);
    const dirs = [storeDirOf(p, 'base')];
    for (const v of ['1.1.0', '1.2.0', '1.3.0']) {
      p.writeModule('base', { version: v });
      await p.release();
      const r = await p.apply();
      expect(r.code, show(r)).toBe(0);
      dirs.push(storeDirOf(p, 'base'));
    }
    const kept = readdirSync(join(p.target, '.ringlock/store/base')).map((d) => `.ringlock/store/base/${d}`);
    expect(kept.sort()).toEqual(dirs.slice(-2).sort());
    expect(p.state().modules.base?.previous?.storeDir).toBe(dirs[2]);
    await expectConsistent(p);
  });

  it('keeps a module the lock no longer names unless --prune, which removes it', async (t) => {
    const p = await platform(t, store);
    expect((await p.apply()).code).toBe(0);
    p.removeModule('reports');
    await p.ok(['lock']);
    const keep = await p.apply(['--json']);
    expect(keep.code, show(keep)).toBe(0);
    expect(parse<ApplyJson>(keep).actions.find((a) => a.module === 'reports')).toMatchObject({
      kind: 'noop',
      reason: 'not in the lock (prune is off)',
    });
    expect(p.link('reports')).toBeDefined();

    const pruned = await p.apply(['--prune', '--json']);
    expect(pruned.code, show(pruned)).toBe(0);
    expect(parse<ApplyJson>(pruned).results.find((x) => x.module === 'reports')).toMatchObject({
      action: 'remove',
      outcome: 'succeeded',
    });
    expect(existsSync(join(p.target, 'reports'))).toBe(false);
    expect(p.state().modules.reports).toBeUndefined();
    expect(p.history().at(-1)).toMatchObject({
      module: 'reports',
      op: 'remove',
      from: '1.0.0',
      outcome: 'succeeded',
    });
    await expectConsistent(p);
  });

  it('--dry-run prints the plan and changes nothing', async (t) => {
    const p = await platform(t, store);
    expect((await p.apply()).code).toBe(0);
    p.writeModule('base', { version: '1.0.1' });
    await p.release(['base']);
    const before = snapshot(p.target);
    const r = await p.cli(['apply', '--ring', RING, '--dry-run']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/base\s+upgrade\s+1\.0\.0\s+1\.0\.1/);
    expect(snapshot(p.target)).toEqual(before);
    // On an empty target too: not even the state dir appears.
    const fresh = join(p.root, 'fresh');
    const r2 = await p.cli(['apply', '--ring', RING, '--dry-run', '--target', fresh]);
    expect(r2.code, show(r2)).toBe(0);
    expect(existsSync(fresh)).toBe(false);
  });

  it('refuses to apply without --yes when there is no terminal (exit 2), touching nothing', async (t) => {
    const p = await platform(t, store);
    const r = await p.cli(['apply', '--ring', RING]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(existsSync(p.target)).toBe(false);
  });

  it('blocks an incompatible module and its dependents, installing the rest', async (t) => {
    const p = await buildPlatform(
      scratch(t),
      {
        base: { version: '1.0.0' },
        future: { version: '1.0.0', platform: '^3.0.0' },
        addon: { version: '1.0.0', dependencies: { future: '^1.0.0' } },
      },
      { store },
    );
    const r = await p.apply(['--json']);
    expect(r.code, show(r)).toBe(1);
    const out = parse<ApplyJson>(r);
    expect(out.actions.find((a) => a.module === 'future')).toMatchObject({ kind: 'blocked' });
    expect(out.actions.find((a) => a.module === 'future')?.reason).toMatch(
      /incompatible with platform 2\.0\.0/,
    );
    const addon = out.actions.find((a) => a.module === 'addon');
    expect(addon?.kind).toBe('blocked');
    expect(addon?.reason).toMatch(/future/);
    expect(p.link('base')).toBe(storeDirOf(p, 'base'));
    expect(existsSync(join(p.target, 'future'))).toBe(false);
    expect(existsSync(join(p.target, 'addon'))).toBe(false);
    await expectConsistent(p);
  });
});

describe.concurrent.each(STORES)('imperative commands (%s store)', (store) => {
  it('install / upgrade / rollback / retry, recorded with their actor; plan then shows the divergence', async (t) => {
    const p = await buildPlatform(
      scratch(t),
      {
        base: { version: '1.0.0' },
        orders: { version: '1.0.0', dependencies: { base: '^1.0.0' } },
      },
      { store },
    );
    // The stable ring keeps pinning 1.0.0 while canary moves on: install can take a pin from any ring's lock.
    writeFileSync(
      join(p.repo, 'rings/stable.lock.json'),
      p.readLock().replace('"ring": "canary"', '"ring": "stable"'),
    );
    const v1Dir = storeDirOf(p, 'base');
    p.writeModule('base', { version: '1.1.0' });
    await p.release(['base']);
    const v2Dir = storeDirOf(p, 'base');

    const inst = await p.cli(['install', 'base@1.0.0', '--yes', '--json']);
    expect(inst.code, show(inst)).toBe(0);
    expect(p.link('base')).toBe(v1Dir);
    expect(p.state().modules.base).toMatchObject({ origin: 'imperative', status: 'active' });
    expect(p.history().at(-1)).toMatchObject({ op: 'install', to: '1.0.0', actor: me, outcome: 'succeeded' });

    const again = await p.cli(['install', 'base@1.1.0', '--yes']);
    expect(again.code, show(again)).toBe(2);
    expect(again.stderr).toMatch(/already installed at 1\.0\.0/);
    expect(again.stderr).toMatch(/ringlock upgrade base --to 1\.1\.0/);
    expect(p.link('base')).toBe(v1Dir);

    const unpinned = await p.cli(['install', 'orders@9.9.9', '--yes']);
    expect(unpinned.code, show(unpinned)).toBe(2);
    expect(unpinned.stderr).toMatch(/not pinned/);

    const up = await p.cli(['upgrade', 'base', '--to', '1.1.0', '--yes'], {
      env: { RINGLOCK_ACTOR: 'ops-bot' },
    });
    expect(up.code, show(up)).toBe(0);
    expect(p.link('base')).toBe(v2Dir);
    expect(p.history().at(-1)).toMatchObject({
      op: 'upgrade',
      from: '1.0.0',
      to: '1.1.0',
      actor: 'ops-bot',
      outcome: 'succeeded',
    });

    p.dropRegistry();
    const back = await p.cli(['rollback', 'base', '--yes']);
    expect(back.code, show(back)).toBe(0);
    expect(p.link('base')).toBe(v1Dir);
    expect(p.state().modules.base).toMatchObject({ active: { version: '1.0.0' }, origin: 'imperative' });
    expect(p.history().at(-1)).toMatchObject({
      op: 'rollback',
      from: '1.1.0',
      to: '1.0.0',
      actor: me,
      outcome: 'succeeded',
    });
    await expectConsistent(p, p.target, { verified: [] });

    const plan = parse<{ actions: PlanAction[] }>(await p.ok(['plan', '--ring', RING, '--json']));
    const base = plan.actions.find((a) => a.module === 'base');
    expect(base).toMatchObject({ kind: 'upgrade', from: '1.0.0', to: '1.1.0' });
    expect(base?.reason).toMatch(/diverged.*imperative/);

    const retry = await p.cli(['retry', 'base']);
    expect(retry.code, show(retry)).toBe(0);
    expect(retry.stdout).toMatch(/not quarantined/);
  });
});
