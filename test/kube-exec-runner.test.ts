// The exec hook runner against the stand-in API server (a real cluster with RINGLOCK_TEST_REAL_CLUSTER=1): the hook
// runs in the platform's container over the pods/exec WebSocket, gets the context on stdin, its output and exit code
// come back, and a timeout kills the remote process (closing the stream would not).
import { afterEach, describe, expect, it } from 'vitest';
import { ExecRunner, type ExecRunnerSpec } from '../src/kube/exec-runner.js';
import { invocation, type KubeHarness, kubeHarness, REAL_CLUSTER } from './support/kube-harness.js';
import { alive } from './support/kube-kubelet.js';

let h: KubeHarness | undefined;
afterEach(async () => {
  if (h?.standIn) expect(h.standIn.problems).toEqual([]);
  await h?.close();
  h = undefined;
});

const runner = (x: KubeHarness, spec: Partial<ExecRunnerSpec> = {}) =>
  new ExecRunner(
    'app',
    { type: 'exec', container: x.container, argv: ['sh', '-c', '{hook}'], ...spec },
    x.env,
    { pollMs: 50 },
  );

describe('the exec hook runner', () => {
  it('runs the hook in the platform container: context on stdin, RINGLOCK_* env, stdout and stderr in the output', async () => {
    h = await kubeHarness();
    const r = await runner(h).run(
      invocation(
        'cat; echo; echo "module=$RINGLOCK_MODULE hook=$RINGLOCK_HOOK ctx=$RINGLOCK_CONTEXT_FILE."; echo oops >&2',
      ),
    );
    expect(r.code).toBe(0);
    expect(r.timedOut).toBe(false);
    expect(r.output).toContain('"module":"orders"');
    expect(r.output).toContain('module=orders hook=onInstall ctx=.');
    expect(r.output).toContain('oops');
    if (h.standIn) {
      expect(h.standIn.execs.map((e) => [e.pod, e.container, e.protocol])).toEqual([
        [`${h.namespace}/platform-0`, 'app', 'v5.channel.k8s.io'],
      ]);
      // The context travels on stdin, not in the command (the request's URL, the API server's audit log).
      expect(h.standIn.execs[0]!.command.join(' ')).not.toContain('"module"');
    }
  });

  it('propagates the exit code from the status channel; the context is in RINGLOCK_CONTEXT too', async () => {
    h = await kubeHarness();
    const r = await runner(h).run(invocation('echo "ctx=$RINGLOCK_CONTEXT"; echo failing; exit 3'));
    expect(r.code).toBe(3);
    expect(r.timedOut).toBe(false);
    expect(r.output).toContain('failing');
    expect(r.output).toContain('ctx={"module":"orders"');
  });

  it('rewrites {sourcePath} under targetMount: the argv, RINGLOCK_SOURCE_PATH and the context (stdin, RINGLOCK_CONTEXT)', async () => {
    h = await kubeHarness();
    const r = await runner(h, {
      argv: [
        'sh',
        '-c',
        'echo "arg=$1 env=$RINGLOCK_SOURCE_PATH"; echo "ctx=$RINGLOCK_CONTEXT"; echo "stdin=$(cat)"',
        'x',
        '{sourcePath}',
      ],
      targetMount: '/app/modules/',
    }).run(invocation('unused'));
    expect(r.code).toBe(0);
    expect(r.output).toContain(
      'arg=/app/modules/.ringlock/store/orders/1.2.0-abc env=/app/modules/.ringlock/store/orders/1.2.0-abc',
    );
    // ringlock's own path does not exist in the platform's container: the context names the mounted one.
    const mounted = '"sourcePath":"/app/modules/.ringlock/store/orders/1.2.0-abc"';
    expect(/ctx=(.*)/.exec(r.output)?.[1]).toContain(mounted);
    expect(/stdin=(.*)/.exec(r.output)?.[1]).toContain(mounted);
    expect(r.output).not.toContain('/var/lib/ringlock');
  });

  it('on the timeout kills the remote process and its children (closing the stream alone would not)', async () => {
    h = await kubeHarness();
    const r = await runner(h).run(
      invocation('sleep 600 & echo "child=$!"; echo "pid=$$"; wait', { timeoutMs: 3000 }),
    );
    expect(r.timedOut).toBe(true);
    expect(r.code).toBe(null);
    const pid = Number(/pid=(\d+)/.exec(r.output)?.[1]);
    const child = Number(/child=(\d+)/.exec(r.output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(child).toBeGreaterThan(0);
    // Seen from the container: neither the hook's shell nor its background child is left.
    // (A zombie waiting for its parent to reap it is gone too: kill -0 would still find it.)
    const running = (p: number) => `grep -qE '^State:[[:space:]]+[^Z]' /proc/${p}/status 2>/dev/null`;
    const check = await runner(h).run(invocation(`${running(pid)} || ${running(child)}`));
    expect(check.code).not.toBe(0);
    if (h.standIn) {
      expect(alive(pid)).toBe(false);
      expect(alive(child)).toBe(false);
      expect(h.standIn.execs[0]!.process.exit).toBeDefined();
    }
  });

  it.skipIf(REAL_CLUSTER)(
    'a stream cut before the exit status: a failure, and the remote hook is killed',
    async () => {
      h = await kubeHarness();
      const s = h.standIn!;
      const run = runner(h).run(invocation('echo "pid=$$"; sleep 600'));
      // Once the hook runs, the network fails.
      while (!s.execs[0]?.process.output.includes('pid=')) await new Promise((r) => setTimeout(r, 20));
      const pid = s.execs[0]!.process.pid;
      s.dropExecStreams();
      const r = await run;
      expect(r.code).toBe(null);
      expect(r.timedOut).toBe(false);
      expect(r.output).toMatch(/closed without the command's exit status; its processes were killed/);
      await s.execs[0]!.process.done;
      expect(alive(pid)).toBe(false);
    },
  );

  it.skipIf(REAL_CLUSTER)(
    'an abort (SIGTERM, the writer lease lost) kills the remote hook and its children and resolves aborted',
    async () => {
      h = await kubeHarness();
      const s = h.standIn!;
      const stop = new AbortController();
      const run = runner(h).run(
        invocation('sleep 600 & echo "child=$!"; echo "pid=$$"; wait', { signal: stop.signal }),
      );
      while (!s.execs[0]?.process.output.includes('pid=')) await new Promise((r) => setTimeout(r, 20));
      stop.abort();
      const r = await run;
      expect(r).toMatchObject({ code: null, timedOut: false, aborted: true });
      const pid = Number(/pid=(\d+)/.exec(r.output)?.[1]);
      const child = Number(/child=(\d+)/.exec(r.output)?.[1]);
      expect(child).toBeGreaterThan(0);
      await s.execs[0]!.process.done;
      expect(alive(pid)).toBe(false);
      expect(alive(child)).toBe(false);
      // The kill was a second exec into the same container.
      expect(s.execs.map((e) => e.command[3])).toEqual(['ringlock-hook', 'ringlock-kill']);
    },
  );

  it.skipIf(REAL_CLUSTER)('aborted before the stream opens: nothing runs, aborted', async () => {
    h = await kubeHarness();
    const stop = new AbortController();
    stop.abort();
    const r = await runner(h).run(invocation('true', { signal: stop.signal }));
    expect(r).toMatchObject({ code: null, timedOut: false, aborted: true });
    expect(h.standIn!.execs).toEqual([]);
  });

  it.skipIf(REAL_CLUSTER).each([
    [
      'the exec upgrade',
      'pods/exec',
      undefined,
      /timeout passed while connecting to pod ringlock-test\/platform-0/,
    ],
    ['the pod list', 'pods', 'list', /timeout passed while listing the pods with app=platform/],
  ] as const)(
    'an API server that never answers %s: the hook times out at its timeout',
    async (_what, resource, verb, message) => {
      h = await kubeHarness();
      const s = h.standIn!;
      s.hang(resource, verb);
      const r = await runner(h, resource === 'pods' ? { pod: { labelSelector: 'app=platform' } } : {}).run(
        // Room for the calls before the one that hangs, on a loaded machine.
        invocation('true', { timeoutMs: 3000 }),
      );
      expect(r).toMatchObject({ code: null, timedOut: true, aborted: false });
      expect(r.output).toMatch(message);
      expect(s.hung).toHaveLength(1);
      expect(s.execs).toEqual([]);
    },
  );

  it.skipIf(REAL_CLUSTER)('an abort while the API server does not answer: resolves aborted', async () => {
    h = await kubeHarness();
    const s = h.standIn!;
    s.hang('pods/exec');
    const stop = new AbortController();
    const run = runner(h).run(invocation('true', { signal: stop.signal }));
    while (s.hung.length === 0) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    expect(await run).toMatchObject({ code: null, timedOut: false, aborted: true });
  });

  it.skipIf(REAL_CLUSTER)(
    'waits until the platform container runs (the sidecar starts first), then runs the hook in it',
    async () => {
      h = await kubeHarness();
      const s = h.standIn!;
      s.addPod({ name: 'shop-0', containers: ['ringlock', 'app'], notStarted: ['app'] });
      let reads = 0;
      s.before = (method, path) => {
        if (method === 'GET' && path.endsWith('/pods/shop-0')) reads++;
      };
      const run = runner(h, { pod: { name: 'shop-0' } }).run(invocation('echo "in app"'));
      // It has seen the container waiting (twice: it polls), then the container starts.
      while (reads < 2) await new Promise((r) => setTimeout(r, 20));
      expect(s.execs).toEqual([]);
      s.startContainer('shop-0', 'app');
      const r = await run;
      expect(r.code).toBe(0);
      expect(r.output).toContain('in app');
      expect(s.execs.map((e) => [e.pod, e.container])).toEqual([[`${h.namespace}/shop-0`, 'app']]);
    },
  );

  it.skipIf(REAL_CLUSTER)(
    'a container that never starts: an error naming the pod and the container, at the hook timeout',
    async () => {
      h = await kubeHarness();
      h.standIn!.addPod({ name: 'shop-0', containers: ['ringlock', 'app'], notStarted: ['app'] });
      await expect(
        runner(h, { pod: { name: 'shop-0' } }).run(invocation('true', { timeoutMs: 1000 })),
      ).rejects.toThrow(
        /hook runner app: container app of pod ringlock-test\/shop-0 did not start within the hook's timeout \(1000 ms\); waiting: PodInitializing/,
      );
      expect(h.standIn!.execs).toEqual([]);
    },
  );

  it('a context above 64 KiB: on stdin whole, not in RINGLOCK_CONTEXT (an env string that large fails the exec)', async () => {
    h = await kubeHarness();
    const stdin = JSON.stringify({ module: 'orders', big: 'x'.repeat(200 * 1024) });
    const r = await runner(h).run(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a JS template
      invocation('echo "env=${RINGLOCK_CONTEXT:-unset} omitted=$RINGLOCK_CONTEXT_OMITTED"; wc -c', { stdin }),
    );
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`env=unset omitted=${Buffer.byteLength(stdin)}`);
    expect(r.output.trim().split('\n').at(-1)?.trim()).toBe(String(Buffer.byteLength(stdin)));
  });

  it('speaks v4.channel.k8s.io too: the context still ends (head -c) though stdin cannot be closed', async () => {
    h = await kubeHarness({ protocols: ['v4.channel.k8s.io'] });
    const r = await runner(h).run(invocation('wc -c; exit 4'));
    expect(r.code).toBe(4);
    expect(r.output.trim()).toBe(String(Buffer.byteLength(invocation('x').stdin)));
    if (h.standIn) expect(h.standIn.execs[0]!.protocol).toBe('v4.channel.k8s.io');
  });

  it.skipIf(REAL_CLUSTER)('picks the first Running pod of a label selector', async () => {
    h = await kubeHarness();
    const s = h.standIn!;
    s.addPod({ name: 'web-a', labels: { app: 'web' }, phase: 'Pending' });
    s.addPod({ name: 'web-c', labels: { app: 'web' } });
    s.addPod({ name: 'web-b', labels: { app: 'web' } });
    const r = await runner(h, { pod: { labelSelector: 'app=web' } }).run(invocation('true'));
    expect(r.code).toBe(0);
    expect(s.execs.map((e) => e.pod)).toEqual([`${h.namespace}/web-b`]);
  });

  it.skipIf(REAL_CLUSTER)(
    'without pods/exec (403): an error naming the pod, the namespace and the RBAC needed',
    async () => {
      h = await kubeHarness();
      h.standIn!.deny('pods/exec');
      await expect(runner(h).run(invocation('true'))).rejects.toThrow(
        new RegExp(
          `cannot exec in pod platform-0 \\(namespace ${h.namespace}, container app\\).*403.*"create" on "pods/exec"`,
        ),
      );
    },
  );

  it('without a pod to exec in: says how to name one', async () => {
    h = await kubeHarness();
    const env = { ...h.env };
    delete env.POD_NAME;
    const r = new ExecRunner('app', { type: 'exec', container: 'app', argv: ['true'] }, env);
    await expect(r.run(invocation('true'))).rejects.toThrow(/hooks\.runners\.app\.pod .*POD_NAME/);
  });
});
