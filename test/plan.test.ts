import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPlan } from '../src/cli/format-plan.js';
import { type CompatModule, evaluateCompat } from '../src/compat/compat.js';
import { satisfies } from '../src/model/semantics.js';
import type { LockEntry, RingLock } from '../src/model/types.js';
import { planToJson, summaryLine } from '../src/plan/format.js';
import { type PlanInput, plan } from '../src/plan/plan.js';
import type { Plan, PlanAction } from '../src/plan/types.js';
import type { DeployedModule, DeployedState, QuarantineEntry } from '../src/state/types.js';

const REPO = join(import.meta.dirname, '..');

const hash = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const sri = (s: string) => `sha256-${createHash('sha256').update(s).digest('base64')}`;

/** A lock entry for name@version with a content hash derived from both. */
function entry(name: string, version: string, extra: Partial<LockEntry> = {}): LockEntry {
  return {
    version,
    sha256: hash(`${name}@${version}`),
    compatibility: { platform: '^2.0.0' },
    dependencies: {},
    ...extra,
  };
}

function lockOf(modules: Record<string, LockEntry>, platform = '2.0.0'): RingLock {
  return { lockfileVersion: 1, ring: 'canary', platform, modules };
}

/** A deployed module that matches `entry(name, version)` unless told otherwise. */
function dep(
  name: string,
  version: string,
  extra: Partial<DeployedModule> & {
    sha256?: string;
    integrity?: string;
    dependencies?: Record<string, string>;
  } = {},
): DeployedModule {
  const { sha256, integrity, dependencies, ...rest } = extra;
  return {
    name,
    active: {
      version,
      sha256: sha256 ?? hash(`${name}@${version}`),
      ...(integrity ? { integrity } : {}),
      storeDir: `.ringlock/store/${name}/${version}`,
      ...(dependencies ? { dependencies } : {}),
    },
    status: 'active',
    since: '2025-01-01T00:00:00.000Z',
    origin: 'lock',
    ...rest,
  };
}

function stateOf(modules: DeployedModule[] = [], quarantine: QuarantineEntry[] = []): DeployedState {
  return { stateVersion: 1, modules: Object.fromEntries(modules.map((m) => [m.name, m])), quarantine };
}

function run(input: Partial<PlanInput> & { lock: RingLock }): Plan {
  return plan({ deployed: stateOf(), policy: { prune: false }, ...input });
}

function by(p: Plan): Record<string, PlanAction> {
  return Object.fromEntries(p.actions.map((a) => [a.module, a]));
}

