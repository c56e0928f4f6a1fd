// The Kubernetes client from the environment: KUBECONFIG (or the operator's variable), clear errors without one, the
// namespace chosen, and no token in any message.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { kubeClient } from '../src/kube/client.js';
import { ConfigMapPublisher } from '../src/kube/configmap-publisher.js';
import type { ActiveSnapshot } from '../src/publish/types.js';
import { type KubeStandIn, startKubeStandIn } from './support/kube-apiserver.js';

let s: KubeStandIn | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await s?.close();
  s = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ringlock-kubecfg-'));
  dirs.push(d);
  return d;
};

describe('the Kubernetes client', () => {
  it('without a cluster or KUBECONFIG: an InputError saying what to set', async () => {
    const e = await kubeClient({}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(/no Kubernetes configuration: .*KUBECONFIG is not set/);
  });

  it('a KUBECONFIG that cannot be read: an InputError naming the variable and file', async () => {
    const file = join(tmp(), 'nope');
    const e = await kubeClient({ KUBECONFIG: file }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toContain(`cannot read the kubeconfig KUBECONFIG=${file}`);
  });

  it("reads the operator's variable, and takes the namespace from POD_NAMESPACE, else the context", async () => {
    s = await startKubeStandIn({ namespace: 'shop' });
    const c = await kubeClient(
      { RINGLOCK_KUBECONFIG: s.kubeconfig },
      { kubeconfigEnv: 'RINGLOCK_KUBECONFIG' },
    );
    expect(c.namespace).toBe('shop');
    expect(c.source).toBe(`RINGLOCK_KUBECONFIG (${s.kubeconfig})`);
    expect((await kubeClient({ KUBECONFIG: s.kubeconfig, POD_NAMESPACE: 'other' })).namespace).toBe('other');
  });

  it('a refused token (401) is reported with the Role to grant, never with the token', async () => {
    s = await startKubeStandIn();
    const wrong = 'a-wrong-token-0123456789abcdef';
    const cfg = JSON.parse(readFileSync(s.kubeconfig, 'utf8'));
    cfg.users[0].user.token = wrong;
    const file = join(tmp(), 'kubeconfig');
    writeFileSync(file, JSON.stringify(cfg));
    const snapshot: ActiveSnapshot = {
      apiVersion: 'ringlock/v1',
      kind: 'ActiveModules',
      ring: 'stable',
      tenants: {},
      ringTenants: [],
      modules: {},
      generation: 1,
      publishedAt: '',
    };
    const e = (await new ConfigMapPublisher({ name: 'active' }, { KUBECONFIG: file })
      .publish(snapshot)
      .catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(
      /cannot read the ConfigMap ringlock-test\/active: HTTP 401 \(Unauthorized\).*Role/,
    );
    expect(e.message).not.toContain(wrong);
    expect(e.message).not.toContain(s.token);
  });
});
