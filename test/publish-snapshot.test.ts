// The snapshot (pure): which modules are active, path or entry URL, the tenants, and when the generation moves; the
// file publisher's guard against a stale writer and its state dir; publishing continuing a generation across
// processes; the operator's publish settings refused when this build cannot honour them.
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { FilePublisher } from '../src/publish/file.js';
import { Publication } from '../src/publish/publication.js';
import { buildSnapshot } from '../src/publish/snapshot.js';
import type { ActivePublisher, ActiveSnapshot } from '../src/publish/types.js';
import { buildPublishers, PUBLISHER_FACTORIES } from '../src/runtime/publishers.js';
import type { DeployedModule, DeployedState } from '../src/state/types.js';
import { FilesystemTarget } from '../src/targets/filesystem.js';
import { testdir } from './helpers.js';

const sha = (c: string) => `sha256:${c.repeat(64)}`;
const mod = (name: string, version: string, extra: Partial<DeployedModule> = {}): DeployedModule => ({
  name,
  active: { version, sha256: sha('a'), storeDir: `.ringlock/store/${name}/${version}-aaaaaaaa` },
  status: 'active',
  since: '2026-01-01T00:00:00.000Z',
  origin: 'lock',
  ...extra,
});
const state = (modules: DeployedModule[], lockCommit?: string): DeployedState => ({
  stateVersion: 1,
  modules: Object.fromEntries(modules.map((m) => [m.name, m])),
  quarantine: [],
  ...(lockCommit ? { lockCommit } : {}),
});
const now = new Date('2026-02-02T00:00:00.000Z');
const tenants = { zeta: 'canary', acme: 'canary', northwind: 'stable' };

describe('buildSnapshot', () => {
  it('publishes what is linked: active, and the old version a failed upgrade left; never disabled ones', () => {
    const s = buildSnapshot({
      ring: 'canary',
      tenants,
      state: state([
        mod('orders', '1.0.0', { path: 'Orders' }),
        mod('billing', '2.0.0', { status: 'rolled_back', lastError: 'health' }),
        mod('crm', '3.0.0', { status: 'failed' }),
        mod('legacy', '0.1.0', { status: 'disabled' }),
      ]),
      now,
    });
    expect(Object.keys(s.modules)).toEqual(['billing', 'crm', 'orders']);
    expect(s.modules.orders).toEqual({
      version: '1.0.0',
      sha256: sha('a'),
      path: 'Orders',
      since: '2026-01-01T00:00:00.000Z',
    });
    expect(s.modules.billing?.path).toBe('billing');
    expect(Object.keys(s.tenants)).toEqual(['acme', 'northwind', 'zeta']);
    expect(s.ringTenants).toEqual(['acme', 'zeta']);
    expect(s.generation).toBe(1);
    expect(s.publishedAt).toBe(now.toISOString());
  });

  it('gives the entry URL a target names instead of a path', () => {
    const s = buildSnapshot({
      ring: 'canary',
      tenants: {},
      state: state([mod('@acme/crm', '1.2.0')]),
      entryFor: (m, rec) => `https://cdn.example.com/${m}/${rec.active.version}-aaaaaaaa/remoteEntry.js`,
      now,
    });
    expect(s.modules['@acme/crm']).toEqual({
      version: '1.2.0',
      sha256: sha('a'),
      entry: 'https://cdn.example.com/@acme/crm/1.2.0-aaaaaaaa/remoteEntry.js',
      since: '2026-01-01T00:00:00.000Z',
    });
  });

  it('moves the generation on a change of modules or tenants only', () => {
    const base = { ring: 'canary', tenants, now };
    const one = buildSnapshot({ ...base, state: state([mod('orders', '1.0.0')], 'c1') });
    const commitOnly = buildSnapshot({
      ...base,
      state: state([mod('orders', '1.0.0')], 'c2'),
      previous: one,
    });
    expect(commitOnly).toMatchObject({ generation: 1, commit: 'c2' });
    const upgraded = buildSnapshot({ ...base, state: state([mod('orders', '1.1.0')]), previous: one });
    expect(upgraded.generation).toBe(2);
    const moved = buildSnapshot({
      ...base,
      tenants: { ...tenants, northwind: 'canary' },
      state: state([mod('orders', '1.0.0')]),
      previous: one,
    });
    expect(moved.generation).toBe(2);
    const given = buildSnapshot({ ...base, commit: 'c9', state: state([], 'c1'), previous: upgraded });
    expect(given).toMatchObject({ commit: 'c9', generation: 3, modules: {} });
  });
});