describe('plan: action kinds', () => {
  it('installs, upgrades, rolls back, reinstalls and leaves alone', () => {
    const lock = lockOf({
      fresh: entry('fresh', '1.0.0'),
      up: entry('up', '1.2.0'),
      down: entry('down', '1.0.0'),
      changed: entry('changed', '1.0.0'),
      same: entry('same', '3.1.4'),
    });
    const deployed = stateOf([
      dep('up', '1.1.9'),
      dep('down', '1.0.1'),
      dep('changed', '1.0.0', { sha256: hash('something else') }),
      dep('same', '3.1.4'),
    ]);
    const a = by(run({ lock, deployed }));
    expect(a.fresh).toMatchObject({ kind: 'install', to: '1.0.0', sha256: hash('fresh@1.0.0') });
    expect(a.fresh!.from).toBeUndefined();
    expect(a.up).toMatchObject({ kind: 'upgrade', from: '1.1.9', to: '1.2.0' });
    expect(a.down).toMatchObject({ kind: 'rollback', from: '1.0.1', to: '1.0.0' });
    expect(a.changed).toMatchObject({ kind: 'reinstall', from: '1.0.0', to: '1.0.0' });
    expect(a.changed!.reason).toMatch(/^the artifact of 1\.0\.0 changed: content sha256:/);
    expect(a.same).toEqual({
      module: 'same',
      kind: 'noop',
      from: '3.1.4',
      to: '3.1.4',
      sha256: hash('same@3.1.4'),
    });
  });

  it('orders versions by semver, not as strings, prereleases below their release', () => {
    const lock = lockOf({
      a: entry('a', '1.10.0'),
      b: entry('b', '1.9.0'),
      c: entry('c', '1.0.0'),
      d: entry('d', '1.0.0-rc.1'),
      e: entry('e', '1.0.0-rc.10'),
    });
    const deployed = stateOf([
      dep('a', '1.9.0'),
      dep('b', '1.10.0'),
      dep('c', '1.0.0-rc.1'),
      dep('d', '1.0.0'),
      dep('e', '1.0.0-rc.9'),
    ]);
    const a = by(run({ lock, deployed }));
    expect(a.a!.kind).toBe('upgrade');
    expect(a.b!.kind).toBe('rollback');
    expect(a.c!.kind).toBe('upgrade');
    expect(a.d!.kind).toBe('rollback');
    expect(a.e!.kind).toBe('upgrade');
  });

  it('reinstalls when the integrity changed at the same version and content hash', () => {
    const lock = lockOf({ x: entry('x', '1.0.0', { integrity: sri('new') }) });
    const a = by(run({ lock, deployed: stateOf([dep('x', '1.0.0', { integrity: sri('old') })]) }));
    expect(a.x!.kind).toBe('reinstall');
    expect(a.x!.reason).toContain('integrity');
    // Integrity known on one side only: nothing to compare, nothing changed.
    const b = by(run({ lock, deployed: stateOf([dep('x', '1.0.0')]) }));
    expect(b.x!.kind).toBe('noop');
  });

  it('reinstalls a drifted module, with the reason the caller gives when it gives one', () => {
    const lock = lockOf({ x: entry('x', '1.0.0'), y: entry('y', '1.0.0'), z: entry('z', '2.0.0') });
    const deployed = stateOf([dep('x', '1.0.0'), dep('y', '1.0.0'), dep('z', '1.0.0')]);
    const a = by(run({ lock, deployed, drift: new Set(['x', 'z']) }));
    expect(a.x).toMatchObject({ kind: 'reinstall' });
    expect(a.x!.reason).toBe(`drift: the tree on disk no longer hashes to ${hash('x@1.0.0').slice(0, 19)}`);
    expect(a.y!.kind).toBe('noop');
    // An upgrade replaces the drifted tree anyway: noted, not a reinstall.
    expect(a.z!.kind).toBe('upgrade');
    expect(a.z!.notes).toEqual([
      `drift: the tree on disk no longer hashes to ${hash('z@1.0.0').slice(0, 19)} (the upgrade replaces the tree)`,
    ]);
    const m = by(run({ lock, deployed, drift: new Map([['x', 'links to somewhere else']]) }));
    expect(m.x!.reason).toBe('drift: links to somewhere else');
  });

  it('leaves a failed or rolled-back module alone when the lock wants what is active, and says why', () => {
    const lock = lockOf({ f: entry('f', '1.0.0'), r: entry('r', '1.0.0') });
    const deployed = stateOf([
      dep('f', '1.0.0', { status: 'failed', lastError: 'hook onUpgrade exited 1' }),
      dep('r', '1.0.0', { status: 'rolled_back', lastError: 'health check failed: 503' }),
    ]);
    const a = by(run({ lock, deployed }));
    expect(a.f).toMatchObject({
      kind: 'noop',
      notes: ['the last operation failed: hook onUpgrade exited 1'],
    });
    expect(a.r).toMatchObject({
      kind: 'noop',
      notes: ['the last operation was rolled back: health check failed: 503'],
    });
  });

  it('says when the target diverged from the lock through an imperative command', () => {
    const lock = lockOf({ x: entry('x', '1.0.0') });
    const a = by(run({ lock, deployed: stateOf([dep('x', '1.0.1', { origin: 'imperative' })]) }));
    expect(a.x).toMatchObject({ kind: 'rollback', from: '1.0.1', to: '1.0.0' });
    expect(a.x!.reason).toContain('diverged');
  });

  it('notes an entry without dependencies or platform constraint and does not block it', () => {
    const bare: LockEntry = { version: '1.0.0', sha256: hash('bare') };
    const a = by(run({ lock: lockOf({ bare }) }));
    expect(a.bare!.kind).toBe('install');
    expect(a.bare!.notes).toEqual([
      'declares no platform constraint',
      'dependencies unknown (the lock entry records none): not checked',
    ]);
  });
});

