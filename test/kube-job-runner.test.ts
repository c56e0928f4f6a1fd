// The job hook runner against the stand-in API server (a real cluster with RINGLOCK_TEST_REAL_CLUSTER=1): the hook
// runs as a Job from the operator's template, its pod's log comes back as the output and its container's exit code as
// the hook's; past the timeout the Job is deleted; a finished Job is left to its TTL.
import { afterEach, describe, expect, it } from 'vitest';
import { kubeClient } from '../src/kube/client.js';
import { jobName } from '../src/kube/job-manifest.js';
import { JobRunner } from '../src/kube/job-runner.js';
import { invocation, type KubeHarness, kubeHarness, REAL_CLUSTER } from './support/kube-harness.js';
import { alive } from './support/kube-kubelet.js';

let h: KubeHarness | undefined;
afterEach(async () => {
  if (h?.standIn) expect(h.standIn.problems).toEqual([]);
  await h?.close();
  h = undefined;
});

const runner = (x: KubeHarness, spec: Record<string, unknown> = {}) =>
  new JobRunner('job', { type: 'job', image: x.image, argv: ['sh', '-c', '{hook}'], ...spec }, x.env, {
    pollMs: 50,
  });

/** The Job the run with this operation id created, read back through the API (it stays until its TTL). */
async function createdJob(x: KubeHarness, operationId = 'op-20261204-abc123') {
  const { batch } = await kubeClient(x.env);
  const list = await batch.listNamespacedJob({
    namespace: x.namespace,
    labelSelector: `ringlock.dev/operation-id=${operationId}`,
  });
  const items = list.items.sort((p, q) =>
    String(p.metadata?.creationTimestamp).localeCompare(String(q.metadata?.creationTimestamp)),
  );
  // biome-ignore lint/suspicious/noExplicitAny: read as plain JSON like the stand-in's
  return items.at(-1) as unknown as Record<string, any> | undefined;
}

