// The ConfigMap publisher: what a ring has active, as the `active.json` (the snapshot) and `tenants.json` (tenant →
// ring) keys of a ConfigMap the operator names, for platforms that mount or read it. Written by get + replace with the
// resourceVersion read (a concurrent writer → 409 → read again, once); a snapshot older (lower generation) than the
// one stored is not written (`skipped`: another writer is ahead), one of the same generation only when its content
// differs (a new commit with the same modules). current() reads it back, so a new pod goes on from the stored
// generation. Every request carries the caller's AbortSignal (a hung API server). Created only when absent, so the Role can limit get/update to that one name (Kubernetes
// cannot limit `create` by name: pre-create the ConfigMap to do without it).
import { InputError } from '../errors.js';
import { isSnapshot } from '../publish/snapshot.js';
import type { ActivePublisher, ActiveSnapshot, PublishSkipped } from '../publish/types.js';
import { apiErrorText, apiStatus, type KubeClient, kubeClient } from './client.js';
import { MANAGED_BY } from './job-manifest.js';

export interface ConfigMapTarget {
  namespace?: string;
  name: string;
}

export const GENERATION_ANNOTATION = 'ringlock.dev/generation';
export const RING_ANNOTATION = 'ringlock.dev/ring';

type ConfigMap = {
  metadata?: {
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  data?: Record<string, string>;
};

export class ConfigMapPublisher implements ActivePublisher {
  readonly name: string;
  private client?: Promise<KubeClient>;

  constructor(
    private readonly target: ConfigMapTarget,
    private readonly env: NodeJS.ProcessEnv,
    private readonly clientFor: (env: NodeJS.ProcessEnv) => Promise<KubeClient> = kubeClient,
  ) {
    this.name = `configmap ${target.namespace ? `${target.namespace}/` : ''}${target.name}`;
  }

  /** The snapshot in the ConfigMap's active.json; undefined when absent or not a snapshot. */
  async current(signal?: AbortSignal): Promise<ActiveSnapshot | undefined> {
    this.client ??= this.clientFor(this.env);
    const client = await this.client;
    const namespace = this.target.namespace ?? client.namespace;
    let cm: ConfigMap;
    try {
      cm = (await client.core.readNamespacedConfigMap(
        { name: this.target.name, namespace },
        withSignal(client, signal),
      )) as ConfigMap;
    } catch (e) {
      if (apiStatus(e) === 404) return undefined;
      throw e;
    }
    try {
      const v: unknown = JSON.parse(cm.data?.['active.json'] ?? '');
      return isSnapshot(v) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  async publish(snapshot: ActiveSnapshot, signal?: AbortSignal): Promise<PublishSkipped | undefined> {
    this.client ??= this.clientFor(this.env);
    const client = await this.client;
    const namespace = this.target.namespace ?? client.namespace;
    const name = this.target.name;
    const opts = withSignal(client, signal);
    const data = {
      'active.json': `${JSON.stringify(snapshot, null, 2)}\n`,
      'tenants.json': `${JSON.stringify(snapshot.tenants, null, 2)}\n`,
    };
    const annotations = {
      [GENERATION_ANNOTATION]: String(snapshot.generation),
      [RING_ANNOTATION]: snapshot.ring,
    };
    const where = `ConfigMap ${namespace}/${name}`;
    const fail = (what: string, e: unknown) => {
      const code = apiStatus(e);
      const rbac =
        code === 401 || code === 403
          ? `; ringlock's service account needs a Role in ${namespace} granting "get" and "update" on "configmaps" (resourceNames: [${name}]), and "create" on "configmaps" unless the ConfigMap exists`
          : '';
      return new Error(`cannot ${what} the ${where}: ${apiErrorText(e)}${rbac}`, { cause: e });
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      signal?.throwIfAborted();
      let current: ConfigMap | undefined;
      try {
        current = (await client.core.readNamespacedConfigMap({ name, namespace }, opts)) as ConfigMap;
      } catch (e) {
        if (apiStatus(e) !== 404) throw fail('read', e);
      }
      if (current === undefined) {
        try {
          await client.core.createNamespacedConfigMap(
            {
              namespace,
              body: { metadata: { name, namespace, labels: { ...MANAGED_BY }, annotations }, data },
            },
            opts,
          );
          return;
        } catch (e) {
          if (apiStatus(e) === 409) continue; // created meanwhile: read it and compare generations
          throw fail('create', e);
        }
      }
      const meta = current.metadata ?? {};
      const ring = meta.annotations?.[RING_ANNOTATION];
      if (ring !== undefined && ring !== snapshot.ring)
        throw new Error(
          `the ${where} holds ring ${ring}'s active modules, not ${snapshot.ring}'s: give each ring its own ConfigMap (publish.configMap.name in the operator config)`,
        );
      const stored = Number(meta.annotations?.[GENERATION_ANNOTATION] ?? Number.NaN);
      // A stale writer (an older pass, another replica) must not move what the platform reads backwards.
      if (stored > snapshot.generation) return { skipped: true, stored };
      if (stored === snapshot.generation && sameData(current.data, data)) return;
      try {
        await client.core.replaceNamespacedConfigMap(
          {
            name,
            namespace,
            body: {
              ...current,
              metadata: {
                ...meta,
                labels: { ...(meta.labels ?? {}), ...MANAGED_BY },
                annotations: { ...(meta.annotations ?? {}), ...annotations },
              },
              data: { ...(current.data ?? {}), ...data },
            } as never,
          },
          opts,
        );
        return;
      } catch (e) {
        if (apiStatus(e) !== 409) throw fail('update', e);
      }
    }
    throw new Error(
      `the ${where} kept changing under ringlock (409 Conflict twice): another writer publishes to it`,
    );
  }
}

/**
 * Per-request options that put the caller's AbortSignal on the request (the client's fetch honours it), so a hung API
 * server's socket is given up rather than left open: a middleware, in the client's own Observable form.
 */
function withSignal(client: KubeClient, signal: AbortSignal | undefined): never {
  if (!signal) return undefined as never;
  const { Observable } = client.k8s;
  type Ctx = { setSignal(s: AbortSignal): void };
  const middleware = {
    pre: (ctx: Ctx) => {
      ctx.setSignal(signal);
      return new Observable(Promise.resolve(ctx));
    },
    post: <R>(ctx: R) => new Observable(Promise.resolve(ctx)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' } as never;
}

/** Whether the stored keys already say the same, ignoring publishedAt (a pass that changed nothing). */
function sameData(stored: Record<string, string> | undefined, next: Record<string, string>): boolean {
  const strip = (s: string | undefined) => s?.replace(/"publishedAt": "[^"]*"/, '');
  return Object.entries(next).every(([k, v]) => strip(stored?.[k]) === strip(v));
}

/** The factory runtime/publishers.ts lists: a ConfigMap publisher when the operator config names one. */
export interface ConfigMapPublisherContext {
  /** The operator config; only its `publish.configMap` ({namespace?, name}) is read. */
  operator: unknown;
  ring: string;
  env: NodeJS.ProcessEnv;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function configMapPublisherFactory(ctx: ConfigMapPublisherContext): ActivePublisher | undefined {
  const publish = (ctx.operator as { publish?: { configMap?: unknown } } | undefined)?.publish;
  const cm = publish?.configMap as Partial<ConfigMapTarget> | undefined;
  if (cm === undefined) return undefined;
  const bad = (field: string, expected: string) =>
    new InputError('operator/publish', `publish.configMap.${field} in the operator config is not valid`, {
      expected,
    });
  if (typeof cm.name !== 'string' || cm.name.length > 253 || !DNS_SUBDOMAIN.test(cm.name))
    throw bad('name', 'a ConfigMap name: lower-case letters, digits, - and ., e.g. ringlock-active-stable');
  if (
    cm.namespace !== undefined &&
    (typeof cm.namespace !== 'string' || cm.namespace.length > 63 || !DNS_LABEL.test(cm.namespace))
  )
    throw bad('namespace', "a namespace name (DNS-1123 label), or none for the pod's own namespace");
  return new ConfigMapPublisher(
    { name: cm.name, ...(cm.namespace ? { namespace: cm.namespace } : {}) },
    ctx.env,
  );
}
