// Publishing across processes and writers: a new process (a new pod on an emptyDir: no active.json) goes on from the
// generation the ConfigMap or Redis already holds instead of being refused as a stale writer while reporting ok; a
// write refused because a newer generation is stored is reported as skipped, never ok; the same generation with other
// content is rewritten by both; and every call to a publisher is bounded in time (a hung API server or Redis).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kubeClient } from '../src/kube/client.js';
import { ConfigMapPublisher } from '../src/kube/configmap-publisher.js';
import { FilePublisher } from '../src/publish/file.js';
import { Publication } from '../src/publish/publication.js';
import type { ActivePublisher, ActiveSnapshot } from '../src/publish/types.js';
import { redisPublisherFactory } from '../src/redis/publisher.js';
import type { DeployedModule, DeployedState } from '../src/state/types.js';
import { FilesystemTarget } from '../src/targets/filesystem.js';
import { testdir } from './helpers.js';
import { type KubeHarness, kubeHarness } from './support/kube-harness.js';
import { type RedisServer, startRedis } from './support/redis.js';

const sha = (c: string) => `sha256:${c.repeat(64)}`;
const mod = (name: string, version: string): DeployedModule => ({
  name,
  active: { version, sha256: sha('a'), storeDir: `.ringlock/store/${name}/${version}-aaaaaaaa` },
  status: 'active',
  since: '2026-01-01T00:00:00.000Z',
  origin: 'lock',
});
const state = (version: string, lockCommit = 'c'.repeat(40)): DeployedState => ({
  stateVersion: 1,
  modules: { orders: mod('orders', version) },
  quarantine: [],
  lockCommit,
});
const tenants = { acme: 'stable', globex: 'canary' };

/** One pod's publishing: its own (emptyDir) target with the file publisher, plus the shared `others`. */
function pod(others: ActivePublisher[]) {
  const publication = new Publication();
  const publishers = [new FilePublisher(new FilesystemTarget(testdir())), ...others];
  return {
    publication,
    apply: (version: string, commit?: string) =>
      publication.publish(publishers, { ring: 'stable', tenants, state: state(version, commit) }),
  };
}

let h: KubeHarness | undefined;
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.destroy();
});
afterEach(async () => {
  if (h?.standIn) expect(h.standIn.problems).toEqual([]);
  await h?.close();
  h = undefined;
});

async function configMap(x: KubeHarness, name: string) {
  const { core } = await kubeClient(x.env);
  const cm = await core.readNamespacedConfigMap({ name, namespace: x.namespace });
  return {
    generation: cm.metadata?.annotations?.['ringlock.dev/generation'],
    active: JSON.parse(cm.data?.['active.json'] ?? '{}') as ActiveSnapshot,
  };
}

describe('a new process publishing where an old one did', () => {
  it('the ConfigMap: goes on from its generation, and a same-generation restart writes nothing new', async () => {
    h = await kubeHarness();
    const name = `ringlock-active-${randomBytes(3).toString('hex')}`;
    const old = pod([new ConfigMapPublisher({ name }, h.env)]);
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0']) await old.apply(v);
    expect((await configMap(h, name)).generation).toBe('5');

    // A new pod: an empty target, a new process. The same modules: generation 5 still, nothing moves backwards.
    const same = pod([new ConfigMapPublisher({ name }, h.env)]);
    const s1 = await same.apply('1.4.0');
    expect(s1.map((s) => [s.ok, s.generation])).toEqual([
      [true, 5],
      [true, 5],
    ]);

    // It applies a change: generation 6, in the ConfigMap too, and both say ok.
    const next = pod([new ConfigMapPublisher({ name }, h.env)]);
    const s2 = await next.apply('1.5.0');
    expect(s2.map((s) => [s.ok, s.generation])).toEqual([
      [true, 6],
      [true, 6],
    ]);
    const cm = await configMap(h, name);
    expect(cm.generation).toBe('6');
    expect(cm.active.modules.orders?.version).toBe('1.5.0');
  });

  it('Redis: goes on from the stored generation', async (t) => {
    const keys = { tenant: 'rs:active:{tenant}', ring: 'rs:ring:{ring}', generation: 'rs:gen:{ring}' };
    const redisPub = () => {
      const p = redisPublisherFactory({
        operator: { publish: { redis: true }, redis: { keys } },
        env: { RINGLOCK_REDIS_URL: redis.url },
        ring: 'stable',
      })!;
      t.onTestFinished(() => void p.close?.());
      return p as ActivePublisher;
    };
    const old = pod([redisPub()]);
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await old.apply(v);
    expect(redis.cli('GET', 'rs:gen:stable')).toBe('3');

    const next = pod([redisPub()]);
    const statuses = await next.apply('1.3.0');
    expect(statuses.map((s) => [s.ok, s.generation])).toEqual([
      [true, 4],
      [true, 4],
    ]);
    expect(redis.cli('GET', 'rs:gen:stable')).toBe('4');
    expect(JSON.parse(redis.cli('GET', 'rs:active:acme'))).toEqual({ orders: 'orders' });
    expect(JSON.parse(redis.cli('GET', 'rs:ring:stable')).modules.orders.version).toBe('1.3.0');
  });
});