describe('the job hook runner', () => {
  it('runs the hook as a Job: context in RINGLOCK_CONTEXT, the pod log as output, exit 0, left to its TTL', async () => {
    h = await kubeHarness();
    const r = await runner(h, {
      env: { APP_ENV: 'production' },
      volumes: [{ name: 'modules', emptyDir: {} }],
      volumeMounts: [{ name: 'modules', mountPath: '/app/modules' }],
      targetMount: '/app/modules',
      // (A real cluster would need the service account to exist.)
      ...(h.standIn ? { serviceAccountName: 'platform-hooks' } : {}),
    }).run(
      invocation(
        'echo "ctx=$RINGLOCK_CONTEXT"; echo "module=$RINGLOCK_MODULE env=$APP_ENV src=$RINGLOCK_SOURCE_PATH file=$RINGLOCK_CONTEXT_FILE."; echo warn >&2',
      ),
    );
    expect(r.code).toBe(0);
    expect(r.timedOut).toBe(false);
    expect(r.output).toContain('ctx={"module":"orders"');
    // The context names the path as the Job's container sees it, not ringlock's.
    expect(r.output).toContain('"sourcePath":"/app/modules/.ringlock/store/orders/1.2.0-abc"');
    expect(r.output).not.toContain('/var/lib/ringlock');
    expect(r.output).toContain(
      'module=orders env=production src=/app/modules/.ringlock/store/orders/1.2.0-abc file=.',
    );
    expect(r.output).toContain('warn');
    const job = (await createdJob(h))!;
    expect(job.metadata.name).toMatch(/^ringlock-op-20261204-abc123-oninstall-[0-9a-f]{5}$/);
    expect(job.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'ringlock',
      'ringlock.dev/operation-id': 'op-20261204-abc123',
    });
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.ttlSecondsAfterFinished).toBe(600);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    if (h.standIn) expect(pod.serviceAccountName).toBe('platform-hooks');
    expect(pod.volumes).toEqual([{ name: 'modules', emptyDir: {} }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'modules', mountPath: '/app/modules' }]);
  });

  it('propagates the container exit code of a failed hook, with its log', async () => {
    h = await kubeHarness();
    const r = await runner(h, { ttlSecondsAfterFinished: 30 }).run(
      invocation('echo "first line"; seq 1 5000; echo "migration failed"; exit 3'),
    );
    expect(r.code).toBe(3);
    expect(r.timedOut).toBe(false);
    expect(r.output).toContain('migration failed');
    // The tail: the log is read from its end (tailLines), kept to keepOutput characters.
    expect(r.output).not.toContain('first line');
    expect(r.output.length).toBeLessThanOrEqual(4000);
    expect((await createdJob(h))?.spec.ttlSecondsAfterFinished).toBe(30);
  });

  it('past the timeout deletes the Job (propagationPolicy Background): its pod is killed, timedOut', async () => {
    h = await kubeHarness();
    const operationId = `op-timeout-${Date.now()}`;
    const r = await runner(h).run(
      invocation('echo "pid=$$"; sleep 600', { timeoutMs: 3000, values: { operationId } }),
    );
    expect(r.timedOut).toBe(true);
    expect(r.code).toBe(null);
    // Gone from the API (or on its way out: a deletion timestamp).
    const left = await createdJob(h, operationId);
    expect(left === undefined || left.metadata.deletionTimestamp !== undefined).toBe(true);
    if (h.standIn) {
      expect(h.standIn.deletions).toEqual([
        {
          kind: 'Job',
          name: expect.stringMatching(/^ringlock-op-timeout-/),
          propagationPolicy: 'Background',
        },
      ]);
      const proc = h.standIn.kubelet.processes[0]!;
      await proc.done;
      expect(alive(proc.pid)).toBe(false);
      expect(r.output).toContain(`pid=${proc.pid}`);
    }
  });

  it('a context above 64 KiB is not passed in RINGLOCK_CONTEXT (E2BIG): the hook runs, and it and the record are told', async () => {
    h = await kubeHarness();
    const stdin = JSON.stringify({ module: 'orders', big: 'x'.repeat(200 * 1024) });
    const r = await runner(h).run(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a JS template
      invocation('echo "env=${RINGLOCK_CONTEXT:-unset} omitted=$RINGLOCK_CONTEXT_OMITTED"', { stdin }),
    );
    const bytes = Buffer.byteLength(stdin);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`env=unset omitted=${bytes}`);
    expect(r.output).toMatch(
      new RegExp(
        `the hook context \\(${bytes} bytes\\) is larger than 65536 bytes: not passed in RINGLOCK_CONTEXT`,
      ),
    );
  });

  it.skipIf(REAL_CLUSTER)(
    'an abort (SIGTERM, the writer lease lost) deletes the Job (Background): its pod is killed, aborted',
    async () => {
      h = await kubeHarness();
      const s = h.standIn!;
      const stop = new AbortController();
      const run = runner(h).run(invocation('echo started; sleep 600', { signal: stop.signal }));
      while (!s.kubelet.processes[0]?.output.includes('started')) await new Promise((r) => setTimeout(r, 20));
      stop.abort();
      const r = await run;
      expect(r).toMatchObject({ code: null, timedOut: false, aborted: true });
      expect(r.output).toMatch(/ringlock is stopping .*the Job ringlock-test\/ringlock-\S+ is deleted/);
      expect(s.deletions).toEqual([
        { kind: 'Job', name: expect.stringMatching(/^ringlock-/), propagationPolicy: 'Background' },
      ]);
      expect(s.jobs.size).toBe(0);
      const proc = s.kubelet.processes[0]!;
      await proc.done;
      expect(alive(proc.pid)).toBe(false);
    },
  );

  it.skipIf(REAL_CLUSTER)(
    'an API server that never answers a read of the Job: a timeout at the hook timeout, and the Job deleted',
    async () => {
      h = await kubeHarness();
      const s = h.standIn!;
      s.hang('jobs', 'get');
      const r = await runner(h).run(invocation('sleep 600', { timeoutMs: 3000 }));
      expect(r).toMatchObject({ code: null, timedOut: true, aborted: false });
      expect(s.hung.length).toBeGreaterThan(0);
      expect(s.deletions).toEqual([
        { kind: 'Job', name: expect.stringMatching(/^ringlock-/), propagationPolicy: 'Background' },
      ]);
      await s.kubelet.processes[0]!.done;
      expect(alive(s.kubelet.processes[0]!.pid)).toBe(false);
    },
  );

  it.skipIf(REAL_CLUSTER)(
    'an API server that never answers the create: a timeout at the hook timeout',
    async () => {
      h = await kubeHarness();
      const s = h.standIn!;
      s.hang('jobs', 'create');
      const r = await runner(h).run(invocation('true', { timeoutMs: 1500 }));
      expect(r).toMatchObject({ code: null, timedOut: true, aborted: false });
      expect(s.hung).toEqual([
        expect.stringMatching(/^POST \/apis\/batch\/v1\/namespaces\/ringlock-test\/jobs$/),
      ]);
      expect(s.kubelet.processes).toEqual([]);
    },
  );

  it.skipIf(REAL_CLUSTER)(
    'a Job it cannot follow (no "get" on jobs) is deleted, and the error says why',
    async () => {
      h = await kubeHarness();
      h.standIn!.deny('jobs', 'get');
      await expect(runner(h).run(invocation('sleep 600'))).rejects.toThrow(
        /cannot read the Job ringlock-test\/ringlock-\S+: HTTP 403/,
      );
      expect(h.standIn!.deletions).toEqual([
        { kind: 'Job', name: expect.stringMatching(/^ringlock-/), propagationPolicy: 'Background' },
      ]);
      expect(h.standIn!.jobs.size).toBe(0);
    },
  );

  it.skipIf(REAL_CLUSTER)(
    'without the right to create Jobs (403): an error naming the namespace and the RBAC needed',
    async () => {
      h = await kubeHarness();
      h.standIn!.deny('jobs', 'create');
      await expect(runner(h).run(invocation('true'))).rejects.toThrow(
        new RegExp(
          `cannot create the Job ringlock-\\S+ in ${h.namespace}: HTTP 403 \\(Forbidden\\).*"create", "get" and "delete" on "jobs"`,
        ),
      );
    },
  );

  it('names Jobs as DNS-1123 labels of at most 63 characters, whatever the operation id and hook', () => {
    const n = jobName('Op_2026/12/04T10:00:00Z-'.repeat(4), 'onInstall', 'a1b2c');
    expect(n.length).toBeLessThanOrEqual(63);
    expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(n).toMatch(/-oninstall-a1b2c$/);
  });
});
