// The `exec` hook runner: runs the operator's argv in the platform's container through the pods/exec WebSocket
// (v5/v4.channel.k8s.io), the hook context JSON on stdin, stdout and stderr kept as the output tail, the exit code
// from the status channel. Closing an exec stream does not stop the remote process, so the command is wrapped: every
// process of the hook carries a marker in its environment, and on the timeout or an abort (SIGTERM/SIGINT, the writer
// lease lost) a second exec kills whatever carries it. The timeout bounds the API calls before the stream too.

import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import {
  type HookInvocation,
  type HookRunner,
  type HookRunResult,
  substitute,
} from '../apply/hook-runner.js';
import type { ExecRunnerSpec } from '../model/operator-config.js';
import { redact } from '../redact.js';
import { apiErrorText, type KubeClient, kubeClient } from './client.js';
import { RunBounds, RunStopped, type StopReason } from './deadline.js';
import { CONTEXT_ENV_MAX, hookEnv, remoteContext, rewriteSourcePath } from './hook-env.js';
import { waitRunning } from './pod-wait.js';

export type { ExecRunnerSpec };

/** How long after the remote kill the stream may take to report the exit before it is closed anyway. */
const KILL_GRACE_MS = 10_000;

/** A value as one single-quoted shell word. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Kills every process whose environment carries the marker ($1), three rounds for ones forked meanwhile. */
const KILL_SCRIPT =
  'cd /proc || exit 1; for round in 1 2 3; do for p in [0-9]*; do grep -qF "RINGLOCK_EXEC_ID=$1" "$p/environ" 2>/dev/null && kill -9 "$p" 2>/dev/null; done; done; exit 0';

interface ExecOutcome {
  status?: {
    status?: string;
    reason?: string;
    message?: string;
    details?: { causes?: { reason?: string; message?: string }[] };
  };
  closed: boolean;
}

type ExecSocket = import('ws').WebSocket;

/** A run stopped by its timeout or an abort: no exit code. */
function stoppedResult(reason: StopReason, output: string, durationMs: number): HookRunResult {
  const aborted = reason === 'aborted';
  return {
    code: null,
    signal: aborted ? 'SIGTERM' : 'SIGKILL',
    timedOut: !aborted,
    aborted,
    output,
    durationMs,
  };
}

export class ExecRunner implements HookRunner {
  private client?: Promise<KubeClient>;

  constructor(
    readonly name: string,
    private readonly spec: ExecRunnerSpec,
    private readonly env: NodeJS.ProcessEnv,
    private readonly o: { pollMs?: number } = {},
  ) {}

  private where(): string {
    const p = this.spec.pod;
    const pod =
      p?.name ??
      (p?.labelSelector
        ? `the first Running pod with ${p.labelSelector}`
        : `${this.env.POD_NAME ?? '$POD_NAME'} (own pod)`);
    return `pod ${pod}${this.spec.namespace ? ` in ${this.spec.namespace}` : ''}, container ${this.spec.container}`;
  }

  describe(values: Record<string, string> = {}): string {
    return `exec in ${this.where()}: ${substitute(this.spec.argv, rewriteSourcePath(values, this.spec.targetMount)).join(' ')}`;
  }

