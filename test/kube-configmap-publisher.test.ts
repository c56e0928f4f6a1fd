// The ConfigMap publisher against the stand-in API server (a real cluster with RINGLOCK_TEST_REAL_CLUSTER=1): the
// snapshot lands in active.json and tenants.json, a lower generation is never written over a higher one, a concurrent
// writer (409) is retried once, and a refusal names the RBAC needed.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeClient } from '../src/kube/client.js';
import { ConfigMapPublisher, configMapPublisherFactory } from '../src/kube/configmap-publisher.js';
import type { ActiveSnapshot } from '../src/publish/types.js';
import { type KubeHarness, kubeHarness, REAL_CLUSTER } from './support/kube-harness.js';

let h: KubeHarness | undefined;
let created: string[] = [];
afterEach(async () => {
  if (h?.standIn) expect(h.standIn.problems).toEqual([]);
  if (h && !h.standIn) {
    const { core } = await kubeClient(h.env);
    for (const name of created)
      await core.deleteNamespacedConfigMap({ name, namespace: h.namespace }).catch(() => {});
  }
  created = [];
  await h?.close();
  h = undefined;
});

const cmName = () => {
  const n = `ringlock-active-${randomBytes(3).toString('hex')}`;
  created.push(n);
  return n;
};

function snapshot(generation: number, version = '1.2.0', ring = 'stable'): ActiveSnapshot {
  return {
    apiVersion: 'ringlock/v1',
    kind: 'ActiveModules',
    ring,
    commit: 'a'.repeat(40),
    tenants: { acme: 'stable', globex: 'canary' },
    ringTenants: ['acme'],
    modules: {
      orders: { version, sha256: `sha256:${'b'.repeat(64)}`, path: 'orders', since: '2026-12-04T10:00:00Z' },
    },
    generation,
    publishedAt: new Date().toISOString(),
  };
}

async function stored(x: KubeHarness, name: string) {
  const { core } = await kubeClient(x.env);
  const cm = await core.readNamespacedConfigMap({ name, namespace: x.namespace });
  return {
    active: JSON.parse(cm.data?.['active.json'] ?? '{}') as ActiveSnapshot,
    tenants: JSON.parse(cm.data?.['tenants.json'] ?? '{}'),
    annotations: cm.metadata?.annotations ?? {},
    labels: cm.metadata?.labels ?? {},
    resourceVersion: cm.metadata?.resourceVersion,
  };
}

describe('the ConfigMap publisher', () => {
  it('creates the ConfigMap when absent: active.json, tenants.json, the generation annotation', async () => {
    h = await kubeHarness();
    const name = cmName();
    const p = new ConfigMapPublisher({ name }, h.env);
    await p.publish(snapshot(1));
    const s = await stored(h, name);
    expect(s.active.modules.orders?.version).toBe('1.2.0');
    expect(s.active.ring).toBe('stable');
    expect(s.tenants).toEqual({ acme: 'stable', globex: 'canary' });
    expect(s.annotations).toMatchObject({ 'ringlock.dev/generation': '1', 'ringlock.dev/ring': 'stable' });
    expect(s.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'ringlock' });
    expect(p.name).toBe(`configmap ${name}`);
  });

  it('replaces it with a higher generation and never with a lower one (a stale writer)', async () => {
    h = await kubeHarness();
    const name = cmName();
    const p = new ConfigMapPublisher({ name, namespace: h.namespace }, h.env);
    await p.publish(snapshot(1, '1.2.0'));
    await p.publish(snapshot(3, '1.3.0'));
    expect((await stored(h, name)).active.modules.orders?.version).toBe('1.3.0');
    const before = (await stored(h, name)).resourceVersion;
    await p.publish(snapshot(2, '1.1.0'));
    const after = await stored(h, name);
    expect(after.active.modules.orders?.version).toBe('1.3.0');
    expect(after.annotations['ringlock.dev/generation']).toBe('3');
    // Nothing was written at all, and the same generation again changes nothing either.
    expect(after.resourceVersion).toBe(before);
    await p.publish(snapshot(3, '1.3.0'));
    expect((await stored(h, name)).resourceVersion).toBe(before);
  });

  it.skipIf(REAL_CLUSTER)(
    'retries once when another writer changed it between the read and the replace (409)',
    async () => {
      h = await kubeHarness();
      const s = h.standIn!;
      const name = cmName();
      const p = new ConfigMapPublisher({ name }, h.env);
      await p.publish(snapshot(1));
      let puts = 0;
      s.before = (method) => {
        if (method !== 'PUT') return;
        puts++;
        // The first replace finds the ConfigMap changed by someone else since ringlock read it.
        if (puts === 1) {
          const cm = s.configMaps.get(`${s.namespace}/${name}`)!;
          cm.metadata.resourceVersion = `${cm.metadata.resourceVersion}9`;
        }
      };
      await p.publish(snapshot(2, '1.3.0'));
      expect(puts).toBe(2);
      expect((await stored(h, name)).active.modules.orders?.version).toBe('1.3.0');
    },
  );

  it.skipIf(REAL_CLUSTER)(
    'gives up after a second conflict, saying another writer publishes there',
    async () => {
      h = await kubeHarness();
      const s = h.standIn!;
      const name = cmName();
      const p = new ConfigMapPublisher({ name }, h.env);
      await p.publish(snapshot(1));
      s.before = (method) => {
        const cm = s.configMaps.get(`${s.namespace}/${name}`)!;
        if (method === 'PUT') cm.metadata.resourceVersion = `${cm.metadata.resourceVersion}9`;
      };
      await expect(p.publish(snapshot(2))).rejects.toThrow(/409 Conflict twice.*another writer/);
    },
  );

  it('refuses to write over another ring’s snapshot', async () => {
    h = await kubeHarness();
    const name = cmName();
    await new ConfigMapPublisher({ name }, h.env).publish(snapshot(1, '1.2.0', 'canary'));
    await expect(new ConfigMapPublisher({ name }, h.env).publish(snapshot(5))).rejects.toThrow(
      /holds ring canary's active modules, not stable's/,
    );
  });

  it.skipIf(REAL_CLUSTER)(
    'without the rights (403): an error naming the ConfigMap and the Role needed',
    async () => {
      h = await kubeHarness();
      h.standIn!.deny('configmaps', 'get');
      await expect(
        new ConfigMapPublisher({ name: 'ringlock-active' }, h.env).publish(snapshot(1)),
      ).rejects.toThrow(
        new RegExp(
          `cannot read the ConfigMap ${h.namespace}/ringlock-active: HTTP 403.*"get" and "update" on "configmaps" \\(resourceNames: \\[ringlock-active\\]\\)`,
        ),
      );
    },
  );

  it('the factory: none without publish.configMap, a clear error for an invalid name', () => {
    expect(configMapPublisherFactory({ operator: {}, ring: 'stable', env: {} })).toBeUndefined();
    expect(configMapPublisherFactory({ operator: undefined, ring: 'stable', env: {} })).toBeUndefined();
    const p = configMapPublisherFactory({
      operator: { publish: { configMap: { name: 'ringlock-active', namespace: 'shop' } } },
      ring: 'stable',
      env: {},
    });
    expect(p?.name).toBe('configmap shop/ringlock-active');
    expect(() =>
      configMapPublisherFactory({
        operator: { publish: { configMap: { name: 'Ringlock_Active' } } },
        ring: 'stable',
        env: {},
      }),
    ).toThrow(/publish\.configMap\.name in the operator config is not valid/);
  });
});
