// The pointer target's drift, verification and retention through the real CLI on a real redis-server: a pointer
// changed out of band and a bundle file altered in the storage are seen by plan and verify --target and healed by
// apply; old bundles are pruned to the retention count, a removed module's bundles after the deactivated age.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
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

describe('pointer target drift', () => {
  it('a pointer changed out of band is drift for plan and verify --target, and apply switches it back', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-drift'),
      redis,
      { crm: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary', globex: 'canary' },
      },
    );
    expect((await pp.apply()).code).toBe(0);
    const good = pp.tenant('acme');
    expect((await pp.cli(['verify', '--ring', 'canary', '--target'])).code).toBe(0);
    redis.cli(
      'SET',
      `${pp.prefix}:modules:active:globex`,
      JSON.stringify({ crm: 'https://evil.example/x.js' }),
    );
    const plan = await pp.cli(['plan', '--ring', 'canary', '--json']);
    expect(plan.stdout, show(plan)).toContain('evil.example');
    const v = await pp.cli(['verify', '--ring', 'canary', '--target']);
    expect(v.code, show(v)).toBe(1);
    expect(v.stdout).toContain('modules:active:globex');
    const r = await pp.apply();
    expect(r.code, show(r)).toBe(0);
    expect(pp.tenant('globex')).toEqual(good);
    expect((await pp.cli(['verify', '--ring', 'canary', '--target'])).code).toBe(0);
  });

  it('a module added out of band to the ring document or a tenant key is drift, and never copied on', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-extra'),
      redis,
      { crm: { version: '1.0.0' } },
      { tenants: { acme: 'canary', globex: 'canary' } },
    );
    expect((await pp.apply()).code).toBe(0);
    const ringKey = `${pp.prefix}:modules:ring:canary`;
    const doc = pp.key<{ modules: Record<string, unknown> }>(ringKey)!;
    doc.modules.evil = { version: '6.6.6', dir: 'evil/6.6.6-deadbeef', entry: 'https://evil.example/x.js' };
    redis.cli('SET', ringKey, JSON.stringify(doc));
    const v = await pp.cli(['verify', '--ring', 'canary', '--target']);
    expect(v.code, show(v)).toBe(1);
    expect(v.stdout).toContain('evil');
    // The next switch (an upgrade) writes what ringlock deployed, not what the document says.
    pp.p.writeModule('crm', { version: '1.1.0', files: { 'remoteEntry.js': '// crm 1.1.0\n' } });
    await pp.p.release(['crm']);
    const up = await pp.apply();
    expect(up.code, show(up)).toBe(0);
    expect(pp.tenant('acme')).toEqual({ crm: pp.entryOf('crm') });
    expect(Object.keys(pp.ringDoc()?.modules ?? {})).toEqual(['crm']);
    // An entry added to one tenant key: drift, healed.
    redis.cli(
      'SET',
      `${pp.prefix}:modules:active:globex`,
      JSON.stringify({ crm: pp.entryOf('crm'), evil: 'https://evil.example/x.js' }),
    );
    const v2 = await pp.cli(['verify', '--ring', 'canary', '--target']);
    expect(v2.code, show(v2)).toBe(1);
    expect(v2.stdout).toContain('evil');
    const heal = await pp.apply();
    expect(heal.code, show(heal)).toBe(0);
    expect(pp.tenant('globex')).toEqual({ crm: pp.entryOf('crm') });
    expect((await pp.cli(['verify', '--ring', 'canary', '--target'])).code).toBe(0);
  });

  it('a tenant assigned to the ring gets its key, a tenant gone from every ring loses it, on the next apply', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-tenants'),
      redis,
      { crm: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary', initech: 'canary' },
      },
    );
    expect((await pp.apply()).code).toBe(0);
    writeFileSync(join(pp.p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n  globex: canary\n');
    // The plan shows the tenant change, not a drifted module: a tenant's missing key is no reason to reinstall.
    const plan = await pp.cli(['plan', '--ring', 'canary']);
    expect(plan.stdout + plan.stderr).not.toMatch(/reinstall|drift/i);
    const r = await pp.apply();
    expect(r.code, show(r)).toBe(0);
    expect(pp.tenant('globex')).toEqual({ crm: pp.entryOf('crm') });
    expect(pp.tenant('initech')).toBeUndefined();
    expect(pp.ringDoc()?.tenants).toEqual(['acme', 'globex']);
    // One switch of the tenant keys, no module operation: crm was installed once and never again.
    const ops = (
      JSON.parse((await pp.ok(['history', '--json'])).stdout) as { records: { op: string; module: string }[] }
    ).records.filter((h) => h.module === 'crm' && h.op !== 'tenants');
    expect(ops.map((h) => h.op)).toEqual(['install']);
  });

  it('a bundle file altered in the storage is drift; the repair uploads a fresh copy beside it and switches to it', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-bundle'),
      redis,
      { crm: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary' },
      },
    );
    expect((await pp.apply()).code).toBe(0);
    const dir = pp.dirOf('crm');
    writeFileSync(join(pp.storage, dir, 'remoteEntry.js'), '// tampered\n');
    const v = await pp.cli(['verify', '--ring', 'canary', '--target', '--json']);
    expect(v.code, show(v)).toBe(1);
    expect(v.stdout).toContain('changed in the storage');
    const r = await pp.apply();
    expect(r.code, show(r)).toBe(0);
    const healed = pp.p.state().modules.crm!.active.storeDir;
    expect(healed).not.toBe(dir);
    expect(healed.startsWith(`${dir}.`)).toBe(true);
    expect(pp.tenant('acme')).toEqual({ crm: `https://cdn.example.test/modules/${healed}/remoteEntry.js` });
    expect((await pp.cli(['verify', '--ring', 'canary', '--target'])).code).toBe(0);
  });

  it('keeps the newest bundles per module and drops a removed module after the deactivated age', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-retention'),
      redis,
      { crm: { version: '1.0.0' }, shop: { version: '1.0.0' } },
      { tenants: { acme: 'canary' }, retention: '  retention: {keep: 2, deactivated: 0s}' },
    );
    expect((await pp.apply()).code).toBe(0);
    for (const v of ['1.1.0', '1.2.0', '1.3.0']) {
      pp.p.writeModule('crm', { version: v, files: { 'remoteEntry.js': `// crm ${v}\n` } });
      await pp.p.release(['crm']);
      const r = await pp.apply();
      expect(r.code, show(r)).toBe(0);
    }
    const crm = readdirSync(join(pp.storage, 'crm')).sort();
    expect(crm.map((d) => d.split('-')[0])).toEqual(['1.2.0', '1.3.0']);
    pp.p.removeModule('shop');
    await pp.p.release();
    const rm = await pp.apply(['--prune']);
    expect(rm.code, show(rm)).toBe(0);
    expect(pp.tenant('acme')).toEqual({ crm: pp.entryOf('crm') });
    const later = await pp.apply(['--prune']);
    expect(later.code, show(later)).toBe(0);
    expect(existsSync(join(pp.storage, 'shop'))).toBe(false);
  });
});
