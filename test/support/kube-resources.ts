// The stand-in API server's resources: Pods, Jobs (the fake kubelet runs their pod) and ConfigMaps, each route
// validating what it is sent and what it answers against kubernetes-models (through the server's `valid`/`send`).
import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { DeleteOptions } from '@kubernetes-models/apimachinery/apis/meta/v1/DeleteOptions';
import { Status } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';
import { Job, JobList } from 'kubernetes-models/batch/v1';
import { ConfigMap, Pod, PodList } from 'kubernetes-models/v1';
import type { FakeKubelet, RunningProcess } from './kube-kubelet.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are untyped JSON here, checked by kubernetes-models
export type Obj = Record<string, any>;
// biome-ignore lint/suspicious/noExplicitAny: each model's constructor takes its own interface
export type Model = new (data: any) => { validate(): void };

export interface StandInPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  containers: string[];
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Containers not started yet (waiting: PodInitializing), as a platform container is while a sidecar syncs. */
  notStarted?: string[];
}

/** A container's status: running since now, or waiting to start. */
export function containerStatus(name: string, running: boolean, startedAt: string): Obj {
  return {
    name,
    image: 'example/app:1',
    imageID: '',
    ready: running,
    started: running,
    restartCount: 0,
    state: running ? { running: { startedAt } } : { waiting: { reason: 'PodInitializing' } },
  };
}

export interface Route {
  method: string;
  re: RegExp;
  /** For 403s: the resource and verb as RBAC names them. */
  resource: string;
  verb: string;
  handle(res: ServerResponse, m: string[], url: URL, body: Obj | undefined, what: string): void;
}

/** The server's state and answering helpers the routes use. */
export interface ApiState {
  kubelet: FakeKubelet;
  pods: Map<string, Obj>;
  podProcesses: Map<string, RunningProcess>;
  jobs: Map<string, Obj>;
  configMaps: Map<string, Obj>;
  deletions: { kind: string; name: string; propagationPolicy?: string }[];
  nextRv(): string;
  currentRv(): string;
  now(): string;
  valid(model: Model, obj: unknown, what: string): boolean;
  send(res: ServerResponse, code: number, obj: Obj, model: Model, what: string): void;
  fail(res: ServerResponse, code: number, message: string, what: string, details?: Obj): void;
}

