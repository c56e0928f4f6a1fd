// The Kubernetes hook runners' factories: `{type: exec, …}` and `{type: job, …}` of the operator config's
// hooks.runners, checked again here (the schema is the first check) with errors naming hooks.runners.<name>.<field>.
// runtime/ appends KUBE_RUNNER_FACTORIES to the argv and http ones; nothing here talks to the API until a hook runs,
// but a runner whose environment cannot reach it (no cluster config, no POD_NAME) is refused when it is built.
import type { RunnerFactory } from '../apply/hook-runner.js';
import { InputError } from '../errors.js';
import { HOOK_PLACEHOLDERS } from '../model/operator-config.js';
import { inCluster, kubeConfigMissing } from './client.js';
import { ExecRunner, type ExecRunnerSpec } from './exec-runner.js';
import type { JobRunnerSpec } from './job-manifest.js';
import { JobRunner } from './job-runner.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const EXEC_KEYS = ['type', 'container', 'pod', 'namespace', 'argv', 'targetMount'];
const JOB_KEYS = [
  'type',
  'namespace',
  'image',
  'argv',
  'serviceAccountName',
  'volumes',
  'volumeMounts',
  'targetMount',
  'env',
  'ttlSecondsAfterFinished',
  'activeDeadlineSeconds',
  'resources',
  'podTemplate',
];

type Spec = Record<string, unknown>;
const isObject = (v: unknown): v is Spec => v !== null && typeof v === 'object' && !Array.isArray(v);

class Checker {
  constructor(
    private readonly name: string,
    private readonly spec: Spec,
  ) {}

  fail(field: string, message: string, expected: string): never {
    throw new InputError('operator/runner', `hooks.runners.${this.name}.${field} ${message}`, { expected });
  }

  keys(allowed: string[]): void {
    for (const k of Object.keys(this.spec))
      if (!allowed.includes(k))
        this.fail(
          k,
          `is not a field of ${this.spec.type === 'exec' ? 'an exec' : 'a job'} runner`,
          allowed.join(', '),
        );
  }

  argv(): string[] {
    const v = this.spec.argv;
    if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === 'string'))
      this.fail(
        'argv',
        'must be a non-empty list of strings',
        'e.g. ["php", "artisan", "module:hook", "{hook}"]',
      );
    v.forEach((a: string, i) => {
      const m = /^\{([A-Za-z]+)\}$/.exec(a);
      if (m?.[1] === 'contextFile')
        this.fail(
          `argv[${i}]`,
          'uses {contextFile}, a path on ringlock’s side that the platform’s container cannot read',
          'the context arrives on stdin (exec) or in RINGLOCK_CONTEXT (job)',
        );
      if (m && !(HOOK_PLACEHOLDERS as readonly string[]).includes(m[1]!))
        this.fail(
          `argv[${i}]`,
          `is an unknown placeholder ${a}`,
          HOOK_PLACEHOLDERS.filter((p) => p !== 'contextFile')
            .map((p) => `{${p}}`)
            .join(', '),
        );
    });
    return v;
  }

  name_(field: string, re: RegExp, what: string, required = false): string | undefined {
    const v = this.spec[field];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.length > 253 || !re.test(v)) this.fail(field, `must be ${what}`, what);
    return v;
  }

  absPath(field: string): string | undefined {
    const v = this.spec[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v.startsWith('/'))
      this.fail(field, 'must be an absolute path', 'e.g. /app/modules');
    return v;
  }

  int(field: string, min: number): number | undefined {
    const v = this.spec[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      this.fail(field, `must be an integer ≥ ${min}`, `a number of seconds ≥ ${min}`);
    return v;
  }

  objects(field: string, required: string[]): Record<string, unknown>[] | undefined {
    const v = this.spec[field];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) this.fail(field, 'must be a list', `Kubernetes ${field} objects`);
    v.forEach((o, i) => {
      if (!isObject(o)) this.fail(`${field}[${i}]`, 'must be an object', `a Kubernetes ${field} entry`);
      for (const r of required)
        if (typeof o[r] !== 'string' || o[r] === '')
          this.fail(
            `${field}[${i}].${r}`,
            'is missing',
            `a Kubernetes ${field} entry with ${required.join(' and ')}`,
          );
    });
    return v as Record<string, unknown>[];
  }

  object(field: string): Record<string, unknown> | undefined {
    const v = this.spec[field];
    if (v === undefined) return undefined;
    if (!isObject(v)) this.fail(field, 'must be an object', field);
    return v;
  }
}