describe('plan: blocked', () => {
  it('blocks a module incompatible with the platform and its dependents, with the chain', () => {
    const lock = lockOf({
      old: entry('old', '1.0.0', { compatibility: { platform: '^1.8.0' } }),
      mid: entry('mid', '1.0.0', { dependencies: { old: '^1.0.0' } }),
      top: entry('top', '1.0.0', { dependencies: { mid: '^1.0.0' } }),
      fine: entry('fine', '1.0.0'),
    });
    const a = by(run({ lock, deployed: stateOf([dep('mid', '0.9.0')]) }));
    expect(a.old).toMatchObject({
      kind: 'blocked',
      to: '1.0.0',
      reason: 'old 1.0.0 is incompatible with platform 2.0.0 (needs ^1.8.0); stays uninstalled',
      chain: ['old 1.0.0 is incompatible with platform 2.0.0 (needs ^1.8.0)'],
      code: 'incompatible',
    });
    expect(a.mid).toMatchObject({ kind: 'blocked', from: '0.9.0', to: '1.0.0', code: 'dependency' });
    expect(a.mid!.reason).toMatch(/; keeps 0\.9\.0$/);
    expect(a.top!.chain).toEqual([
      'top needs mid ^1.0.0',
      'mid needs old ^1.0.0',
      'old 1.0.0 is incompatible with platform 2.0.0 (needs ^1.8.0)',
    ]);
    expect(a.fine!.kind).toBe('install');
  });

  it('checks compatibility against policy.platform when given', () => {
    const lock = lockOf({ x: entry('x', '1.0.0', { compatibility: { platform: '^2.0.0' } }) });
    expect(by(run({ lock, policy: { prune: false, platform: '3.0.0' } })).x!.kind).toBe('blocked');
    expect(run({ lock, policy: { prune: false, platform: '3.0.0' } }).platform).toBe('3.0.0');
  });

  it('blocks on a dependency missing from the lock or outside its range', () => {
    const lock = lockOf({
      a: entry('a', '1.0.0', { dependencies: { ghost: '^1.0.0' } }),
      b: entry('b', '1.0.0', { dependencies: { c: '^2.0.0' } }),
      c: entry('c', '1.5.0'),
    });
    const a = by(run({ lock }));
    expect(a.a).toMatchObject({
      kind: 'blocked',
      chain: ['a needs ghost ^1.0.0', 'ghost is not in the ring'],
    });
    expect(a.b).toMatchObject({ kind: 'blocked', chain: ['b needs c ^2.0.0', 'the ring has c 1.5.0'] });
    expect(a.c!.kind).toBe('install');
  });

  it('blocks a quarantined (version, integrity) but not another artifact of the same version', () => {
    const q: QuarantineEntry = {
      module: 'orders',
      version: '1.5.0',
      integrity: sri('bad build'),
      sha256: hash('bad build'),
      reason: 'health check failed: GET /health → 503',
      at: '2025-01-02T00:00:00.000Z',
    };
    const deployed = stateOf(
      [dep('orders', '1.4.2', { status: 'rolled_back', lastError: 'health check failed' })],
      [q],
    );
    const bad = lockOf({ orders: entry('orders', '1.5.0', { integrity: sri('bad build') }) });
    const a = by(run({ lock: bad, deployed }));
    expect(a.orders).toMatchObject({ kind: 'blocked', from: '1.4.2', to: '1.5.0' });
    expect(a.orders!.reason).toBe(
      'orders 1.5.0 is quarantined here: health check failed: GET /health → 503 (`ringlock retry orders` clears it); keeps 1.4.2',
    );
    const rebuilt = lockOf({ orders: entry('orders', '1.5.0', { integrity: sri('fixed build') }) });
    expect(by(run({ lock: rebuilt, deployed })).orders!.kind).toBe('upgrade');
    const other = lockOf({ orders: entry('orders', '1.5.1', { integrity: sri('bad build') }) });
    expect(by(run({ lock: other, deployed })).orders!.kind).toBe('upgrade');
  });

  it('matches a quarantine entry without integrity by version and content hash', () => {
    const q: QuarantineEntry = {
      module: 'x',
      version: '2.0.0',
      sha256: hash('x@2.0.0'),
      reason: 'health check timed out',
      at: '2025-01-02T00:00:00.000Z',
    };
    const deployed = stateOf([dep('x', '1.0.0')], [q]);
    expect(by(run({ lock: lockOf({ x: entry('x', '2.0.0') }), deployed })).x!.kind).toBe('blocked');
    const other = lockOf({ x: entry('x', '2.0.0', { sha256: hash('rebuilt') }) });
    expect(by(run({ lock: other, deployed })).x!.kind).toBe('upgrade');
  });

  it('leaves a quarantined artifact that is already active alone, with a note', () => {
    const q: QuarantineEntry = {
      module: 'x',
      version: '1.0.0',
      sha256: hash('x@1.0.0'),
      reason: 'health check failed',
      at: '2025-01-02T00:00:00.000Z',
    };
    const a = by(
      run({ lock: lockOf({ x: entry('x', '1.0.0') }), deployed: stateOf([dep('x', '1.0.0')], [q]) }),
    );
    expect(a.x).toMatchObject({
      kind: 'noop',
      notes: ['quarantined here (health check failed), but already active'],
    });
  });

  it('blocks the dependents of a quarantined module with the chain', () => {
    const lock = lockOf({
      orders: entry('orders', '1.5.0'),
      shipping: entry('shipping', '1.2.1', { dependencies: { orders: '^1.4.0' } }),
      auth: entry('auth', '2.0.0'),
    });
    const q: QuarantineEntry = {
      module: 'orders',
      version: '1.5.0',
      reason: 'health check failed',
      at: '2025-01-02T00:00:00.000Z',
    };
    const deployed = stateOf([dep('orders', '1.4.2'), dep('shipping', '1.2.0')], [q]);
    const a = by(run({ lock, deployed }));
    const root = 'orders 1.5.0 is quarantined here: health check failed (`ringlock retry orders` clears it)';
    expect(a.orders).toMatchObject({ kind: 'blocked', chain: [root] });
    expect(a.shipping).toMatchObject({
      kind: 'blocked',
      from: '1.2.0',
      to: '1.2.1',
      chain: ['shipping needs orders ^1.4.0', root],
    });
    expect(a.shipping!.reason).toMatch(/; keeps 1\.2\.0$/);
    expect(a.auth!.kind).toBe('install');
  });

  it('evaluateCompat without preBlocked behaves as before; with it, cascades', () => {
    const mods: CompatModule[] = [
      { name: 'a', version: '1.0.0', platform: '^2.0.0', dependencies: {} },
      { name: 'b', version: '1.0.0', platform: '^2.0.0', dependencies: { a: '^1.0.0' } },
    ];
    expect(evaluateCompat(mods, '2.0.0').map((r) => r.status)).toEqual(['ok', 'ok']);
    const r = evaluateCompat(mods, '2.0.0', new Map([['a', 'a is quarantined']]));
    expect(r.map((x) => x.status)).toEqual(['blocked', 'blocked']);
    expect(r[1]!.chain).toEqual(['b needs a ^1.0.0', 'a is quarantined']);
  });
});