describe('FilePublisher', () => {
  const snap = (generation: number, version = '1.0.0'): ActiveSnapshot => ({
    ...buildSnapshot({ ring: 'canary', tenants, state: state([mod('orders', version)]), now }),
    generation,
  });

  it('never replaces a newer generation; reads back what it wrote; clears temps a killed write left', async () => {
    const root = testdir();
    const f = new FilePublisher(new FilesystemTarget(root));
    mkdirSync(join(root, '.ringlock'));
    writeFileSync(join(root, '.ringlock', '.active.json.4242.0123456789ab.tmp'), '{"torn":');
    await f.publish(snap(5, '2.0.0'));
    await f.publish(snap(3, '1.0.0'));
    expect((await f.current())?.generation).toBe(5);
    expect((await f.current())?.modules.orders?.version).toBe('2.0.0');
    expect(readdirSync(join(root, '.ringlock'))).toEqual(['active.json']);
    await f.publish(snap(6, '3.0.0'));
    expect(JSON.parse(readFileSync(join(root, '.ringlock', 'active.json'), 'utf8')).generation).toBe(6);
  });

  it('does not write through a link planted in place of the state dir; reads no garbage', async () => {
    const root = testdir({ 'elsewhere/keep.txt': 'x' });
    const target = join(root, 'target');
    mkdirSync(target);
    symlinkSync(join(root, 'elsewhere'), join(target, '.ringlock'));
    const f = new FilePublisher(new FilesystemTarget(target));
    await expect(f.publish(snap(1))).rejects.toThrow(/not a directory/);
    expect(readdirSync(join(root, 'elsewhere'))).toEqual(['keep.txt']);

    const other = testdir({ '.ringlock/active.json': '{"apiVersion": "ringlock/v1", "kind": "Nope"}' });
    expect(await new FilePublisher(new FilesystemTarget(other)).current()).toBeUndefined();
    expect(lstatSync(join(other, '.ringlock', 'active.json')).isFile()).toBe(true);
  });
});

describe('Publication', () => {
  it('goes on from the generation a publisher holds, and keeps the tenants when a command read none', async () => {
    const root = testdir();
    const target = new FilesystemTarget(root);
    const first = new Publication();
    await first.publish([new FilePublisher(target)], {
      ring: 'canary',
      tenants,
      state: state([mod('orders', '1.0.0')]),
    });
    await first.publish([new FilePublisher(target)], {
      ring: 'canary',
      tenants,
      state: state([mod('orders', '1.1.0')]),
    });
    // Another process (the next command) knows nothing but the file.
    const next = new Publication();
    const [status] = await next.publish([new FilePublisher(target)], {
      ring: 'canary',
      state: state([mod('orders', '1.2.0')]),
    });
    expect(status).toMatchObject({ ok: true, generation: 3 });
    expect(next.published?.snapshot.tenants).toEqual({ acme: 'canary', northwind: 'stable', zeta: 'canary' });
  });

  it('reports a failing publisher without stopping the others, and tries it again next time', async () => {
    const root = testdir();
    let fail = true;
    const flaky: ActivePublisher = {
      name: 'flaky',
      async publish() {
        if (fail) throw new Error('connection refused');
        return undefined;
      },
    };
    const p = new Publication();
    const input = { ring: 'canary', tenants, state: state([mod('orders', '1.0.0')]) };
    const one = await p.publish([flaky, new FilePublisher(new FilesystemTarget(root))], input);
    expect(one.map((s) => [s.name.split(' ')[0], s.ok, s.error])).toEqual([
      ['flaky', false, 'connection refused'],
      ['file', true, undefined],
    ]);
    fail = false;
    const two = await p.publish([flaky, new FilePublisher(new FilesystemTarget(root))], input);
    expect(two.map((s) => s.ok)).toEqual([true, true]);
    expect(two[1]).toBe(one[1]);
  });
});

describe('buildPublishers', () => {
  const target = new FilesystemTarget('/nonexistent-target');
  const operator = (publish: object) => ({
    apiVersion: 'ringlock/v1' as const,
    kind: 'OperatorConfig' as const,
    publish,
  });

  it('builds the file publisher unless turned off', () => {
    expect(buildPublishers({ target, ring: 'canary', env: {} }).map((p) => p.name)).toEqual([
      'file /nonexistent-target/.ringlock/active.json',
    ]);
    expect(buildPublishers({ operator: operator({ file: false }), target, ring: 'canary', env: {} })).toEqual(
      [],
    );
  });

  it('refuses a configMap or redis setting no factory handles, naming the file', () => {
    for (const publish of [{ configMap: { name: 'active' } }, { redis: true }]) {
      let err: unknown;
      try {
        // A build whose factory list lacks them (the shipped list has both: test/example-operator-configs.test.ts).
        buildPublishers(
          { operator: operator(publish), target, ring: 'canary', env: {} },
          PUBLISHER_FACTORIES.filter((f) => f.setting === 'file'),
          'op.yaml',
        );
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).code).toBe('operator/publish');
      expect((err as InputError).file).toBe('op.yaml');
    }
    const built = buildPublishers({ operator: operator({ redis: true }), target, ring: 'canary', env: {} }, [
      { setting: 'redis', factory: (ctx) => ({ name: `redis ${ctx.ring}`, publish: async () => undefined }) },
    ]);
    expect(built.map((p) => p.name)).toEqual(['redis canary']);
  });
});
