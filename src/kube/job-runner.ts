// The `job` hook runner: a Kubernetes Job from the operator's template (job-manifest.ts), waited on until the hook's
// timeout, its pod's log kept as the output tail and its container's exit code as the hook's. On the timeout (which
// bounds every API call too) or an abort the Job is deleted (propagationPolicy Background: its pod goes with it); a
// finished Job is left to its TTL.
import {
  type HookInvocation,
  type HookRunner,
  type HookRunResult,
  substitute,
} from '../apply/hook-runner.js';
import { redact } from '../redact.js';
import { apiErrorText, apiStatus, type KubeClient, kubeClient } from './client.js';
import { RunBounds, RunStopped } from './deadline.js';
import { CONTEXT_ENV_MAX, hookEnv, remoteContext, rewriteSourcePath } from './hook-env.js';
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
/** How long the clean-up after a timeout or an abort (reading the log, deleting the Job) may take. */
const CLEANUP_MS = 10_000;

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
    // The deadline counts from here: the API calls are part of the hook's time.
    const bounds = new RunBounds(inv.timeoutMs, inv.signal);
    this.client ??= kubeClient(this.env);
    const client = await this.client;
    const namespace = this.spec.namespace ?? client.namespace;
    const values = rewriteSourcePath(inv.values, this.spec.targetMount);
    const name = jobName(values.operationId || 'op', values.hookPoint || 'hook');
    const context = remoteContext(inv.stdin, this.spec.targetMount);
    const bytes = Buffer.byteLength(context);
    // A Job has no stdin: above CONTEXT_ENV_MAX (an env string that large fails the container's exec) the hook runs
    // without its context, and both it (RINGLOCK_CONTEXT_OMITTED) and the record are told.
    const omitted =
      bytes > CONTEXT_ENV_MAX
        ? `\n[ringlock] the hook context (${bytes} bytes) is larger than ${CONTEXT_ENV_MAX} bytes: not passed in RINGLOCK_CONTEXT (RINGLOCK_CONTEXT_OMITTED=${bytes} is set instead)`
        : '';
    const body = jobManifest(this.spec, {
      name,
      namespace,
      argv: substitute(this.spec.argv, values),
      env: {
        ...hookEnv(inv.env, values),
        ...(omitted ? { RINGLOCK_CONTEXT_OMITTED: String(bytes) } : { RINGLOCK_CONTEXT: context }),
      },
      operationId: values.operationId,
      hook: values.hookPoint,
      timeoutMs: inv.timeoutMs,
    });
    try {
      await bounds.call(`creating the Job ${namespace}/${name}`, (o) =>
        client.batch.createNamespacedJob({ namespace, body: body as never }, o),
      );
    } catch (e) {
      // Cut while the create was under way: it may have reached the API server, so the Job goes all the same.
      if (e instanceof RunStopped) return this.stopped(client, namespace, name, inv, bounds, e);
      const code = apiStatus(e);
      throw new Error(
        `hook runner ${this.name}: cannot create the Job ${name} in ${namespace}: ${apiErrorText(e)}${code === 401 || code === 403 ? `; ${RBAC(namespace)}` : ''}`,
        { cause: e },
      );
    }
    try {
      const r = await this.wait(client, namespace, name, inv, bounds);
      // At the end, so the tail kept always carries it.
      return omitted ? { ...r, output: (r.output + omitted).slice(-inv.keepOutput) } : r;
    } catch (e) {
      if (e instanceof RunStopped) return this.stopped(client, namespace, name, inv, bounds, e);
      // A Job ringlock cannot follow any more must not run on unseen: it goes (its TTL would, later).
      await this.remove(client, namespace, name).catch(() => {});
      throw e;
    }
  }

  private async wait(
    client: KubeClient,
    namespace: string,
    name: string,
    inv: HookInvocation,
    b: RunBounds,
  ): Promise<HookRunResult> {
    const pollMs = this.o.pollMs ?? 1000;
    for (;;) {
      const job = await this.read(client, namespace, name, b);
      const cond = job?.status?.conditions?.find(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
      if (job === undefined || cond) {
        const pod = await this.finishedPod(client, namespace, name, b, pollMs);
        const output = await this.logs(client, namespace, pod, inv.keepOutput, b);
        const term = container(pod)?.state?.terminated;
        const durationMs = Date.now() - b.started;
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
      await b.sleep(pollMs, `waiting for the Job ${namespace}/${name}`);
    }
  }

  private async read(client: KubeClient, namespace: string, name: string, b: RunBounds) {
    try {
      return await b.call(`reading the Job ${namespace}/${name}`, (o) =>
        client.batch.readNamespacedJob({ name, namespace }, o),
      );
    } catch (e) {
      if (e instanceof RunStopped) throw e;
      if (apiStatus(e) === 404) return undefined;
      throw new Error(
        `hook runner ${this.name}: cannot read the Job ${namespace}/${name}: ${apiErrorText(e)}`,
        { cause: e },
      );
    }
  }

  private async pods(client: KubeClient, namespace: string, name: string, b: RunBounds): Promise<Pod[]> {
    try {
      const list = await b.call(`listing the pods of the Job ${namespace}/${name}`, (o) =>
        client.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` }, o),
      );
      return list.items as Pod[];
    } catch (e) {
      if (e instanceof RunStopped) throw e;
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
    b: RunBounds,
    pollMs: number,
  ) {
    for (let i = 0; ; i++) {
      const pods = await this.pods(client, namespace, name, b);
      const done = pods.find((p) => container(p)?.state?.terminated);
      if (done || i >= 5) return done ?? pods[0];
      await b.sleep(pollMs, `waiting for the pod of the Job ${namespace}/${name}`);
    }
  }

  private async logs(
    client: KubeClient,
    namespace: string,
    pod: Pod | undefined,
    keep: number,
    b: RunBounds,
  ): Promise<string> {
    const podName = pod?.metadata?.name;
    if (!podName) return '';
    try {
      const text = await b.call(`reading the log of pod ${namespace}/${podName}`, (o) =>
        client.core.readNamespacedPodLog(
          {
            name: podName,
            namespace,
            container: HOOK_CONTAINER,
            // Only the tail is kept: a hook printing megabytes is not read whole into memory.
            tailLines: LOG_TAIL_LINES,
          },
          o,
        ),
      );
      return String(text ?? '').slice(-keep);
    } catch (e) {
      if (e instanceof RunStopped) throw e;
      return `[ringlock] cannot read the log of pod ${namespace}/${podName}: ${apiErrorText(e)}`;
    }
  }

  /** Deletes the Job and its pod (propagationPolicy Background), within the cleanup grace. */
  private remove(client: KubeClient, namespace: string, name: string): Promise<unknown> {
    return new RunBounds(CLEANUP_MS, undefined).call(`deleting the Job ${namespace}/${name}`, (o) =>
      client.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }, o),
    );
  }

  /**
   * Past the hook's timeout or aborted: on a timeout what the pod said (and why it waits, if it never started); then
   * the Job deleted, so the hook does not run on.
   */
  private async stopped(
    client: KubeClient,
    namespace: string,
    name: string,
    inv: HookInvocation,
    bounds: RunBounds,
    why: RunStopped,
  ): Promise<HookRunResult> {
    let output = '';
    if (why.reason === 'timeout') {
      const grace = new RunBounds(CLEANUP_MS, undefined);
      try {
        const pod = (await this.pods(client, namespace, name, grace))[0];
        output = await this.logs(client, namespace, pod, inv.keepOutput, grace);
        const waiting = container(pod)?.state?.waiting;
        if (waiting?.reason)
          output += `\n[ringlock] the hook's container was waiting: ${waiting.reason}${waiting.message ? ` (${redact(waiting.message)})` : ''}`;
      } catch (e) {
        output += `\n[ringlock] ${(e as Error).message}`;
      }
    } else output = `[ringlock] ${why.message}: the Job ${namespace}/${name} is deleted`;
    try {
      await this.remove(client, namespace, name);
    } catch (e) {
      if (apiStatus(e) !== 404)
        output += `\n[ringlock] could not delete the Job ${namespace}/${name} (its TTL will): ${e instanceof RunStopped ? 'the API server did not answer in time' : apiErrorText(e)}`;
    }
    const aborted = why.reason === 'aborted';
    return {
      code: null,
      signal: aborted ? 'SIGTERM' : 'SIGKILL',
      timedOut: !aborted,
      aborted,
      output: output.slice(-inv.keepOutput),
      durationMs: Date.now() - bounds.started,
    };
  }
}

function container(pod: Pod | undefined): ContainerStatus | undefined {
  return pod?.status?.containerStatuses?.find((c) => c.name === HOOK_CONTAINER);
}