describe('plan: modules the lock no longer names', () => {
  const lock = lockOf({ app: entry('app', '1.0.0') });
  const deployed = stateOf([
    dep('app', '1.0.0'),
    dep('lib', '1.0.0'),
    dep('plugin', '1.0.0', { dependencies: { lib: '^1.0.0' } }),
    dep('extra', '1.0.0', { dependencies: { plugin: '^1.0.0' } }),
  ]);

  it('keeps them as noop without prune', () => {
    const p = run({ lock, deployed });
    expect(p.actions.map((a) => [a.module, a.kind])).toEqual([
      ['app', 'noop'],
      ['extra', 'noop'],
      ['plugin', 'noop'],
      ['lib', 'noop'],
    ]);
    expect(by(p).lib).toMatchObject({ reason: 'not in the lock (prune is off)', unmanaged: true });
    const drifted = run({ lock, deployed, drift: new Map([['lib', 'missing from the target']]) });
    expect(by(drifted).lib!.notes).toEqual(['drift: missing from the target']);
    expect(summaryLine(p)).toBe('1 unchanged, 3 not in the lock (kept: prune is off)');
  });

  it('removes them with prune, dependents first', () => {
    const p = run({ lock, deployed, policy: { prune: true } });
    expect(p.actions.map((a) => [a.module, a.kind])).toEqual([
      ['app', 'noop'],
      ['extra', 'remove'],
      ['plugin', 'remove'],
      ['lib', 'remove'],
    ]);
    expect(by(p).lib).toEqual({
      module: 'lib',
      kind: 'remove',
      from: '1.0.0',
      reason: 'not in the lock',
      unmanaged: true,
    });
  });

  it('does not remove what a module that stays deployed still needs', () => {
    const stuck = lockOf({
      app: entry('app', '1.1.0', { dependencies: { lib: '^1.0.0' } }),
    });
    const d = stateOf([dep('app', '1.0.0', { dependencies: { lib: '^1.0.0' } }), dep('lib', '1.0.0')]);
    const a = by(run({ lock: stuck, deployed: d, policy: { prune: true } }));
    expect(a.app).toMatchObject({
      kind: 'blocked',
      chain: ['app needs lib ^1.0.0', 'lib is not in the ring'],
    });
    expect(a.lib).toMatchObject({
      kind: 'blocked',
      from: '1.0.0',
      reason: 'not in the lock, but app 1.0.0 stays deployed and needs it; keeps 1.0.0',
    });
  });
});