export function execRunnerSpec(name: string, spec: Spec): ExecRunnerSpec {
  const c = new Checker(name, spec);
  c.keys(EXEC_KEYS);
  const container = c.name_('container', DNS_LABEL, 'a container name (DNS-1123 label), e.g. app', true)!;
  const pod = c.object('pod');
  if (pod) {
    for (const k of Object.keys(pod))
      if (k !== 'name' && k !== 'labelSelector')
        c.fail(`pod.${k}`, 'is not a field of pod', 'name or labelSelector');
    if (pod.name !== undefined && pod.labelSelector !== undefined)
      c.fail('pod', 'names both a pod and a label selector', 'one of pod.name, pod.labelSelector');
    if (pod.name !== undefined && (typeof pod.name !== 'string' || !DNS_SUBDOMAIN.test(pod.name)))
      c.fail('pod.name', 'must be a pod name', 'e.g. platform-0');
    if (
      pod.labelSelector !== undefined &&
      (typeof pod.labelSelector !== 'string' || pod.labelSelector.trim() === '')
    )
      c.fail('pod.labelSelector', 'must be a label selector', 'e.g. app.kubernetes.io/name=platform');
  }
  const namespace = c.name_('namespace', DNS_LABEL, 'a namespace name (DNS-1123 label)');
  const targetMount = c.absPath('targetMount');
  return {
    type: 'exec',
    container,
    argv: c.argv(),
    ...(pod ? { pod: pod as ExecRunnerSpec['pod'] } : {}),
    ...(namespace ? { namespace } : {}),
    ...(targetMount ? { targetMount } : {}),
  };
}

export function jobRunnerSpec(name: string, spec: Spec): JobRunnerSpec {
  const c = new Checker(name, spec);
  c.keys(JOB_KEYS);
  if (typeof spec.image !== 'string' || spec.image.trim() === '')
    c.fail(
      'image',
      'must name the image to run',
      "the platform's image, e.g. registry.example.com/shop/app:2.4.1",
    );
  const argv = c.argv();
  c.name_('namespace', DNS_LABEL, 'a namespace name (DNS-1123 label)');
  c.name_('serviceAccountName', DNS_SUBDOMAIN, 'a service account name');
  c.objects('volumes', ['name']);
  c.objects('volumeMounts', ['name', 'mountPath']);
  c.absPath('targetMount');
  const env = c.object('env');
  for (const [k, v] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(k))
      c.fail(`env.${k}`, 'is not a valid variable name', 'letters, digits, _ . -, not starting with a digit');
    if (typeof v !== 'string') c.fail(`env.${k}`, 'must be a string', 'a string value (quote numbers)');
    if (k.startsWith('RINGLOCK_'))
      c.fail(`env.${k}`, 'is reserved: ringlock sets the RINGLOCK_* variables', 'another name');
  }
  c.int('ttlSecondsAfterFinished', 0);
  c.int('activeDeadlineSeconds', 1);
  c.object('resources');
  const tmpl = c.object('podTemplate');
  for (const k of Object.keys(tmpl ?? {}))
    if (k !== 'metadata' && k !== 'spec')
      c.fail(`podTemplate.${k}`, 'is not a field of a pod template', 'metadata, spec');
  return { ...(spec as unknown as JobRunnerSpec), argv };
}

/**
 * What a runner needs of the environment, checked when it is built (at start: exit 2 before anything changes) rather
 * than when its first hook runs: a cluster configuration, and for exec into ringlock's own pod its name and namespace.
 */
export function checkKubeEnv(
  name: string,
  spec: ExecRunnerSpec | JobRunnerSpec,
  env: NodeJS.ProcessEnv,
): void {
  const fail = (message: string, expected: string): never => {
    throw new InputError('operator/runner', `hooks.runners.${name} (${spec.type}) ${message}`, { expected });
  };
  const missing = kubeConfigMissing(env);
  if (missing)
    fail(
      `cannot reach the Kubernetes API: ${missing}`,
      "run ringlock in the cluster with a service account (the pod's token is mounted), or set KUBECONFIG to a kubeconfig file",
    );
  if (spec.type !== 'exec' || spec.pod?.name || spec.pod?.labelSelector) return;
  if (!env.POD_NAME)
    fail(
      'runs in ringlock’s own pod, and POD_NAME is not set',
      `set POD_NAME (and POD_NAMESPACE) from the downward API (fieldRef metadata.name, metadata.namespace), or hooks.runners.${name}.pod (name or labelSelector)`,
    );
  if (!spec.namespace && !env.POD_NAMESPACE && !inCluster(env))
    fail(
      'runs in ringlock’s own pod, and its namespace is unknown (POD_NAMESPACE is not set)',
      `set POD_NAMESPACE from the downward API (fieldRef metadata.namespace), or hooks.runners.${name}.namespace`,
    );
}

/** The exec and job factories; the environment (the factory context's, else `env`) is checked when a runner is built. */
export function kubeRunnerFactories(env: NodeJS.ProcessEnv = process.env): RunnerFactory[] {
  const typed = (spec: unknown, type: string): spec is Spec => isObject(spec) && spec.type === type;
  return [
    (name, spec, ctx) => {
      if (!typed(spec, 'exec')) return undefined;
      const e = ctx?.env ?? env;
      const s = execRunnerSpec(name, spec);
      checkKubeEnv(name, s, e);
      return new ExecRunner(name, s, e);
    },
    (name, spec, ctx) => {
      if (!typed(spec, 'job')) return undefined;
      const e = ctx?.env ?? env;
      const s = jobRunnerSpec(name, spec);
      checkKubeEnv(name, s, e);
      return new JobRunner(name, s, e);
    },
  ];
}

export const KUBE_RUNNER_FACTORIES: readonly RunnerFactory[] = kubeRunnerFactories();
