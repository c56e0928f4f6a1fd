// The Kubernetes API client: a KubeConfig from the pod's service account (in-cluster) or the operator's KUBECONFIG,
// loaded lazily so commands that never talk to Kubernetes do not pay for @kubernetes/client-node. Tokens stay inside
// the KubeConfig: nothing here prints one, and API errors are reduced to their status and message.
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { redact } from '../redact.js';

export type K8s = typeof import('@kubernetes/client-node');

export interface KubeClient {
  k8s: K8s;
  kc: import('@kubernetes/client-node').KubeConfig;
  core: import('@kubernetes/client-node').CoreV1Api;
  batch: import('@kubernetes/client-node').BatchV1Api;
  /** The namespace to use when the operator names none: the pod's own, else the kubeconfig context's, else default. */
  namespace: string;
  /** Where the configuration came from, for messages: `in-cluster` or `KUBECONFIG (/path)`. */
  source: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** In a pod with its service account: KUBERNETES_SERVICE_HOST set and the token mounted. */
export function inCluster(env: NodeJS.ProcessEnv): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(`${SA_DIR}/token`);
}

/**
 * Why no client can be made from this environment, checked without loading the client (at start, before anything
 * changes): neither in-cluster (KUBERNETES_SERVICE_HOST and the token) nor an existing kubeconfig file. Undefined: one is there.
 */
export function kubeConfigMissing(env: NodeJS.ProcessEnv, varName = 'KUBECONFIG'): string | undefined {
  const file = env[varName];
  if (file) return existsSync(file) ? undefined : `${varName}=${file} does not exist`;
  if (inCluster(env)) return undefined;
  return `no Kubernetes configuration: not in a pod with a service account (KUBERNETES_SERVICE_HOST, ${SA_DIR}/token) and ${varName} is not set`;
}

export interface KubeClientOptions {
  /** The variable naming the kubeconfig file (the operator's `kubernetes.kubeconfigEnv`); default KUBECONFIG. */
  kubeconfigEnv?: string;
}

/**
 * A client from the environment: in a pod (KUBERNETES_SERVICE_HOST and the service account token mounted), its
 * service account; otherwise the file the kubeconfig variable names. An explicitly set kubeconfig variable other
 * than KUBECONFIG wins over in-cluster, since the operator chose it.
 */
export async function kubeClient(env: NodeJS.ProcessEnv, o: KubeClientOptions = {}): Promise<KubeClient> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const varName = o.kubeconfigEnv ?? 'KUBECONFIG';
  const file = env[varName];
  const saDir = SA_DIR;
  let source: string;
  let namespace: string | undefined;
  if (inCluster(env) && !(o.kubeconfigEnv && file)) {
    kc.loadFromCluster();
    source = 'in-cluster (service account)';
    try {
      namespace = readFileSync(`${saDir}/namespace`, 'utf8').trim() || undefined;
    } catch {
      namespace = undefined;
    }
  } else if (file) {
    try {
      kc.loadFromFile(file);
    } catch (e) {
      throw new InputError(
        'kube/config',
        `cannot read the kubeconfig ${varName}=${file}: ${redact((e as Error).message)}`,
        {
          expected: 'a kubeconfig file (kubectl config view --minify --raw)',
        },
      );
    }
    source = `${varName} (${file})`;
    namespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  } else {
    throw new InputError(
      'kube/config',
      `no Kubernetes configuration: not in a pod with a service account (KUBERNETES_SERVICE_HOST, ${saDir}/token) and ${varName} is not set`,
      {
        expected: `run ringlock in the cluster with a service account, or set ${varName} to a kubeconfig file`,
      },
    );
  }
  if (!kc.getCurrentCluster())
    throw new InputError('kube/config', `the Kubernetes configuration from ${source} names no cluster`, {
      expected: 'a kubeconfig whose current context names a cluster',
    });
  return {
    k8s,
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    namespace: env.POD_NAMESPACE || namespace || 'default',
    source,
  };
}

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
};

/** An API error as `HTTP 403 (Forbidden): <message>`, never with headers or the request (which carries the token). */
export function apiErrorText(e: unknown): string {
  const err = e as { code?: unknown; body?: unknown; message?: string };
  if (typeof err?.code === 'number') {
    let status: { message?: string; reason?: string } = {};
    try {
      status = typeof err.body === 'string' ? JSON.parse(err.body) : ((err.body as typeof status) ?? {});
    } catch {
      status = { message: String(err.body).slice(0, 300) };
    }
    // client-node drops the body of some answers (a 401): the code's name then.
    const reason = status.reason ?? REASONS[err.code];
    return redact(
      `HTTP ${err.code}${reason ? ` (${reason})` : ''}${status.message ? `: ${status.message}` : ''}`,
    );
  }
  return redact(err?.message ?? String(e));
}

/** The HTTP status of an API error, if it is one. */
export function apiStatus(e: unknown): number | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === 'number' ? c : undefined;
}