describe('plan: order and determinism', () => {
  it('puts dependencies before dependents, ties by name, removals last', () => {
    const lock = lockOf({
      zeta: entry('zeta', '1.0.0'),
      web: entry('web', '1.0.0', { dependencies: { api: '^1.0.0', zeta: '^1.0.0' } }),
      api: entry('api', '1.0.0', { dependencies: { db: '^1.0.0' } }),
      db: entry('db', '1.0.0'),
      alpha: entry('alpha', '1.0.0'),
    });
    const p = run({ lock, deployed: stateOf([dep('gone', '1.0.0')]), policy: { prune: true } });
    expect(p.actions.map((a) => a.module)).toEqual(['alpha', 'db', 'api', 'zeta', 'web', 'gone']);
  });

  it('gives deep-equal output for the same input in any key order', () => {
    const mk = (reverse: boolean) => {
      const names = ['c', 'a', 'b', 'd'];
      if (reverse) names.reverse();
      const modules: Record<string, LockEntry> = {};
      for (const n of names)
        modules[n] = entry(n, '2.0.0', { dependencies: n === 'a' ? { b: '^2.0.0' } : {} });
      const deployedMods = names.map((n) => dep(n, '1.0.0'));
      deployedMods.push(dep('old', '1.0.0'), dep('older', '1.0.0'));
      if (reverse) deployedMods.reverse();
      const quarantine: QuarantineEntry[] = [
        { module: 'c', version: '2.0.0', reason: 'first', at: '2025-01-01T00:00:00.000Z' },
        { module: 'c', version: '2.0.0', reason: 'second', at: '2025-01-03T00:00:00.000Z' },
      ];
      if (reverse) quarantine.reverse();
      return plan({
        lock: lockOf(modules),
        deployed: stateOf(deployedMods, quarantine),
        drift: new Set(reverse ? ['d', 'b'] : ['b', 'd']),
        policy: { prune: true },
      });
    };
    const a = mk(false);
    const b = mk(true);
    expect(b).toEqual(a);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(by(a).c!.reason).toContain('second');
    expect(plan({ lock: lockOf({}), deployed: stateOf(), policy: { prune: false } })).toEqual(
      plan({ lock: lockOf({}), deployed: stateOf(), policy: { prune: false } }),
    );
  });

  it('plans an empty lock onto an empty deployment as nothing to do', () => {
    const p = run({ lock: lockOf({}) });
    expect(p).toEqual({ ring: 'canary', platform: '2.0.0', actions: [] });
    expect(summaryLine(p)).toMatch(/^nothing to do/);
  });

  it('does not mutate its input', () => {
    const lock = lockOf({
      a: entry('a', '1.0.0', { dependencies: { b: '^1.0.0' } }),
      b: entry('b', '1.0.0'),
    });
    const deployed = stateOf([dep('b', '0.9.0'), dep('c', '1.0.0')]);
    const before = JSON.stringify({ lock, deployed });
    run({ lock, deployed, policy: { prune: true } });
    expect(JSON.stringify({ lock, deployed })).toBe(before);
  });

  it('warns when the target was last applied from another ring', () => {
    const p = run({ lock: lockOf({}), deployed: { ...stateOf(), ring: 'stable' } });
    expect(p.warnings).toEqual([
      'the target was last applied from ring "stable"; this lock is ring "canary"',
    ]);
  });

  it('handles module names that are Object.prototype keys', () => {
    const lock = lockOf({ constructor: entry('constructor', '1.0.0'), toString: entry('toString', '1.0.0') });
    const p = run({ lock, deployed: stateOf([dep('hasOwnProperty', '1.0.0')]) });
    expect(p.actions.map((a) => [a.module, a.kind])).toEqual([
      ['constructor', 'install'],
      ['toString', 'install'],
      ['hasOwnProperty', 'noop'],
    ]);
  });
});

