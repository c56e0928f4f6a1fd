// The pointer target with two rings sharing one bundle storage (as the example's canary and stable do), on a real
// redis-server: one ring's retention never deletes a bundle the other ring's pointer names, and a tenant that moved to
// the other ring keeps the key its new ring wrote.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisPublisherFactory } from '../src/redis/publisher.js';
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

describe('pointer target, two rings on one storage', () => {
  it("canary's retention keeps the bundle stable still serves; a removed module's bundles stay while stable names it", async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-rings-keep'),
      redis,
      { crm: { version: '1.0.0' }, shop: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary', globex: 'stable' },
        retention: '  retention: {keep: 2, deactivated: 0s}',
      },
    );
    expect((await pp.apply()).code).toBe(0);
    pp.promote('stable');
    const s = await pp.applyRing('stable');
    expect(s.code, show(s)).toBe(0);
    const stableCrm = pp.dirOf('crm');
    const stableShop = pp.dirOf('shop');
    expect(pp.ringDocOf('stable')?.modules.crm?.dir).toBe(stableCrm);
    for (const v of ['1.1.0', '1.2.0', '1.3.0']) {
      pp.p.writeModule('crm', { version: v, files: { 'remoteEntry.js': `// crm ${v}\n` } });
      await pp.p.release(['crm']);
      const r = await pp.apply();
      expect(r.code, show(r)).toBe(0);
    }
    expect(existsSync(join(pp.storage, stableCrm, 'remoteEntry.js'))).toBe(true);
    expect(pp.key<Record<string, string>>(`${pp.prefix}:modules:active:globex`)?.crm).toContain(stableCrm);
    // shop leaves canary; stable still serves it: canary's retention keeps its bundle.
    pp.p.removeModule('shop');
    await pp.p.release();
    for (let i = 0; i < 2; i++) {
      const r = await pp.apply(['--prune']);
      expect(r.code, show(r)).toBe(0);
    }
    expect(existsSync(join(pp.storage, stableShop, 'remoteEntry.js'))).toBe(true);
  });

  it('a tenant that moved to the other ring keeps the key its new ring wrote; one in no ring loses its key', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-rings-move'),
      redis,
      { crm: { version: '1.0.0' } },
      { tenants: { acme: 'canary', initech: 'canary', globex: 'stable' } },
    );
    expect((await pp.apply()).code).toBe(0);
    pp.promote('stable');
    expect((await pp.applyRing('stable')).code).toBe(0);
    pp.p.writeModule('crm', { version: '1.1.0', files: { 'remoteEntry.js': '// crm 1.1.0\n' } });
    await pp.p.release(['crm']);
    expect((await pp.apply()).code).toBe(0);
    const canaryValue = pp.tenant('acme');
    const stableValue = pp.tenant('globex');
    expect(canaryValue).not.toEqual(stableValue);
    // acme moves to stable, initech leaves every ring.
    writeFileSync(join(pp.p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: stable\n  globex: stable\n');
    const s = await pp.applyRing('stable');
    expect(s.code, show(s)).toBe(0);
    expect(pp.tenant('acme')).toEqual(stableValue);
    const c = await pp.apply();
    expect(c.code, show(c)).toBe(0);
    expect(pp.tenant('acme')).toEqual(stableValue);
    expect(pp.tenant('initech')).toBeUndefined();
    expect(pp.ringDocOf('canary')?.tenants).toEqual([]);
  });

  it("the Redis publisher leaves the key of a tenant that moved to another ring, deletes one in no ring's", async (t) => {
    const keys = { tenant: 'mv:active:{tenant}', ring: 'mv:ring:{ring}', generation: 'mv:gen:{ring}' };
    const pub = redisPublisherFactory({
      operator: { publish: { redis: true }, redis: { keys } },
      env: { RINGLOCK_REDIS_URL: redis.url },
    })!;
    t.onTestFinished(() => void pub.close?.());
    const snap = (generation: number, tenants: Record<string, string>) => ({
      ring: 'canary',
      tenants,
      ringTenants: Object.keys(tenants)
        .filter((k) => tenants[k] === 'canary')
        .sort(),
      modules: { crm: { version: '1.0.0', sha256: `sha256:${'a'.repeat(64)}`, path: 'Crm' } },
      generation,
      publishedAt: '2026-12-04T00:00:00Z',
    });
    await pub.publish(snap(1, { acme: 'canary', initech: 'canary' }));
    redis.cli('SET', 'mv:active:acme', '{"crm":"stable-writer"}');
    await pub.publish(snap(2, { acme: 'stable' }));
    expect(redis.cli('GET', 'mv:active:acme')).toBe('{"crm":"stable-writer"}');
    expect(redis.cli('EXISTS', 'mv:active:initech')).toBe('0');
  });
});
