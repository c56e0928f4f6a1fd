// The exec and job runner factories: they build runners from the operator config's typed runner objects, leave other
// forms to other factories, and refuse a bad field naming hooks.runners.<name>.<field>.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { ExecRunner } from '../src/kube/exec-runner.js';
import { JobRunner } from '../src/kube/job-runner.js';
import { kubeRunnerFactories } from '../src/kube/runners.js';
import { buildPlatform, scratch, show } from './fixtures-platform.js';
import { invocation } from './support/kube-harness.js';
import { kubeRunnerKinds } from './support/kube-runner-kinds.js';

const dir = mkdtempSync(join(tmpdir(), 'ringlock-kube-runners-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A kubeconfig file that exists (the factories check only that; nothing here talks to the API). */
const KUBECONFIG = join(dir, 'kubeconfig');
writeFileSync(KUBECONFIG, '{}');
const ENV = { KUBECONFIG, POD_NAME: 'platform-0', POD_NAMESPACE: 'shop' };

const build = (name: string, spec: unknown, env: NodeJS.ProcessEnv = ENV) =>
  kubeRunnerFactories({})
    .map((f) => f(name, spec, { env }))
    .find((r) => r !== undefined);

const refusal = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as Error;
  }
  throw new Error('not refused');
};

describe('the Kubernetes runner factories', () => {
  it('build an exec runner and a job runner; other forms are not theirs', () => {
    const exec = build('app', {
      type: 'exec',
      container: 'app',
      argv: ['php', 'artisan', 'module:hook', '{hook}'],
      pod: { labelSelector: 'app=shop' },
    });
    expect(exec).toBeInstanceOf(ExecRunner);
    expect(exec?.describe({ hook: 'X' })).toBe(
      'exec in pod the first Running pod with app=shop, container app: php artisan module:hook X',
    );
    const job = build('migrate', {
      type: 'job',
      image: 'shop/app:2',
      argv: ['php', 'artisan', '{hook}'],
      ttlSecondsAfterFinished: 60,
    });
    expect(job).toBeInstanceOf(JobRunner);
    expect(job?.describe({ hook: 'Y' })).toBe('job shop/app:2: php artisan Y');
    expect(build('php', ['php', '{hook}'])).toBeUndefined();
    expect(build('php', { argv: ['php', '{hook}'] })).toBeUndefined();
    expect(build('web', { type: 'http', url: 'https://x', secretEnv: 'S' })).toBeUndefined();
  });

  it.each([
    [{ type: 'exec', argv: ['true'] }, /hooks\.runners\.r\.container must be a container name/],
    [{ type: 'exec', container: 'app', argv: [] }, /hooks\.runners\.r\.argv must be a non-empty list/],
    [
      { type: 'exec', container: 'app', argv: ['php', '--context', '{contextFile}'] },
      /hooks\.runners\.r\.argv\[2\] uses \{contextFile\}/,
    ],
    [
      { type: 'exec', container: 'app', argv: ['{nope}'] },
      /hooks\.runners\.r\.argv\[0\] is an unknown placeholder \{nope\}/,
    ],
    [
      { type: 'exec', container: 'app', argv: ['x'], pod: { name: 'a', labelSelector: 'b=c' } },
      /hooks\.runners\.r\.pod names both/,
    ],
    [
      { type: 'exec', container: 'app', argv: ['x'], targetMount: 'app/modules' },
      /hooks\.runners\.r\.targetMount must be an absolute path/,
    ],
    [
      { type: 'exec', container: 'app', argv: ['x'], image: 'y' },
      /hooks\.runners\.r\.image is not a field of an exec runner/,
    ],
    [{ type: 'job', argv: ['x'] }, /hooks\.runners\.r\.image must name the image/],
    [
      { type: 'job', image: 'i', argv: ['x'], env: { RINGLOCK_CONTEXT: 'x' } },
      /hooks\.runners\.r\.env\.RINGLOCK_CONTEXT is reserved/,
    ],
    [
      { type: 'job', image: 'i', argv: ['x'], env: { PORT: 80 } },
      /hooks\.runners\.r\.env\.PORT must be a string/,
    ],
    [
      { type: 'job', image: 'i', argv: ['x'], volumeMounts: [{ name: 'm' }] },
      /hooks\.runners\.r\.volumeMounts\[0\]\.mountPath is missing/,
    ],
    [
      { type: 'job', image: 'i', argv: ['x'], ttlSecondsAfterFinished: -1 },
      /hooks\.runners\.r\.ttlSecondsAfterFinished must be an integer ≥ 0/,
    ],
    [
      { type: 'job', image: 'i', argv: ['x'], namespace: 'Shop_Prod' },
      /hooks\.runners\.r\.namespace must be a namespace name/,
    ],
  ])('refuses %j', (spec, message) => {
    let err: unknown;
    try {
      build('r', spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
  });

  it('refuse at build time an environment that cannot reach the cluster, naming the runner and what to set', () => {
    const exec = { type: 'exec', container: 'app', argv: ['true'] };
    const job = { type: 'job', image: 'i', argv: ['true'] };
    for (const spec of [exec, job]) {
      expect(refusal(() => build('r', spec, { POD_NAME: 'p', POD_NAMESPACE: 'n' })).message).toMatch(
        /^hooks\.runners\.r \((exec|job)\) cannot reach the Kubernetes API: no Kubernetes configuration: .*KUBECONFIG is not set/,
      );
      expect(refusal(() => build('r', spec, { ...ENV, KUBECONFIG: join(dir, 'nope') })).message).toMatch(
        /hooks\.runners\.r \((exec|job)\) cannot reach the Kubernetes API: KUBECONFIG=.*nope does not exist/,
      );
    }
    // exec into ringlock's own pod needs its name and namespace (the downward API).
    const { POD_NAME: _n, ...noName } = ENV;
    expect(refusal(() => build('r', exec, noName)).message).toMatch(
      /hooks\.runners\.r \(exec\) runs in ringlock’s own pod, and POD_NAME is not set/,
    );
    const { POD_NAMESPACE: _ns, ...noNamespace } = ENV;
    expect(refusal(() => build('r', exec, noNamespace)).message).toMatch(/POD_NAMESPACE is not set/);
    // A named pod, a label selector or a namespace of the runner's own need neither; a Job never does.
    expect(build('r', { ...exec, pod: { name: 'shop-0' } }, { KUBECONFIG })).toBeInstanceOf(ExecRunner);
    expect(build('r', { ...exec, pod: { labelSelector: 'app=shop' } }, { KUBECONFIG })).toBeInstanceOf(
      ExecRunner,
    );
    expect(build('r', { ...exec, namespace: 'shop' }, { KUBECONFIG, POD_NAME: 'p' })).toBeInstanceOf(
      ExecRunner,
    );
    expect(build('r', job, { KUBECONFIG })).toBeInstanceOf(JobRunner);
  });

  it('an apply with a Kubernetes runner and no cluster configuration exits 2 before anything changes', async (t) => {
    const root = scratch(t, 'kube-no-config');
    const p = await buildPlatform(root, {
      orders: { version: '1.0.0', lifecycle: { onInstall: { ref: 'true', runner: 'app' } } },
    });
    const op = join(root, 'operator.json');
    writeFileSync(
      op,
      JSON.stringify({
        apiVersion: 'ringlock/v1',
        kind: 'OperatorConfig',
        hooks: { runners: { app: { type: 'exec', container: 'app', argv: ['sh', '-c', '{hook}'] } } },
      }),
    );
    const before = p.history().length;
    const r = await p.apply(['--operator-config', op], {
      env: {
        KUBECONFIG: undefined,
        KUBERNETES_SERVICE_HOST: undefined,
        POD_NAME: 'platform-0',
        POD_NAMESPACE: 'shop',
      },
    });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/hooks\.runners\.app \(exec\) cannot reach the Kubernetes API/);
    expect(r.stderr).toContain('KUBECONFIG');
    expect(p.link('orders')).toBeUndefined();
    expect(p.state().modules.orders?.active).toBeUndefined();
    expect(p.history().length).toBe(before);
  });

  // What the conformance suite gets: the runner `r` runs the hook as a script, the context on its stdin.
  it.each(kubeRunnerKinds().map((k) => [k.kind, k] as const))(
    'the %s kind for the conformance suite',
    async (_kind, k) => {
      const { runners, env, teardown } = await k.setup();
      try {
        const runner = kubeRunnerFactories(env)
          .map((f) => f('r', runners.r, { env: env ?? {} }))
          .find((r) => r !== undefined)!;
        const r = await runner.run(invocation('cat; echo; echo done; exit 3'));
        expect(r.code).toBe(3);
        expect(r.output).toMatch(/^\{"module":"orders".*\}\ndone\n$/s);
      } finally {
        await teardown();
      }
    },
  );
});
