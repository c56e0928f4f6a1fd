// The Redis publisher for folder targets on a real redis-server: a ring's ActiveSnapshot written in the pointer
// target's key layout, older snapshots never overwriting newer ones, tenants that left the ring losing their key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivePublisher, ActiveSnapshot } from '../src/publish/types.js';
import { redisPublisherFactory } from '../src/redis/publisher.js';
import { type RedisServer, startRedis } from './support/redis.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const snapshot = (generation: number, version: string, ringTenants: string[]): ActiveSnapshot => ({
  apiVersion: 'ringlock/v1',
  kind: 'ActiveModules',
  ring: 'stable',
  tenants: Object.fromEntries(ringTenants.map((t) => [t, 'stable'])),
  ringTenants,
  modules: {
    orders: { version, sha256: `sha256:${'a'.repeat(64)}`, path: 'Orders', since: '2026-12-04T00:00:00Z' },
    '@acme/crm': {
      version: '1.0.0',
      sha256: `sha256:${'b'.repeat(64)}`,
      entry: 'https://cdn.example.test/@acme/crm/1.0.0-bbbbbbbb/remoteEntry.js',
      since: '2026-12-04T00:00:00Z',
    },
  },
  generation,
  publishedAt: '2026-12-04T00:00:00Z',
});

describe('redis publisher', () => {
  it('is off unless the operator config says publish.redis: true', () => {
    expect(redisPublisherFactory({ operator: {}, env: { RINGLOCK_REDIS_URL: redis.url } })).toBeUndefined();
  });

  it('writes the ring document and every tenant key; an older snapshot never overwrites a newer one', async (t) => {
    const keys = { tenant: 'pub:active:{tenant}', ring: 'pub:ring:{ring}', generation: 'pub:gen:{ring}' };
    const pub: ActivePublisher = redisPublisherFactory({
      operator: { publish: { redis: true }, redis: { urlEnv: 'MY_REDIS', keys } },
      env: { MY_REDIS: redis.url },
    })!;
    t.onTestFinished(() => void pub.close?.());
    expect(pub.name).toBe(`redis 127.0.0.1:${redis.port}`);
    await pub.publish(snapshot(3, '2.0.0', ['acme', 'globex']));
    const want = {
      '@acme/crm': 'https://cdn.example.test/@acme/crm/1.0.0-bbbbbbbb/remoteEntry.js',
      orders: 'Orders',
    };
    expect(JSON.parse(redis.cli('GET', 'pub:active:acme'))).toEqual(want);
    expect(JSON.parse(redis.cli('GET', 'pub:active:globex'))).toEqual(want);
    const doc = JSON.parse(redis.cli('GET', 'pub:ring:stable'));
    expect(doc.generation).toBe(3);
    expect(doc.modules.orders).toMatchObject({ version: '2.0.0', dir: 'Orders' });
    expect(redis.cli('GET', 'pub:gen:stable')).toBe('3');

    await pub.publish(snapshot(2, '1.0.0', ['acme']));
    expect(JSON.parse(redis.cli('GET', 'pub:ring:stable')).modules.orders.version).toBe('2.0.0');
    expect(redis.cli('GET', 'pub:active:globex')).not.toBe('');

    await pub.publish(snapshot(4, '2.1.0', ['acme']));
    expect(JSON.parse(redis.cli('GET', 'pub:ring:stable')).modules.orders.version).toBe('2.1.0');
    expect(redis.cli('GET', 'pub:gen:stable')).toBe('4');
    expect(redis.cli('EXISTS', 'pub:active:globex')).toBe('0');
  });

  it('a Redis that is down fails the publish with host:port, never the password', async () => {
    const pub = redisPublisherFactory({
      operator: { publish: { redis: true } },
      env: { RINGLOCK_REDIS_URL: 'redis://:pw-s3cret@127.0.0.1:1' },
    })!;
    const e = await pub.publish(snapshot(1, '1.0.0', ['acme'])).catch((x: Error) => x);
    expect(String(e)).toContain('127.0.0.1:1');
    expect(String(e)).not.toContain('pw-s3cret');
  });
});
