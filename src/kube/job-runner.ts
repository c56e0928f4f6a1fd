// The `job` hook runner: a Kubernetes Job from the operator's template (job-manifest.ts), waited on until the hook's
// timeout, its pod's log kept as the output tail and its container's exit code as the hook's. On the timeout the Job is
// deleted (propagationPolicy Background: its pod goes with it); a finished Job is left to its TTL.
import {
  type HookInvocation,
  type HookRunner,
  type HookRunResult,
  substitute,
} from '../apply/hook-runner.js';
import { redact } from '../redact.js';
import { apiErrorText, apiStatus, type KubeClient, kubeClient } from './client.js';
import { hookEnv, remoteContext, rewriteSourcePath } from './hook-env.js';
import { HOOK_CONTAINER, type JobRunnerSpec, jobManifest, jobName } from './job-manifest.js';

export interface JobRunnerOptions {
  /** How often the Job's status is read (default 1 s). */
  pollMs?: number;
}

type Pod = { metadata?: { name?: string }; status?: { containerStatuses?: ContainerStatus[] } };
type ContainerStatus = {
  name: string;
  state?: {
    terminated?: { exitCode: number; reason?: string };
    waiting?: { reason?: string; message?: string };
  };
};

const LOG_TAIL_LINES = 2000;

const RBAC = (ns: string) =>
  `ringlock's service account needs a Role in ${ns} granting "create", "get" and "delete" on "jobs" (API group batch), "list" on "pods" and "get" on "pods/log"`;

export class JobRunner implements HookRunner {
  private client?: Promise<KubeClient>;

  constructor(
    readonly name: string,
    private readonly spec: JobRunnerSpec,
    private readonly env: NodeJS.ProcessEnv,
    private readonly o: JobRunnerOptions = {},
  ) {}

  describe(values: Record<string, string> = {}): string {
    return `job ${this.spec.image}: ${substitute(this.spec.argv, rewriteSourcePath(values, this.spec.targetMount)).join(' ')}`;
  }

  async run(inv: HookInvocation): Promise<HookRunResult> {
    const started = Date.now();
    this.client ??= kubeClient(this.env);
    const client = await this.client;
    const namespace = this.spec.namespace ?? client.namespace;
    const values = rewriteSourcePath(inv.values, this.spec.targetMount);
    const name = jobName(values.operationId || 'op', values.hookPoint || 'hook');
    const body = jobManifest(this.spec, {
      name,
      namespace,
      argv: substitute(this.spec.argv, values),
      env: { ...hookEnv(inv.env, values), RINGLOCK_CONTEXT: remoteContext(inv.stdin, this.spec.targetMount) },
      operationId: values.operationId,
      hook: values.hookPoint,
      timeoutMs: inv.timeoutMs,
    });
    try {
      await client.batch.createNamespacedJob({ namespace, body: body as never });
    } catch (e) {
      const code = apiStatus(e);
      throw new Error(
        `hook runner ${this.name}: cannot create the Job ${name} in ${namespace}: ${apiErrorText(e)}${code === 401 || code === 403 ? `; ${RBAC(namespace)}` : ''}`,
        { cause: e },
      );
    }
    try {
      return await this.wait(client, namespace, name, inv, started);
    } catch (e) {
      // A Job ringlock cannot follow any more must not run on unseen: it goes (its TTL would, later).
      await client.batch
        .deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' })
        .catch(() => {});
      throw e;
    }
  }