describe('plan: the example rings', () => {
  const readLock = (ring: string): RingLock =>
    JSON.parse(readFileSync(join(REPO, 'rings', `${ring}.lock.json`), 'utf8')) as RingLock;

  it.each(['edge', 'stable'])('%s onto an empty deployment installs everything', (ring) => {
    const lock = readLock(ring);
    const p = run({ lock });
    expect(p.actions.map((a) => a.kind)).toEqual(Object.keys(lock.modules).map(() => 'install'));
    expect(p.actions.map((a) => a.module).sort()).toEqual(Object.keys(lock.modules).sort());
  });

  it('canary: reports is incompatible and @acme/analytics blocked with the chain; the rest install', () => {
    const lock = readLock('canary');
    const p = run({ lock });
    const a = by(p);
    expect(a.reports).toMatchObject({
      kind: 'blocked',
      to: '1.1.0',
      chain: ['reports 1.1.0 is incompatible with platform 2.0.0 (needs ^1.8.0)'],
    });
    expect(a['@acme/analytics']).toMatchObject({
      kind: 'blocked',
      chain: [
        '@acme/analytics needs reports ^1.0.0',
        'reports 1.1.0 is incompatible with platform 2.0.0 (needs ^1.8.0)',
      ],
    });
    const rest = p.actions.filter((x) => x.module !== 'reports' && x.module !== '@acme/analytics');
    expect(rest.length).toBe(Object.keys(lock.modules).length - 2);
    expect(rest.every((x) => x.kind === 'install')).toBe(true);
    // Dependencies first: every install comes after what it needs.
    const pos = new Map(p.actions.map((x, i) => [x.module, i]));
    for (const [name, e] of Object.entries(lock.modules))
      for (const d of Object.keys(e.dependencies ?? {})) expect(pos.get(d)!).toBeLessThan(pos.get(name)!);
  });

  it('canary over the deployed stable ring upgrades what moved and leaves the rest', () => {
    const stable = readLock('stable');
    const canary = readLock('canary');
    const deployed = stateOf(
      Object.entries(stable.modules).map(([n, e]) =>
        dep(n, e.version, { sha256: e.sha256, dependencies: e.dependencies ?? {} }),
      ),
    );
    const a = by(run({ lock: canary, deployed }));
    expect(a.orders).toMatchObject({ kind: 'upgrade', from: '1.4.0', to: '1.5.0' });
    expect(a.reports).toMatchObject({
      kind: 'blocked',
      from: '1.0.1',
      reason: expect.stringMatching(/keeps 1\.0\.1$/),
    });
  });
});