export function resources(api: ApiState): {
  routes: Route[];
  podObject(p: StandInPod & { extra?: Obj }): Obj;
} {
  const { kubelet, pods, podProcesses, jobs, configMaps, deletions, nextRv, now, valid, send, fail } = api;

  const podObject = (p: StandInPod & { extra?: Obj }): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: randomUUID(),
      resourceVersion: nextRv(),
      creationTimestamp: now(),
      labels: p.labels,
      ...(p.extra?.metadata ?? {}),
    },
    spec: p.extra?.spec ?? { containers: p.containers.map((name) => ({ name, image: 'example/app:1' })) },
    status: {
      phase: p.phase,
      ...(p.containers.length > 0
        ? {
            containerStatuses: p.containers.map((c) =>
              containerStatus(c, !(p.notStarted ?? []).includes(c), now()),
            ),
          }
        : {}),
    },
  });

  const matches = (labels: Obj | undefined, selector: string | null) =>
    !selector ||
    selector.split(',').every((term) => {
      const [k, v] = term.split('=').map((s) => s.trim());
      return labels?.[k!] === v;
    });

  /** The fake kubelet runs a Job's one pod: its container's command, its env values; the Job's status follows. */
  const runJob = (job: Obj) => {
    const ns = job.metadata.namespace;
    const name = `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const tmpl = job.spec.template;
    const c = tmpl.spec.containers[0];
    const labels = {
      ...(tmpl.metadata?.labels ?? {}),
      'job-name': job.metadata.name,
      'batch.kubernetes.io/job-name': job.metadata.name,
      'controller-uid': job.metadata.uid,
    };
    const pod = podObject({
      namespace: ns,
      name,
      labels,
      containers: [],
      phase: 'Running',
      extra: {
        metadata: {
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'Job',
              name: job.metadata.name,
              uid: job.metadata.uid,
              controller: true,
            },
          ],
        },
        spec: tmpl.spec,
      },
    });
    pods.set(`${ns}/${name}`, pod);
    const env = Object.fromEntries(
      (c.env ?? []).filter((e: Obj) => typeof e.value === 'string').map((e: Obj) => [e.name, e.value]),
    );
    const proc = kubelet.start([...(c.command ?? []), ...(c.args ?? [])], env, false);
    podProcesses.set(`${ns}/${name}`, proc);
    job.status = { startTime: now(), active: 1 };
    void proc.done.then(() => {
      const code = proc.exit?.code ?? 137;
      pod.status = {
        phase: code === 0 ? 'Succeeded' : 'Failed',
        containerStatuses: [
          {
            name: c.name,
            image: c.image,
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' } },
          },
        ],
      };
      if (!jobs.has(`${ns}/${job.metadata.name}`)) return;
      const type = code === 0 ? 'Complete' : 'Failed';
      job.status = {
        startTime: job.status.startTime,
        ...(code === 0 ? { succeeded: 1, completionTime: now() } : { failed: 1 }),
        conditions: [{ type, status: 'True', lastProbeTime: now(), lastTransitionTime: now() }],
      };
      job.metadata.resourceVersion = nextRv();
    });
  };

  const routes: Route[] = [
    {
      method: 'GET',
      re: /^\/api\/v1\/namespaces\/([^/]+)\/pods$/,
      resource: 'pods',
      verb: 'list',
      handle(res, [ns], url, _b, what) {
        const items = [...pods.values()].filter(
          (p) =>
            p.metadata.namespace === ns && matches(p.metadata.labels, url.searchParams.get('labelSelector')),
        );
        send(
          res,
          200,
          { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: api.currentRv() }, items },
          PodList,
          what,
        );
      },
    },
    {
      method: 'GET',
      re: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/,
      resource: 'pods',
      verb: 'get',
      handle(res, [ns, name], _u, _b, what) {
        const p = pods.get(`${ns}/${name}`);
        if (!p) return fail(res, 404, `pods "${name}" not found`, what);
        send(res, 200, p, Pod, what);
      },
    },
    {
      method: 'GET',
      re: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/,
      resource: 'pods/log',
      verb: 'get',
      handle(res, [ns, name], url, _b, what) {
        if (!pods.has(`${ns}/${name}`)) return fail(res, 404, `pods "${name}" not found`, what);
        const log = podProcesses.get(`${ns}/${name}`)?.output ?? '';
        const tail = url.searchParams.get('tailLines');
        res.writeHead(200, { 'content-type': 'text/plain' });
        // tailLines: the last n lines, as the kubelet answers.
        res.end(
          tail === null
            ? log
            : log
                .split(/(?<=\n)/)
                .slice(-Number(tail))
                .join(''),
        );
      },
    },
    {
      method: 'POST',
      re: /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs$/,
      resource: 'jobs',
      verb: 'create',
      handle(res, [ns], _u, body, what) {
        if (!body || !valid(Job, body, `request ${what}`))
          return fail(res, 422, 'Job is invalid (see the stand-in problems)', what);
        const name = body.metadata?.name as string;
        if (body.metadata?.namespace && body.metadata.namespace !== ns)
          return fail(
            res,
            400,
            'the namespace of the object does not match the namespace on the request',
            what,
          );
        if (jobs.has(`${ns}/${name}`)) return fail(res, 409, `jobs.batch "${name}" already exists`, what);
        const job: Obj = {
          ...body,
          metadata: {
            ...body.metadata,
            namespace: ns,
            uid: randomUUID(),
            resourceVersion: nextRv(),
            creationTimestamp: now(),
          },
        };
        jobs.set(`${ns}/${name}`, job);
        runJob(job);
        send(res, 201, job, Job, what);
      },
    },
    {
      method: 'GET',
      re: /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs$/,
      resource: 'jobs',
      verb: 'list',
      handle(res, [ns], url, _b, what) {
        const items = [...jobs.values()].filter(
          (j) =>
            j.metadata.namespace === ns && matches(j.metadata.labels, url.searchParams.get('labelSelector')),
        );
        const list = {
          apiVersion: 'batch/v1',
          kind: 'JobList',
          metadata: { resourceVersion: api.currentRv() },
          items,
        };
        send(res, 200, list, JobList, what);
      },
    },
    {
      method: 'GET',
      re: /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/,
      resource: 'jobs',
      verb: 'get',
      handle(res, [ns, name], _u, _b, what) {
        const j = jobs.get(`${ns}/${name}`);
        if (!j) return fail(res, 404, `jobs.batch "${name}" not found`, what);
        send(res, 200, j, Job, what);
      },
    },
    {
      method: 'DELETE',
      re: /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/,
      resource: 'jobs',
      verb: 'delete',
      handle(res, [ns, name], url, body, what) {
        const j = jobs.get(`${ns}/${name}`);
        if (!j) return fail(res, 404, `jobs.batch "${name}" not found`, what);
        if (body && !valid(DeleteOptions, body, `request ${what}`))
          return fail(res, 422, 'DeleteOptions is invalid (see the stand-in problems)', what);
        const propagationPolicy = url.searchParams.get('propagationPolicy') ?? body?.propagationPolicy;
        deletions.push({ kind: 'Job', name: name!, ...(propagationPolicy ? { propagationPolicy } : {}) });
        jobs.delete(`${ns}/${name}`);
        // The garbage collector deletes the pods unless orphaned: their containers are killed.
        if (propagationPolicy !== 'Orphan')
          for (const [key, p] of pods)
            if (p.metadata.labels?.['job-name'] === name && p.metadata.namespace === ns) {
              const proc = podProcesses.get(key);
              if (proc) kubelet.kill(proc);
              pods.delete(key);
            }
        send(
          res,
          200,
          {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name, group: 'batch', kind: 'jobs', uid: j.metadata.uid },
          },
          Status,
          what,
        );
      },
    },
    {
      method: 'POST',
      re: /^\/api\/v1\/namespaces\/([^/]+)\/configmaps$/,
      resource: 'configmaps',
      verb: 'create',
      handle(res, [ns], _u, body, what) {
        if (!body || !valid(ConfigMap, body, `request ${what}`))
          return fail(res, 422, 'ConfigMap is invalid (see the stand-in problems)', what);
        const name = body.metadata?.name as string;
        if (configMaps.has(`${ns}/${name}`))
          return fail(res, 409, `configmaps "${name}" already exists`, what);
        const cm = {
          ...body,
          metadata: {
            ...body.metadata,
            namespace: ns,
            uid: randomUUID(),
            resourceVersion: nextRv(),
            creationTimestamp: now(),
          },
        };
        configMaps.set(`${ns}/${name}`, cm);
        send(res, 201, cm, ConfigMap, what);
      },
    },
    {
      method: 'GET',
      re: /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/,
      resource: 'configmaps',
      verb: 'get',
      handle(res, [ns, name], _u, _b, what) {
        const cm = configMaps.get(`${ns}/${name}`);
        if (!cm) return fail(res, 404, `configmaps "${name}" not found`, what);
        send(res, 200, cm, ConfigMap, what);
      },
    },
    ...(['PUT', 'PATCH'] as const).map((method) => ({
      method,
      re: /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/,
      resource: 'configmaps',
      verb: method === 'PUT' ? 'update' : 'patch',
      handle(res: ServerResponse, [ns, name]: string[], _u: URL, body: Obj | undefined, what: string) {
        const cm = configMaps.get(`${ns}/${name}`);
        if (!cm) return fail(res, 404, `configmaps "${name}" not found`, what);
        const next: Obj =
          method === 'PUT'
            ? (body ?? {})
            : {
                ...cm,
                ...body,
                metadata: { ...cm.metadata, ...body?.metadata },
                data: { ...cm.data, ...body?.data },
              };
        if (!valid(ConfigMap, next, `request ${what}`))
          return fail(res, 422, 'ConfigMap is invalid (see the stand-in problems)', what);
        const want = body?.metadata?.resourceVersion;
        if (want !== undefined && want !== cm.metadata.resourceVersion)
          return fail(
            res,
            409,
            `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again`,
            what,
          );
        const stored = {
          ...next,
          metadata: {
            ...next.metadata,
            namespace: ns,
            name,
            uid: cm.metadata.uid,
            creationTimestamp: cm.metadata.creationTimestamp,
            resourceVersion: nextRv(),
          },
        };
        configMaps.set(`${ns}/${name}`, stored);
        send(res, 200, stored, ConfigMap, what);
      },
    })),
  ];

  return { routes, podObject };
}
