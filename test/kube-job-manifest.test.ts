// The Job a job runner creates, built from the operator's template: valid for Kubernetes (kubernetes-models), the
// operator's pod template merged under the generated spec, ringlock's values over the operator's.
import { Job } from 'kubernetes-models/batch/v1';
import { describe, expect, it } from 'vitest';
import { type JobRunnerSpec, jobManifest } from '../src/kube/job-manifest.js';

const inputs = {
  name: 'ringlock-op-1-oninstall-abcde',
  namespace: 'shop',
  argv: ['php', 'artisan', 'module:hook', 'X'],
  env: { RINGLOCK_MODULE: 'orders', RINGLOCK_CONTEXT: '{"module":"orders"}' },
  operationId: 'op-1',
  hook: 'onInstall',
  timeoutMs: 300_000,
};

describe('the job manifest', () => {
  it('is a valid Job: one hook container, no retries, TTL 600, a deadline a minute past the timeout', () => {
    const job = jobManifest({ type: 'job', image: 'shop/app:2', argv: [] }, inputs);
    expect(() => new Job(job as never).validate()).not.toThrow();
    expect(job).toMatchObject({
      metadata: {
        name: inputs.name,
        namespace: 'shop',
        labels: {
          'app.kubernetes.io/managed-by': 'ringlock',
          'ringlock.dev/operation-id': 'op-1',
          'ringlock.dev/hook': 'onInstall',
        },
      },
      spec: { backoffLimit: 0, ttlSecondsAfterFinished: 600, activeDeadlineSeconds: 360 },
    });
  });

  it('merges the operator pod template under the generated spec; the operator env under RINGLOCK_*', () => {
    const spec: JobRunnerSpec = {
      type: 'job',
      image: 'shop/app:2',
      argv: [],
      env: { APP_ENV: 'production', RINGLOCK_MODULE: 'spoofed' },
      activeDeadlineSeconds: 900,
      volumes: [{ name: 'modules', persistentVolumeClaim: { claimName: 'modules' } }],
      volumeMounts: [{ name: 'modules', mountPath: '/app/modules' }],
      resources: { limits: { memory: '512Mi' } },
      podTemplate: {
        metadata: {
          labels: { team: 'shop', 'app.kubernetes.io/managed-by': 'someone-else' },
          annotations: { a: 'b' },
        },
        spec: {
          restartPolicy: 'Always',
          nodeSelector: { pool: 'jobs' },
          volumes: [{ name: 'secrets', secret: { secretName: 'app' } }],
          containers: [
            {
              name: 'hook',
              image: 'ignored',
              securityContext: { runAsNonRoot: true },
              env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'app', key: 'db' } } }],
              volumeMounts: [{ name: 'secrets', mountPath: '/secrets' }],
            },
          ],
        },
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: the Job read back as plain JSON
    const job = jobManifest(spec, inputs) as { spec: Record<string, any> };
    expect(() => new Job(job as never).validate()).not.toThrow();
    const tmpl = job.spec.template;
    expect(job.spec.activeDeadlineSeconds).toBe(900);
    expect(tmpl.metadata).toEqual({
      annotations: { a: 'b' },
      labels: expect.objectContaining({ team: 'shop', 'app.kubernetes.io/managed-by': 'ringlock' }),
    });
    expect(tmpl.spec.restartPolicy).toBe('Never');
    expect(tmpl.spec.nodeSelector).toEqual({ pool: 'jobs' });
    expect(tmpl.spec.volumes.map((v: { name: string }) => v.name)).toEqual(['secrets', 'modules']);
    const [c] = tmpl.spec.containers;
    expect(tmpl.spec.containers).toHaveLength(1);
    expect(c.image).toBe('shop/app:2');
    expect(c.command).toEqual(inputs.argv);
    expect(c.securityContext).toEqual({ runAsNonRoot: true });
    expect(c.resources).toEqual({ limits: { memory: '512Mi' } });
    expect(c.volumeMounts.map((m: { name: string }) => m.name)).toEqual(['secrets', 'modules']);
    expect(c.env).toEqual([
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'app', key: 'db' } } },
      { name: 'APP_ENV', value: 'production' },
      { name: 'RINGLOCK_MODULE', value: 'orders' },
      { name: 'RINGLOCK_CONTEXT', value: '{"module":"orders"}' },
    ]);
  });
});
