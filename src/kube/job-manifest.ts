// The Job a `job` hook runner creates, built from the operator's template: the platform's image running the argv,
// the context in RINGLOCK_CONTEXT beside the usual RINGLOCK_* values, the operator's volumes (the modules volume among
// them), no retries, and a TTL so Kubernetes removes it. Pure: the runner sends it.
import { randomBytes } from 'node:crypto';
import type { JobRunnerSpec as OperatorJobRunnerSpec } from '../model/operator-config.js';

/** The operator's job runner (model/operator-config.ts) with its pod template checked into this shape (runners.ts). */
export type JobRunnerSpec = Omit<OperatorJobRunnerSpec, 'podTemplate'> & {
  /** A pod template (`metadata`, `spec`) the generated pod spec is merged over. */
  podTemplate?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: Record<string, unknown>;
  };
};

export const HOOK_CONTAINER = 'hook';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'ringlock' };

/** Lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label). */
function dnsPart(s: string, max: number): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
}

/** `ringlock-<operation>-<hook>-<5 random>`, a DNS-1123 label of at most 63 characters. */
export function jobName(
  operationId: string,
  hook: string,
  random = randomBytes(4).toString('hex').slice(0, 5),
): string {
  const op = dnsPart(operationId, 30) || 'op';
  const h = dnsPart(hook, 63 - 'ringlock-'.length - op.length - 2 - random.length) || 'hook';
  return `ringlock-${op}-${h}-${random}`;
}

/** A label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export interface JobInputs {
  name: string;
  namespace: string;
  argv: string[];
  /** RINGLOCK_* values (with RINGLOCK_CONTEXT) for the container. */
  env: Record<string, string>;
  operationId: string;
  hook: string;
  /** The hook's timeout: without the operator's activeDeadlineSeconds, Kubernetes stops the Job a minute after it,
   * so a Job whose ringlock died while waiting does not run on (its TTL only starts once it has finished). */
  timeoutMs: number;
}

/** The Job object (batch/v1). */
export function jobManifest(spec: JobRunnerSpec, i: JobInputs): Record<string, unknown> {
  const labels = {
    ...MANAGED_BY,
    ...(labelValue(i.operationId) ? { 'ringlock.dev/operation-id': labelValue(i.operationId) } : {}),
    'ringlock.dev/hook': labelValue(i.hook) || 'hook',
  };
  const tmplSpec = spec.podTemplate?.spec ?? {};
  const tmplContainers = Array.isArray(tmplSpec.containers)
    ? (tmplSpec.containers as Record<string, unknown>[])
    : [];
  const base = tmplContainers.find((c) => c.name === HOOK_CONTAINER) ?? {};
  // The operator's env first, ringlock's values over it: a hook always sees its own context.
  const env = { ...(spec.env ?? {}), ...i.env };
  const baseEnv = Array.isArray(base.env)
    ? (base.env as { name: string }[]).filter((e) => !(e.name in env))
    : [];
  const container = {
    ...base,
    name: HOOK_CONTAINER,
    image: spec.image,
    command: i.argv,
    env: [...baseEnv, ...Object.entries(env).map(([name, value]) => ({ name, value }))],
    ...(spec.volumeMounts || base.volumeMounts
      ? { volumeMounts: [...((base.volumeMounts as unknown[]) ?? []), ...(spec.volumeMounts ?? [])] }
      : {}),
    ...(spec.resources ? { resources: spec.resources } : {}),
  };
  const volumes = [...((tmplSpec.volumes as unknown[]) ?? []), ...(spec.volumes ?? [])];
  const podSpec = {
    ...tmplSpec,
    restartPolicy: 'Never',
    ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
    ...(volumes.length > 0 ? { volumes } : {}),
    containers: [container, ...tmplContainers.filter((c) => c.name !== HOOK_CONTAINER)],
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: i.name, namespace: i.namespace, labels },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished ?? 600,
      activeDeadlineSeconds: spec.activeDeadlineSeconds ?? Math.ceil(i.timeoutMs / 1000) + 60,
      template: {
        metadata: {
          ...(spec.podTemplate?.metadata?.annotations
            ? { annotations: spec.podTemplate.metadata.annotations }
            : {}),
          labels: { ...(spec.podTemplate?.metadata?.labels ?? {}), ...labels },
        },
        spec: podSpec,
      },
    },
  };
}