  private async wait(
    client: KubeClient,
    namespace: string,
    name: string,
    inv: HookInvocation,
    started: number,
  ): Promise<HookRunResult> {
    const deadline = started + inv.timeoutMs;
    const pollMs = this.o.pollMs ?? 1000;
    for (;;) {
      const job = await this.read(client, namespace, name);
      const cond = job?.status?.conditions?.find(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
      if (job === undefined || cond) {
        const pod = await this.finishedPod(client, namespace, name, deadline, pollMs);
        const output = await this.logs(client, namespace, pod, inv.keepOutput);
        const term = container(pod)?.state?.terminated;
        const durationMs = Date.now() - started;
        if (term)
          return { code: term.exitCode, signal: null, timedOut: false, aborted: false, output, durationMs };
        const why =
          job === undefined ? 'the Job was deleted' : `${cond?.reason ?? cond?.type}: ${cond?.message ?? ''}`;
        return {
          code: null,
          signal: null,
          timedOut: false,
          aborted: false,
          output:
            `${output}\n[ringlock] Job ${namespace}/${name} ended without its container's exit code (${redact(why)})`.slice(
              -inv.keepOutput,
            ),
          durationMs,
        };
      }
      if (Date.now() >= deadline) return this.timedOut(client, namespace, name, inv, started);
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    }
  }

  private async read(client: KubeClient, namespace: string, name: string) {
    try {
      return await client.batch.readNamespacedJob({ name, namespace });
    } catch (e) {
      if (apiStatus(e) === 404) return undefined;
      throw new Error(
        `hook runner ${this.name}: cannot read the Job ${namespace}/${name}: ${apiErrorText(e)}`,
        { cause: e },
      );
    }
  }

  private async pods(client: KubeClient, namespace: string, name: string): Promise<Pod[]> {
    try {
      return (await client.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` }))
        .items as Pod[];
    } catch (e) {
      throw new Error(
        `hook runner ${this.name}: cannot list the pods of Job ${namespace}/${name}: ${apiErrorText(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  /** The Job's pod once its container has terminated (the Job's condition can be seen a moment before). */
  private async finishedPod(
    client: KubeClient,
    namespace: string,
    name: string,
    deadline: number,
    pollMs: number,
  ) {
    for (let i = 0; ; i++) {
      const pods = await this.pods(client, namespace, name);
      const done = pods.find((p) => container(p)?.state?.terminated);
      if (done || i >= 5 || Date.now() >= deadline) return done ?? pods[0];
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private async logs(
    client: KubeClient,
    namespace: string,
    pod: Pod | undefined,
    keep: number,
  ): Promise<string> {
    const podName = pod?.metadata?.name;
    if (!podName) return '';
    try {
      const text = await client.core.readNamespacedPodLog({
        name: podName,
        namespace,
        container: HOOK_CONTAINER,
        // Only the tail is kept: a hook printing megabytes is not read whole into memory.
        tailLines: LOG_TAIL_LINES,
      });
      return String(text ?? '').slice(-keep);
    } catch (e) {
      return `[ringlock] cannot read the log of pod ${namespace}/${podName}: ${apiErrorText(e)}`;
    }
  }

  /** Past the hook's timeout: what the pod said (and why it waits, if it never started), then the Job deleted. */
  private async timedOut(
    client: KubeClient,
    namespace: string,
    name: string,
    inv: HookInvocation,
    started: number,
  ): Promise<HookRunResult> {
    let output = '';
    try {
      const pod = (await this.pods(client, namespace, name))[0];
      output = await this.logs(client, namespace, pod, inv.keepOutput);
      const waiting = container(pod)?.state?.waiting;
      if (waiting?.reason)
        output += `\n[ringlock] the hook's container was waiting: ${waiting.reason}${waiting.message ? ` (${redact(waiting.message)})` : ''}`;
    } catch (e) {
      output += `\n[ringlock] ${(e as Error).message}`;
    }
    try {
      await client.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' });
    } catch (e) {
      if (apiStatus(e) !== 404)
        output += `\n[ringlock] could not delete the Job ${namespace}/${name} (its TTL will): ${apiErrorText(e)}`;
    }
    return {
      code: null,
      signal: 'SIGKILL',
      timedOut: true,
      aborted: false,
      output: output.slice(-inv.keepOutput),
      durationMs: Date.now() - started,
    };
  }
}

function container(pod: Pod | undefined): ContainerStatus | undefined {
  return pod?.status?.containerStatuses?.find((c) => c.name === HOOK_CONTAINER);
}