  async run(inv: HookInvocation): Promise<HookRunResult> {
    // The deadline counts from here: finding the pod and connecting are part of the hook's time.
    const bounds = new RunBounds(inv.timeoutMs, inv.signal);
    this.client ??= kubeClient(this.env);
    const client = await this.client;
    const namespace = this.spec.namespace ?? client.namespace;
    const values = rewriteSourcePath(inv.values, this.spec.targetMount);
    const argv = substitute(this.spec.argv, values);
    const marker = randomBytes(12).toString('hex');
    const env = { ...hookEnv(inv.env, values), RINGLOCK_EXEC_ID: marker };
    const exports = Object.entries(env)
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    const context = remoteContext(inv.stdin, this.spec.targetMount);
    const bytes = Buffer.byteLength(context);
    // The context arrives on stdin (not in the command: that is the request's URL, and in the API server's audit log),
    // is kept as RINGLOCK_CONTEXT as a Job gets it, and piped on. head -c: it ends after its bytes even where the
    // protocol (v4) cannot close stdin without closing the stream.
    // Above CONTEXT_ENV_MAX the variable would make the hook's exec fail (E2BIG): then stdin only.
    const script =
      bytes === 0
        ? `export ${exports} RINGLOCK_CONTEXT=; "$@" </dev/null`
        : bytes <= CONTEXT_ENV_MAX
          ? `export ${exports}; RINGLOCK_CONTEXT=$(head -c ${bytes}); export RINGLOCK_CONTEXT; printf '%s' "$RINGLOCK_CONTEXT" | "$@"`
          : `export ${exports} RINGLOCK_CONTEXT_OMITTED=${bytes}; unset RINGLOCK_CONTEXT; head -c ${bytes} | "$@"`;
    const command = ['sh', '-c', script, 'ringlock-hook', ...argv];

    let output = '';
    const keep = () =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          output = (output + chunk.toString('utf8')).slice(-inv.keepOutput);
          cb();
        },
      });
    const stdin = new PassThrough();
    const outcome: ExecOutcome = { closed: false };
    let settle!: () => void;
    const finished = new Promise<void>((r) => {
      settle = r;
    });
    let pod = '';
    let ws: ExecSocket;
    try {
      pod = await this.findPod(client, namespace, bounds);
      await waitRunning(
        client,
        { runner: this.name, namespace, pod, container: this.spec.container },
        bounds,
        {
          timeoutMs: inv.timeoutMs,
          pollMs: this.o.pollMs ?? 1000,
        },
      );
      ws = await this.open(client, namespace, pod, command, bounds, {
        stdout: keep(),
        stderr: keep(),
        stdin,
        onStatus: (s) => {
          outcome.status = s as ExecOutcome['status'];
          settle();
        },
      });
    } catch (e) {
      if (!(e instanceof RunStopped)) throw e;
      // Nothing of the hook runs yet (the exec was never answered): stopped before it started.
      return stoppedResult(e.reason, `[ringlock] ${e.message}`, Date.now() - bounds.started);
    }
    ws.on('close', () => {
      outcome.closed = true;
      settle();
    });
    stdin.write(context);
    // v5 closes stdin with a signal; v4 can only close the whole stream, so stdin stays open (head -c ends it).
    if (ws.protocol === 'v5.channel.k8s.io') stdin.end();

    // Past the timeout or on an abort: a second exec kills the hook's processes; the stream then reports the exit, and
    // if it never does it is cut after the grace.
    let stop: StopReason | undefined;
    let killing: Promise<string> | undefined;
    let grace: NodeJS.Timeout | undefined;
    const stopNow = (reason: StopReason) => {
      if (stop) return;
      stop = reason;
      killing = this.killRemote(client, namespace, pod, marker).then(
        () => '',
        (e: unknown) =>
          `\n[ringlock] could not kill the hook in ${namespace}/${pod}: ${redact((e as Error).message)}`,
      );
      grace = setTimeout(() => {
        ws.terminate();
        settle();
      }, KILL_GRACE_MS);
    };
    const timer = setTimeout(() => stopNow('timeout'), bounds.remaining());
    const onAbort = () => stopNow('aborted');
    if (inv.signal?.aborted) onAbort();
    else inv.signal?.addEventListener('abort', onAbort, { once: true });
    await finished;
    clearTimeout(timer);
    clearTimeout(grace);
    inv.signal?.removeEventListener('abort', onAbort);
    if (ws.readyState === ws.OPEN) ws.close();
    const killNote = killing ? await killing : '';
    const durationMs = Date.now() - bounds.started;
    if (stop) return stoppedResult(stop, output + killNote, durationMs);
    const s = outcome.status;
    if (!s) {
      // The stream broke (network, API server restart): the hook may still run there, and must not go on unseen.
      const note = await this.killRemote(client, namespace, pod, marker).then(
        () => 'its processes were killed',
        (e: unknown) => `killing what is left failed: ${redact((e as Error).message)}`,
      );
      return {
        code: null,
        signal: null,
        timedOut: false,
        aborted: false,
        output: `${output}\n[ringlock] the exec stream to ${namespace}/${pod} closed without the command's exit status; ${note}`,
        durationMs,
      };
    }
    if (s.status === 'Success')
      return { code: 0, signal: null, timedOut: false, aborted: false, output, durationMs };
    const exit = s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
    if (s.reason === 'NonZeroExitCode' && exit !== undefined && /^\d+$/.test(exit))
      return { code: Number(exit), signal: null, timedOut: false, aborted: false, output, durationMs };
    return {
      code: null,
      signal: null,
      timedOut: false,
      aborted: false,
      output: `${output}\n[ringlock] exec failed: ${redact(s.message ?? s.reason ?? 'unknown')}`,
      durationMs,
    };
  }

  /**
   * Opens an exec stream, bounded: a connection the API server never answers is cut (its socket closed) at the
   * deadline or on the abort. A refusal is an error naming the pod and the rights needed.
   */
  private async open(
    client: KubeClient,
    namespace: string,
    pod: string,
    command: string[],
    bounds: RunBounds,
    io: {
      stdout?: Writable;
      stderr?: Writable;
      stdin?: PassThrough;
      onStatus: (s: { status?: string; message?: string }) => void;
    },
  ): Promise<ExecSocket> {
    const [{ WebSocketHandler }, { default: WebSocket }] = await Promise.all([
      import('@kubernetes/client-node/dist/web-socket-handler.js'),
      import('ws'),
    ]);
    let socket: ExecSocket | undefined;
    const handler = new WebSocketHandler(client.kc, (uri, protocols, opts) => {
      socket = new WebSocket(uri, protocols, opts);
      return socket;
    });
    const exec = new client.k8s.Exec(client.kc, handler);
    try {
      return await bounds.call(`connecting to pod ${namespace}/${pod}`, () =>
        exec.exec(
          namespace,
          pod,
          this.spec.container,
          command,
          io.stdout ?? null,
          io.stderr ?? null,
          io.stdin ?? null,
          false,
          io.onStatus,
        ),
      );
    } catch (e) {
      socket?.terminate();
      if (e instanceof RunStopped) throw e;
      throw this.connectError(e, namespace, pod);
    }
  }

  /** The pod to exec in: the named one, the first Running one with the label selector, or ringlock's own. */
  private async findPod(client: KubeClient, namespace: string, bounds: RunBounds): Promise<string> {
    const p = this.spec.pod;
    if (p?.name) return p.name;
    if (p?.labelSelector) {
      let list: Awaited<ReturnType<typeof client.core.listNamespacedPod>>;
      try {
        list = await bounds.call(`listing the pods with ${p.labelSelector} in ${namespace}`, (o) =>
          client.core.listNamespacedPod({ namespace, labelSelector: p.labelSelector }, o),
        );
      } catch (e) {
        if (e instanceof RunStopped) throw e;
        throw new Error(
          `hook runner ${this.name}: cannot list the pods with ${p.labelSelector} in ${namespace}: ${apiErrorText(e)}; ringlock's service account needs a Role granting "list" on "pods" in ${namespace}`,
        );
      }
      const running = list.items
        .filter((i) => i.status?.phase === 'Running' && !i.metadata?.deletionTimestamp)
        .map((i) => i.metadata?.name ?? '')
        .filter((n) => n !== '')
        .sort();
      if (running.length === 0)
        throw new Error(`hook runner ${this.name}: no Running pod with ${p.labelSelector} in ${namespace}`);
      return running[0]!;
    }
    if (this.env.POD_NAME) return this.env.POD_NAME;
    throw new Error(
      `hook runner ${this.name}: no pod to exec in: set hooks.runners.${this.name}.pod (name or labelSelector), or POD_NAME (the downward API's metadata.name) for ringlock's own pod`,
    );
  }

  /** A second exec that kills every process of the hook (the marker in its environment), within the grace. */
  private async killRemote(
    client: KubeClient,
    namespace: string,
    pod: string,
    marker: string,
  ): Promise<void> {
    const grace = new RunBounds(KILL_GRACE_MS, undefined);
    let ws: ExecSocket | undefined;
    try {
      await grace.call(
        'killing the hook',
        () =>
          new Promise<void>((resolve, reject) => {
            const command = ['sh', '-c', KILL_SCRIPT, 'ringlock-kill', marker];
            this.open(client, namespace, pod, command, grace, {
              onStatus: (st) =>
                st.status === 'Success'
                  ? resolve()
                  : reject(new Error(st.message ?? 'the kill command failed')),
            }).then((w) => {
              ws = w;
              w.on('close', () => reject(new Error('the kill stream closed without a status')));
            }, reject);
          }),
      );
    } catch (e) {
      throw e instanceof RunStopped ? new Error('the kill did not finish in time') : e;
    } finally {
      ws?.close();
    }
  }

  private connectError(e: unknown, namespace: string, pod: string): Error {
    const msg = redact((e as { message?: string })?.message ?? String(e));
    const rbac = / 40[13]\b|Forbidden|Unauthorized/i.test(msg)
      ? `; ringlock's service account needs a Role in ${namespace} granting "create" on "pods/exec" (and "get" on "pods") for pod ${pod}`
      : '';
    return new Error(
      `hook runner ${this.name}: cannot exec in pod ${pod} (namespace ${namespace}, container ${this.spec.container}): ${msg}${rbac}`,
      {
        cause: e,
      },
    );
  }
}