describe('a write refused because a newer generation is stored', () => {
  const snap = (generation: number, version: string): ActiveSnapshot => ({
    apiVersion: 'ringlock/v1',
    kind: 'ActiveModules',
    ring: 'stable',
    tenants,
    ringTenants: ['acme'],
    modules: { orders: { version, sha256: sha('a'), path: 'orders', since: '2026-01-01T00:00:00.000Z' } },
    generation,
    publishedAt: '2026-01-01T00:00:00.000Z',
  });

  it('is reported as skipped, not ok', async () => {
    const other: ActivePublisher = { name: 'other', publish: async () => ({ skipped: true, stored: 9 }) };
    const [file, skipped] = await pod([other]).apply('1.0.0');
    expect(file).toMatchObject({ ok: true, generation: 1 });
    expect(skipped).toMatchObject({ name: 'other', ok: false, skipped: true, generation: 1 });
    expect(skipped?.error).toMatch(/generation 9 is stored there/);
  });

  it('by the ConfigMap, Redis and the file publisher alike; the same generation with other content is written', async (t) => {
    h = await kubeHarness();
    const name = `ringlock-active-${randomBytes(3).toString('hex')}`;
    const cm = new ConfigMapPublisher({ name }, h.env);
    const rp = redisPublisherFactory({
      operator: {
        publish: { redis: true },
        redis: {
          keys: { tenant: 'sk:active:{tenant}', ring: 'sk:ring:{ring}', generation: 'sk:gen:{ring}' },
        },
      },
      env: { RINGLOCK_REDIS_URL: redis.url },
      ring: 'stable',
    })!;
    t.onTestFinished(() => void rp.close?.());
    const file = new FilePublisher(new FilesystemTarget(testdir()));
    for (const p of [cm, rp, file] as ActivePublisher[]) {
      expect(await p.publish(snap(5, '1.0.0'))).toBeUndefined();
      expect(await p.publish(snap(4, '0.9.0'))).toEqual({ skipped: true, stored: 5 });
      expect(await p.publish(snap(5, '1.0.1'))).toBeUndefined();
      expect((await p.current?.())?.modules.orders?.version).toBe('1.0.1');
    }
    expect(JSON.parse(redis.cli('GET', 'sk:ring:stable')).modules.orders.version).toBe('1.0.1');
    expect((await configMap(h, name)).active.modules.orders?.version).toBe('1.0.1');
  });
});

describe('a publisher that does not answer', () => {
  it('is given up after the timeout; the others are published', async () => {
    const hung: ActivePublisher = { name: 'hung', publish: () => new Promise(() => {}) };
    const publication = new Publication(50);
    const target = testdir();
    const statuses = await publication.publish([hung, new FilePublisher(new FilesystemTarget(target))], {
      ring: 'stable',
      tenants,
      state: state('1.0.0'),
    });
    expect(statuses.map((s) => [s.name.split(' ')[0], s.ok])).toEqual([
      ['hung', false],
      ['file', true],
    ]);
    expect(statuses[0]?.error).toMatch(/did not finish within 0.05 s/);
  });

  it('the ConfigMap publisher gives up the request to a hung API server', async (t) => {
    const open = new Set<IncomingMessage>();
    let closed = 0;
    const server = createServer((req) => {
      // Never answers; counts the requests the client gave up.
      open.add(req);
      req.socket.on('close', () => closed++);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => {
      server.closeAllConnections();
      server.close();
    });
    const port = (server.address() as AddressInfo).port;
    const dir = testdir();
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{name: hung, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t0ken}}]
contexts: [{name: c, context: {cluster: hung, user: u, namespace: ns}}]
current-context: c
`,
    );
    const cm = new ConfigMapPublisher({ name: 'ringlock-active' }, { KUBECONFIG: kubeconfig });
    const statuses = await new Publication(200).publish([cm], {
      ring: 'stable',
      tenants,
      state: state('1.0.0'),
    });
    expect(statuses[0]).toMatchObject({ ok: false });
    expect(statuses[0]?.error).toMatch(/did not finish within 0.2 s/);
    // Both requests (reading back, publishing) reached the server and were aborted by the client, not left open.
    await new Promise<void>((resolve) => {
      const check = () => (closed >= 2 ? resolve() : setImmediate(check));
      check();
    });
    expect(open.size).toBe(2);
  });
});
