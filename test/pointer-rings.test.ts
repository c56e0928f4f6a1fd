// The pointer target with two rings sharing one bundle storage (as the example's canary and stable do), on a real
// redis-server: one ring's retention never deletes a bundle the other ring's pointer names, and a tenant that moved to
// the other ring keeps the key its new ring wrote.
import { existsSync, writeFileSync } from 'node:fs';
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
});
