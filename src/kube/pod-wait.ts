// The exec runner's wait for its container: in the sidecar layout ringlock starts first, and the platform's container
// may still be starting when the first hooks run, so an exec waits (within the hook's timeout) until the pod's status
// says the container runs — the API server refuses an exec into one that does not.
import { redact } from '../redact.js';
import { apiErrorText, apiStatus, type KubeClient } from './client.js';
import { type RunBounds, RunStopped } from './deadline.js';

export interface ExecPlace {
  /** The runner's name, for messages. */
  runner: string;
  namespace: string;
  pod: string;
  container: string;
}

/** Resolves once `container` runs in the pod; an error naming pod and container if it has not by the deadline. */
export async function waitRunning(
  client: KubeClient,
  { runner, namespace, pod, container }: ExecPlace,
  bounds: RunBounds,
  o: { timeoutMs: number; pollMs: number },
): Promise<void> {
  const where = `container ${container} of pod ${namespace}/${pod}`;
  // What the last status said, once the pod has been seen: the deadline then names the container that never ran,
  // whether it falls in a wait or in a read.
  let why: string | undefined;
  const notStarted = (e: unknown) =>
    e instanceof RunStopped && e.reason === 'timeout' && why !== undefined
      ? new Error(
          `hook runner ${runner}: ${where} did not start within the hook's timeout (${o.timeoutMs} ms); ${why}`,
        )
      : e;
  for (;;) {
    let p: Awaited<ReturnType<typeof client.core.readNamespacedPod>>;
    try {
      p = await bounds.call(`reading pod ${namespace}/${pod}`, (opts) =>
        client.core.readNamespacedPod({ name: pod, namespace }, opts),
      );
    } catch (e) {
      if (e instanceof RunStopped) throw notStarted(e);
      const code = apiStatus(e);
      throw new Error(
        `hook runner ${runner}: cannot read pod ${namespace}/${pod}: ${apiErrorText(e)}${code === 401 || code === 403 ? `; ringlock's service account needs a Role in ${namespace} granting "get" on "pods"` : ''}`,
        { cause: e },
      );
    }
    if (!p.spec?.containers?.some((c) => c.name === container))
      throw new Error(
        `hook runner ${runner}: pod ${namespace}/${pod} has no container ${container} (it has: ${(p.spec?.containers ?? []).map((c) => c.name).join(', ')})`,
      );
    const state = p.status?.containerStatuses?.find((c) => c.name === container)?.state;
    if (state?.running) return;
    const phase = p.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || p.metadata?.deletionTimestamp)
      throw new Error(`hook runner ${runner}: pod ${namespace}/${pod} has ended (${phase ?? 'deleting'})`);
    why = state?.waiting?.reason
      ? `waiting: ${state.waiting.reason}${state.waiting.message ? ` (${redact(state.waiting.message)})` : ''}`
      : state?.terminated
        ? `terminated: ${state.terminated.reason ?? `exit ${state.terminated.exitCode}`}`
        : 'no status yet';
    try {
      await bounds.sleep(o.pollMs, `waiting for ${where} to run`);
    } catch (e) {
      throw notStarted(e);
    }
  }
}
