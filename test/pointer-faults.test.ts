// The pointer target when things go wrong: a failing health check through the platform, a concurrent writer that moved
// the pointer on, Redis stopping mid-apply, ringlock killed between upload and switch, Redis down at the start.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisClient } from '../src/redis/client.js';
import { type ModuleSpec, scratch, show } from './fixtures-platform.js';
import { pointerPlatform } from './fixtures-pointer.js';
import { type RedisServer, startRedis } from './support/redis.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis({ persist: true });
});
afterAll(async () => {
  await redis?.destroy();
});

/** A module whose onUpgrade hook runs `script` (sh) with RL_* variables the apply passes. */
const withHook = (version: string, script: string): ModuleSpec => ({
  version,
  lifecycle: { onUpgrade: 'sh ./side.sh' },
  files: { 'side.sh': script, 'remoteEntry.js': `// ${version}\n` },
});

const HOOK_ENV = 'RL_REDIS_PORT RL_GEN_KEY RL_MARK';

describe('pointer target faults', () => {
  it('a failed health check through the platform switches the pointer back and quarantines the version', async (t) => {
    const healthy = new Set(['/health/crm/1.0.0']);
    let seen = '';
    const server: Server = createServer((req, res) => {
      seen = req.url ?? '';
      res.statusCode = healthy.has(`${req.url}/${current}`) ? 200 : 503;
      res.end();
    });
    let current = '1.0.0';
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => void server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const hc = { http: { path: '/health/crm' }, timeout: '1s', interval: '100ms' };
    const pp = await pointerPlatform(
      scratch(t, 'pointer-health'),
      redis,
      { crm: { version: '1.0.0', healthCheck: hc } },
      {
        tenants: { acme: 'canary' },
        healthBaseUrl: base,
      },
    );
    expect((await pp.apply()).code).toBe(0);
    expect(seen).toBe('/health/crm');
    const good = pp.entryOf('crm');
    pp.p.writeModule('crm', {
      version: '1.1.0',
      healthCheck: hc,
      files: { 'remoteEntry.js': '// crm 1.1.0\n' },
    });
    await pp.p.release(['crm']);
    current = '1.1.0';
    const bad = pp.dirOf('crm');
    const r = await pp.apply();
    expect(r.code, show(r)).toBe(3);
    expect(pp.tenant('acme')).toEqual({ crm: good });
    expect(pp.p.state().modules.crm?.active.version).toBe('1.0.0');
    expect(pp.p.state().quarantine.map((q) => `${q.module}@${q.version}`)).toContain('crm@1.1.0');
    // The failed bundle stays uploaded (immutable), only the pointer moved back.
    expect(existsSync(join(pp.storage, bad, 'remoteEntry.js'))).toBe(true);
  });

  it("health goes only through the operator's base URL: not ringlock.yaml's, and no manifest URL of its own", async (t) => {
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits++;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => void server.close());
    const repoBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pp = await pointerPlatform(
      scratch(t, 'pointer-health-base'),
      redis,
      { crm: { version: '1.0.0', healthCheck: { http: { path: '/health/crm' }, timeout: '1s' } } },
      { tenants: { acme: 'canary' }, config: `health:\n  baseUrl: ${repoBase}\n` },
    );
    const r = await pp.apply();
    expect(r.code, show(r)).toBe(0);
    expect(hits).toBe(0);
    expect(r.stdout + r.stderr).toContain('health/unresolved');
    pp.p.writeModule('crm', {
      version: '1.1.0',
      healthCheck: { http: { url: `${repoBase}/elsewhere` }, timeout: '1s' },
      files: { 'remoteEntry.js': '// crm 1.1.0\n' },
    });
    await pp.p.release(['crm']);
    const up = await pp.apply();
    expect(up.code, show(up)).not.toBe(0);
    expect(up.stdout + up.stderr).toContain('healthCheck.http.url');
    expect(hits).toBe(0);
    expect(existsSync(join(pp.storage, pp.dirOf('crm')))).toBe(false);
  });

  it('a stale writer cannot move the pointer: the generation check refuses it and changes nothing', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-stale'),
      redis,
      { crm: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary' },
      },
    );
    expect((await pp.apply()).code).toBe(0);
    const gen = pp.generation();
    const before = pp.tenant('acme');
    const client = new RedisClient(redis.url);
    t.onTestFinished(() => void client.close());
    const stale = await client.switch({
      mode: 'next',
      generation: gen - 1,
      generationKey: `${pp.prefix}:modules:generation:canary`,
      ringKey: `${pp.prefix}:modules:ring:canary`,
      doc: { ring: 'canary', generation: 0, modules: {}, tenants: ['acme'], updatedAt: '' },
      set: [{ key: `${pp.prefix}:modules:active:acme`, value: '{}' }],
      del: [],
    });
    expect(stale).toEqual({ ok: false, generation: gen });
    expect(pp.tenant('acme')).toEqual(before);
    expect(pp.generation()).toBe(gen);

    // Through the CLI: another writer moves the generation on between ringlock's read and its switch (the upgrade's
    // hook does it); the switch is refused, the apply fails, and the tenant never sees a pointer moved backwards.
    pp.p.writeModule(
      'crm',
      withHook('1.1.0', 'redis-cli -p "$RL_REDIS_PORT" INCR "$RL_GEN_KEY" >/dev/null\n'),
    );
    await pp.p.release(['crm']);
    const env = {
      RINGLOCK_MODULE_ENV: HOOK_ENV,
      RL_REDIS_PORT: String(redis.port),
      RL_GEN_KEY: `${pp.prefix}:modules:generation:canary`,
    };
    const r = await pp.apply([], env);
    expect(r.code, show(r)).toBe(3);
    expect(r.stdout + r.stderr).toContain('moved on meanwhile');
    expect(pp.tenant('acme')).toEqual(before);
    expect(pp.p.state().modules.crm?.active.version).toBe('1.0.0');
  });

  it('Redis stopping mid-apply fails the apply cleanly (exit 3, the pointer whole); the next run converges', async (t) => {
    const pp = await pointerPlatform(
      scratch(t, 'pointer-restart'),
      redis,
      { crm: { version: '1.0.0' } },
      {
        tenants: { acme: 'canary' },
      },
    );
    expect((await pp.apply()).code).toBe(0);
    const before = pp.tenant('acme');
    const mark = join(pp.p.out, 'stopped');
    // The hook (before the switch) stops Redis once: the switch then finds it gone.
    pp.p.writeModule(
      'crm',
      withHook(
        '1.1.0',
        '[ -e "$RL_MARK" ] || { touch "$RL_MARK"; redis-cli -p "$RL_REDIS_PORT" SHUTDOWN >/dev/null 2>&1; }\nexit 0\n',
      ),
    );
    await pp.p.release(['crm']);
    const env = { RINGLOCK_MODULE_ENV: HOOK_ENV, RL_REDIS_PORT: String(redis.port), RL_MARK: mark };
    const r = await pp.apply([], env);
    await redis.stop();
    await redis.start();
    expect(r.code, show(r)).toBe(3);
    expect(r.stdout + r.stderr).toContain('Valkey/Redis at 127.0.0.1');
    expect(pp.tenant('acme')).toEqual(before);
    const again = await pp.apply([], env);
    expect(again.code, show(again)).toBe(0);
    expect(pp.tenant('acme')).toEqual({ crm: pp.entryOf('crm') });
    expect(pp.p.state().modules.crm?.active.version).toBe('1.1.0');
    expect(pp.p.journal()).toBeUndefined();
  });

  for (const point of ['after-store', 'after-journal']) {
    it(`kill -9 at ${point} (between upload and switch): the next run converges, no half state`, async (t) => {
      const pp = await pointerPlatform(
        scratch(t, 'pointer-crash'),
        redis,
        { crm: { version: '1.0.0' } },
        {
          tenants: { acme: 'canary' },
        },
      );
      expect((await pp.apply()).code).toBe(0);
      const before = pp.tenant('acme');
      pp.p.writeModule('crm', { version: '1.1.0', files: { 'remoteEntry.js': '// crm 1.1.0\n' } });
      await pp.p.release(['crm']);
      const r = await pp.apply([], { RINGLOCK_CRASH_AT: point });
      expect(r.signal).toBe('SIGKILL');
      expect(readFileSync(join(pp.storage, pp.dirOf('crm'), 'remoteEntry.js'), 'utf8')).toBe(
        '// crm 1.1.0\n',
      );
      expect(pp.tenant('acme')).toEqual(before);
      const again = await pp.apply();
      expect(again.code, show(again)).toBe(0);
      expect(pp.tenant('acme')).toEqual({ crm: pp.entryOf('crm') });
      expect(pp.ringDoc()?.modules.crm?.dir).toBe(pp.dirOf('crm'));
      expect(pp.p.state().modules.crm?.active.storeDir).toBe(pp.dirOf('crm'));
      expect(pp.p.journal()).toBeUndefined();
    });
  }

  it('Redis down at the start: a clear error naming host:port, never the password, and nothing changed', async (t) => {
    const pp = await pointerPlatform(scratch(t, 'pointer-down'), redis, { crm: { version: '1.0.0' } });
    const r = await pp.apply([], { RINGLOCK_REDIS_URL: 'redis://:s3cret-pw@127.0.0.1:1/0' });
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toMatch(/Valkey\/Redis at 127\.0\.0\.1:1: connect ECONNREFUSED/);
    expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
    expect(existsSync(pp.storage)).toBe(false);
    expect(pp.p.state().modules).toEqual({});
    const unset = await pp.apply([], { RINGLOCK_REDIS_URL: undefined });
    expect(unset.code, show(unset)).toBe(2);
    expect(unset.stderr).toContain('RINGLOCK_REDIS_URL is not set');
  });
});
