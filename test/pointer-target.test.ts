// The pointer target end to end: the real CLI applying a ring's lock to bundles in a storage dir and a pointer in a
// real redis-server — install, upgrade, rollback, list/history, stale writers, Redis down.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('pointer target', () => {
  it('installs, upgrades and rolls back by switching the pointer; the bundles stay in the storage', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer'),
      redis,
      { crm: { version: '1.0.0' }, shop: { version: '2.0.0' } },
      {
        tenants: { acme: 'canary', globex: 'canary', initech: 'stable' },
      },
    );
    const r1 = await pp.apply();
    expect(r1.code, show(r1)).toBe(0);
    const crm1 = pp.dirOf('crm');
    expect(readFileSync(join(pp.storage, crm1, 'remoteEntry.js'), 'utf8')).toBe('// crm 1.0.0\n');
    expect(pp.tenant('acme')).toEqual({ crm: pp.entryOf('crm'), shop: pp.entryOf('shop') });
    expect(pp.tenant('globex')).toEqual(pp.tenant('acme'));
    expect(pp.tenant('initech')).toBeUndefined();
    expect(pp.ringDoc()?.tenants).toEqual(['acme', 'globex']);
    expect(pp.ringDoc()?.modules.crm?.dir).toBe(crm1);
    const g1 = pp.generation();
    expect(g1).toBeGreaterThan(0);
    expect(pp.p.state().modules.crm?.active.storeDir).toBe(crm1);

    pp.p.writeModule('crm', { version: '1.1.0', files: { 'remoteEntry.js': '// crm 1.1.0\n' } });
    await pp.p.release(['crm']);
    const r2 = await pp.apply();
    expect(r2.code, show(r2)).toBe(0);
    const crm2 = pp.dirOf('crm');
    expect(crm2).not.toBe(crm1);
    expect(pp.tenant('acme')?.crm).toBe(pp.entryOf('crm'));
    expect(pp.generation()).toBeGreaterThan(g1);
    // Immutable storage: the old bundle is still there, untouched.
    expect(readFileSync(join(pp.storage, crm1, 'remoteEntry.js'), 'utf8')).toBe('// crm 1.0.0\n');

    const r3 = await pp.cli(['rollback', 'crm', '--ring', 'canary', '--yes']);
    expect(r3.code, show(r3)).toBe(0);
    expect(pp.tenant('acme')?.crm).toBe(`https://cdn.example.test/modules/${crm1}/remoteEntry.js`);
    expect(pp.ringDoc()?.modules.crm?.dir).toBe(crm1);

    const list = await pp.ok(['list', '--json']);
    expect(list.stdout).toContain('"crm"');
    const hist = await pp.ok(['history', '--json']);
    expect(hist.stdout).toContain('rollback');
    expect(existsSync(join(pp.storage, crm2, 'remoteEntry.js'))).toBe(true);
  });

  it('refuses publish.redis with a pointer target (exit 2): the target already writes these keys', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-pub'),
      redis,
      { crm: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary' },
      },
    );
    appendFileSync(pp.operatorConfig, 'publish:\n  redis: true\n');
    const r = await pp.apply();
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('the pointer target already writes these keys');
    expect(pp.tenant('acme')).toBeUndefined();
    expect(existsSync(pp.storage)).toBe(false);
  });

  it("refuses a bundle whose manifest's entry names a file it does not hold: nothing uploaded, the pointer kept", async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-entry'),
      redis,
      { crm: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary' },
      },
    );
    expect((await pp.apply()).code).toBe(0);
    const before = pp.tenant('acme');
    const manifest = {
      name: 'crm',
      version: '1.1.0',
      compatibility: { platform: '^2.0.0' },
      entry: 'https://cdn.example.test/modules/crm/1.1.0/main.js',
    };
    pp.p.writeModule('crm', {
      version: '1.1.0',
      files: { 'module.json': `${JSON.stringify(manifest)}\n`, 'remoteEntry.js': '// crm 1.1.0\n' },
    });
    await pp.p.release(['crm']);
    const r = await pp.apply();
    expect(r.code, show(r)).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('main.js, which is not a file in the bundle');
    expect(pp.tenant('acme')).toEqual(before);
    expect(existsSync(join(pp.storage, pp.dirOf('crm')))).toBe(false);
  });

  it('refuses key templates that can name the same key (exit 2), before anything is uploaded', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-keys'),
      redis,
      { crm: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary' },
      },
    );
    const text = readFileSync(pp.operatorConfig, 'utf8');
    for (const [from, to, slots] of [
      [':modules:generation:{ring}', ':modules:ring:{ring}', 'redis.keys.ring'],
      // a tenant called like a ring would get the ring document's key
      [':modules:active:{tenant}', ':modules:ring:{tenant}', 'redis.keys.tenant'],
    ] as const) {
      writeFileSync(pp.operatorConfig, text.replace(from, to));
      const r = await pp.apply();
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toContain(slots);
      expect(r.stderr).toContain('can name the same key');
      expect(existsSync(pp.storage)).toBe(false);
    }
  });
});