describe('formatPlan / planToJson', () => {
  const lock = lockOf({
    a: entry('a', '1.0.0'),
    b: entry('b', '2.0.0'),
    c: entry('c', '1.0.0', { compatibility: { platform: '^1.0.0' } }),
    d: entry('d', '1.0.0'),
  });
  const p = plan({
    lock,
    deployed: stateOf([dep('b', '1.0.0'), dep('d', '1.0.0'), dep('gone', '1.0.0')]),
    policy: { prune: true },
  });

  it('prints a table without noops, a count line and a summary', () => {
    const text = formatPlan(p, { color: false });
    expect(text).toContain('MODULE  ACTION   FROM   TO     DETAIL');
    expect(text).toMatch(/^a\s+install\s+-\s+1\.0\.0$/m);
    expect(text).toMatch(/^c\s+blocked\s+-\s+1\.0\.0\s+c 1\.0\.0 is incompatible/m);
    expect(text).toMatch(/^gone\s+remove\s+1\.0\.0\s+-\s+not in the lock$/m);
    expect(text).not.toMatch(/^d\s/m);
    expect(text).toContain('1 unchanged module not listed (--verbose lists them)');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '1 to install, 1 to upgrade, 1 to remove, 1 blocked, 1 unchanged',
    );
    expect(text).not.toContain('\u001b[');
  });

  it('lists noops with verbose and colours by kind on a colour terminal', () => {
    expect(formatPlan(p, { color: false }, { verbose: true })).toMatch(/^d\s+noop\s+1\.0\.0\s+1\.0\.0$/m);
    const coloured = formatPlan(p, { color: true }, { verbose: true });
    expect(coloured).toContain('\u001b[32minstall\u001b[0m');
    expect(coloured).toContain('\u001b[31mblocked\u001b[0m');
    expect(coloured).toContain('\u001b[31mremove\u001b[0m');
    expect(coloured).toContain('\u001b[2mnoop\u001b[0m');
  });

  it('gives JSON with the actions in order and the counts', () => {
    const j = planToJson(p);
    expect(j.summary).toEqual({
      install: 1,
      upgrade: 1,
      rollback: 0,
      reinstall: 0,
      remove: 1,
      blocked: 1,
      noop: 1,
    });
    expect(j.actions.map((a) => a.module)).toEqual(['a', 'b', 'c', 'd', 'gone']);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});

describe('evaluateCompat range matching', () => {
  it('gives the same answers as satisfies() of model/semantics', () => {
    const versions = [
      '2.0.0',
      '2.1.0-rc.1',
      '3.0.0-rc.1',
      '1.9.2',
      '2.0.0+build.7',
      '0.4.0',
      'not-a-version',
    ];
    const ranges = [
      '^2.0.0',
      '>=1.9.0 <3.0.0',
      '<3.0.0',
      '^1.8.0',
      '1.x || >=2.1.0',
      '*',
      '~0.4.0',
      '>=2.1.0',
      'bogus',
    ];
    for (const platform of versions)
      for (const range of ranges) {
        const [r] = evaluateCompat(
          [{ name: 'm', version: '1.0.0', platform: range, dependencies: {} }],
          platform,
        );
        const [d] = evaluateCompat(
          [
            { name: 'm', version: '1.0.0', platform: '*', dependencies: { n: range } },
            { name: 'n', version: platform, platform: '*', dependencies: {} },
          ],
          '1.0.0',
        );
        const want = satisfies(platform, range);
        expect([platform, range, r!.status === 'ok']).toEqual([platform, range, want]);
        expect([platform, range, d!.status === 'ok']).toEqual([platform, range, want]);
      }
  });
});
