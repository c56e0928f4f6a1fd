// A module's failure is about the version that failed: once the lock pins the deployed version again, or another
// version than the one that failed, `apply` records the module active again (the daemon does the same each run).
import { describe, expect, it } from 'vitest';
import { buildPlatform, STORES, scratch, show } from './fixtures-platform.js';

describe.concurrent.each(STORES)('failure state follows the lock (%s store)', (store) => {
  for (const next of ['the deployed pin', 'a blocked newer pin'] as const) {
    it(`a failed module is active again when the lock moves to ${next}`, async (t) => {
      const p = await buildPlatform(scratch(t, 'clears'), { alpha: { version: '1.0.0' } }, { store });
      expect((await p.apply()).code).toBe(0);
      const deployedLock = p.readLock();
      p.writeModule('alpha', { version: '1.1.0' });
      await p.release(['alpha']);
      p.dropRegistry(); // 1.1.0 cannot be fetched: the upgrade fails, 1.0.0 stays active
      const failed = await p.apply();
      expect(failed.code, show(failed)).toBe(3);
      expect(p.state().modules.alpha).toMatchObject({ status: 'failed', failedVersion: '1.1.0' });
      expect(p.state().modules.alpha?.active.version).toBe('1.0.0');

      if (next === 'the deployed pin') {
        p.writeLock(deployedLock);
        const r = await p.apply();
        expect(r.code, show(r)).toBe(0);
      } else {
        p.writeModule('alpha', { version: '1.2.0', platform: '^3.0.0' });
        await p.ok(['lock']);
        const r = await p.apply();
        expect(r.code, show(r)).toBe(1); // blocked: incompatible with platform 2.0.0
      }
      const m = p.state().modules.alpha!;
      expect(m.status).toBe('active');
      expect(m.lastError).toBeUndefined();
      expect(m.failedVersion).toBeUndefined();
      expect(m.active.version).toBe('1.0.0');
    });
  }
});
