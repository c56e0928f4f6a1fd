// Where the Kubernetes tests run: the stand-in API server (default), or a real cluster when KUBECONFIG is set and
// RINGLOCK_TEST_REAL_CLUSTER=1 — then a pod running `sleep` (image RINGLOCK_TEST_IMAGE, default busybox:1.36) in
// RINGLOCK_TEST_NAMESPACE (default: the kubeconfig context's) plays the platform's pod, and is deleted after.
import { randomBytes } from 'node:crypto';
import type { HookInvocation } from '../../src/apply/hook-runner.js';
import { HOOK_PLACEHOLDERS, type HookPlaceholder } from '../../src/model/operator-config.js';
import { type KubeStandIn, startKubeStandIn } from './kube-apiserver.js';

export const REAL_CLUSTER = process.env.RINGLOCK_TEST_REAL_CLUSTER === '1' && !!process.env.KUBECONFIG;

export interface KubeHarness {
  /** The environment a runner reads: KUBECONFIG, POD_NAME, POD_NAMESPACE. */
  env: NodeJS.ProcessEnv;
  namespace: string;
  /** The platform's pod and its container. */
  pod: string;
  container: string;
  image: string;
  /** Only with the stand-in. */
  standIn?: KubeStandIn;
  close(): Promise<void>;
}

export async function kubeHarness(o: { protocols?: string[] } = {}): Promise<KubeHarness> {
  if (REAL_CLUSTER) return realHarness();
  const standIn = await startKubeStandIn(o.protocols ? { protocols: o.protocols } : {});
  standIn.addPod({ name: 'platform-0', labels: { app: 'platform' }, containers: ['ringlock', 'app'] });
  return {
    env: { KUBECONFIG: standIn.kubeconfig, POD_NAME: 'platform-0', POD_NAMESPACE: standIn.namespace },
    namespace: standIn.namespace,
    pod: 'platform-0',
    container: 'app',
    image: 'example/app:1',
    standIn,
    close: () => standIn.close(),
  };
}

async function realHarness(): Promise<KubeHarness> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(process.env.KUBECONFIG!);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace =
    process.env.RINGLOCK_TEST_NAMESPACE ??
    kc.getContextObject(kc.getCurrentContext())?.namespace ??
    'default';
  const image = process.env.RINGLOCK_TEST_IMAGE ?? 'busybox:1.36';
  const pod = `ringlock-test-${randomBytes(4).toString('hex')}`;
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: pod, labels: { app: 'ringlock-test' } },
      spec: {
        containers: [{ name: 'app', image, command: ['sleep', '3600'] }],
        terminationGracePeriodSeconds: 0,
      },
    },
  });
  for (;;) {
    const p = await core.readNamespacedPod({ name: pod, namespace });
    if (p.status?.phase === 'Running') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    env: { KUBECONFIG: process.env.KUBECONFIG!, POD_NAME: pod, POD_NAMESPACE: namespace },
    namespace,
    pod,
    container: 'app',
    image,
    async close() {
      await core.deleteNamespacedPod({ name: pod, namespace, gracePeriodSeconds: 0 });
    },
  };
}

/** One hook run's invocation: the reference, every placeholder, the context on stdin. */
export function invocation(
  reference: string,
  o: Partial<Omit<HookInvocation, 'values'>> & { values?: Partial<Record<HookPlaceholder, string>> } = {},
): HookInvocation {
  const values = Object.fromEntries(HOOK_PLACEHOLDERS.map((p) => [p, ''])) as Record<HookPlaceholder, string>;
  Object.assign(values, {
    hook: reference,
    hookPoint: 'onInstall',
    module: 'orders',
    toVersion: '1.2.0',
    sourcePath: '/var/lib/ringlock/target/.ringlock/store/orders/1.2.0-abc',
    ring: 'canary',
    operationId: 'op-20261204-abc123',
    ...o.values,
  });
  const context = {
    module: 'orders',
    operation: 'install',
    toVersion: '1.2.0',
    hook: 'onInstall',
    sourcePath: values.sourcePath,
  };
  return {
    reference,
    cwd: '/',
    env: {
      PATH: '/usr/bin:/bin',
      RINGLOCK_MODULE: 'orders',
      RINGLOCK_HOOK: 'onInstall',
      RINGLOCK_SOURCE_PATH: values.sourcePath,
      RINGLOCK_CONTEXT_FILE: '/tmp/ringlock-hook-x/context.json',
      RINGLOCK_OPERATION_ID: values.operationId,
    },
    stdin: JSON.stringify(context),
    timeoutMs: 60_000,
    keepOutput: 4000,
    ...o,
    values,
  };
}
