// A stand-in Kubernetes API server on 127.0.0.1: bearer-token auth, Pods (get, list by label, log, exec over the
// v5/v4 channel WebSocket), Jobs (create, get, list by label, delete with propagationPolicy; the fake kubelet runs their container
// locally) and ConfigMaps (get, create, replace, merge patch; resourceVersion conflicts → 409). Every request body and
// every response is validated against kubernetes-models; an invalid body or an unexpected request is answered with an
// error and recorded in `problems`, which the tests assert is empty.

import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteOptions } from '@kubernetes-models/apimachinery/apis/meta/v1/DeleteOptions';
import { Status } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';
import { Job, JobList } from 'kubernetes-models/batch/v1';
import { ConfigMap, Pod, PodList } from 'kubernetes-models/v1';
import { WebSocketServer } from 'ws';
import { FakeKubelet, type RunningProcess, serveExec } from './kube-kubelet.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are untyped JSON here, checked by kubernetes-models
type Obj = Record<string, any>;
// biome-ignore lint/suspicious/noExplicitAny: each model's constructor takes its own interface
type Model = new (data: any) => { validate(): void };

export interface StandInPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  containers: string[];
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
}

export interface KubeStandIn {
  url: string;
  token: string;
  /** The server's certificate (its own CA), PEM. */
  ca: string;
  /** A kubeconfig file pointing at the stand-in with the token (namespace `namespace`). */
  kubeconfig: string;
  namespace: string;
  /** Invalid bodies, unexpected requests and invalid responses: the tests assert none. */
  problems: string[];
  kubelet: FakeKubelet;
  /** Exec streams served, with the local process each started. */
  execs: { pod: string; container: string; command: string[]; protocol: string; process: RunningProcess }[];
  jobs: Map<string, Obj>;
  deletions: { kind: string; name: string; propagationPolicy?: string }[];
  configMaps: Map<string, Obj>;
  addPod(p: Partial<StandInPod> & { name: string }): void;
  /** Answer 403 to this resource (`pods/exec`, `jobs`, `configmaps`) for this verb (`create`, `get`, …, or any). */
  deny(resource: string, verb?: string): void;
  /** Called before each request is routed (a concurrent writer between a get and a replace). */
  before?: (method: string, path: string) => void;
  close(): Promise<void>;
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  422: 'Invalid',
};

export async function startKubeStandIn(
  o: {
    namespace?: string /** The exec subprotocols it speaks, best first (default v5, v4). */;
    protocols?: string[];
  } = {},
): Promise<KubeStandIn> {
  const namespace = o.namespace ?? 'ringlock-test';
  const token = randomBytes(24).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'ringlock-kube-'));
  const problems: string[] = [];
  const kubelet = new FakeKubelet();
  const pods = new Map<string, Obj>();
  const podProcesses = new Map<string, RunningProcess>();
  const jobs = new Map<string, Obj>();
  const configMaps = new Map<string, Obj>();
  const denied: { resource: string; verb?: string }[] = [];
  const deletions: KubeStandIn['deletions'] = [];
  const execs: KubeStandIn['execs'] = [];
  let rv = 1000;
  const nextRv = () => String(++rv);
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  const valid = (model: Model, obj: unknown, what: string): boolean => {
    try {
      new model(obj).validate();
      return true;
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
      return false;
    }
  };
  const status = (code: number, message: string, details?: Obj): Obj => ({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: STATUS_TEXT[code] ?? 'InternalError',
    ...(details ? { details } : {}),
    code,
  });
  const send = (res: ServerResponse, code: number, obj: Obj, model: Model, what: string) => {
    if (!valid(model, obj, `response to ${what}`)) {
      code = 500;
      obj = status(500, 'the stand-in built an invalid response');
    }
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  const fail = (res: ServerResponse, code: number, message: string, what: string, details?: Obj) =>
    send(res, code, status(code, message, details), Status, what);
  const forbidden = (resource: string, verb: string, ns: string) =>
    denied.some((d) => d.resource === resource && (d.verb === undefined || d.verb === verb))
      ? `${resource.split('/')[0]} is forbidden: User "system:serviceaccount:${ns}:ringlock" cannot ${verb} resource "${resource}" in API group "${resource.startsWith('jobs') ? 'batch' : ''}" in the namespace "${ns}"`
      : undefined;

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
    status: { phase: p.phase },
  });
  const addPod = (p: Partial<StandInPod> & { name: string }) => {
    const full: StandInPod = {
      namespace,
      labels: {},
      containers: ['app'],
      phase: 'Running',
      ...p,
    };
    pods.set(`${full.namespace}/${full.name}`, podObject(full));
  };

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

  const routes: {
    method: string;
    re: RegExp;
    resource: string;
    verb: string;
    handle(res: ServerResponse, m: string[], url: URL, body: Obj | undefined, what: string): void;
  }[] = [
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
          { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: String(rv) }, items },
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
      handle(res, [ns, name], _u, _b, what) {
        if (!pods.has(`${ns}/${name}`)) return fail(res, 404, `pods "${name}" not found`, what);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(podProcesses.get(`${ns}/${name}`)?.output ?? '');
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
          metadata: { resourceVersion: String(rv) },
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

  const authorized = (req: IncomingMessage) => req.headers.authorization === `Bearer ${token}`;

  const server = createServer({ ...selfSigned(dir) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const what = `${req.method} ${url.pathname}`;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!authorized(req)) return fail(res, 401, 'Unauthorized', what);
      standIn.before?.(req.method ?? '', url.pathname);
      const route = routes.find((r) => r.method === req.method && r.re.test(url.pathname));
      if (!route) {
        problems.push(`unexpected request ${what}`);
        return fail(res, 404, `the stand-in does not serve ${what}`, what);
      }
      const m = route.re.exec(url.pathname)!.slice(1).map(decodeURIComponent);
      const no = forbidden(route.resource, route.verb, m[0]!);
      if (no) return fail(res, 403, no, what, { kind: route.resource });
      let body: Obj | undefined;
      if (chunks.length > 0) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          problems.push(`${what}: a body that is not JSON`);
          return fail(res, 400, 'the body is not JSON', what);
        }
      }
      route.handle(res, m, url, body, what);
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) =>
      (o.protocols ?? ['v5.channel.k8s.io', 'v4.channel.k8s.io']).find((p) => offered.has(p)) ?? false,
  });
  const refuse = (socket: Socket, code: number, message: string) => {
    const body = JSON.stringify(status(code, message));
    socket.end(
      `HTTP/1.1 ${code} ${STATUS_TEXT[code] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!authorized(req)) return refuse(socket, 401, 'Unauthorized');
    if (!m) {
      problems.push(`unexpected upgrade ${url.pathname}`);
      return refuse(socket, 404, `the stand-in does not serve ${url.pathname}`);
    }
    const [ns, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
    const no = forbidden('pods/exec', 'create', ns);
    if (no) return refuse(socket, 403, no);
    const pod = pods.get(`${ns}/${name}`);
    if (!pod) return refuse(socket, 404, `pods "${name}" not found`);
    const q = url.searchParams;
    const command = q.getAll('command');
    const container = q.get('container') ?? pod.spec.containers[0].name;
    if (!pod.spec.containers.some((c: Obj) => c.name === container))
      return refuse(socket, 400, `container ${container} is not valid for pod ${name}`);
    if (command.length === 0) {
      problems.push('exec without a command');
      return refuse(socket, 400, 'you must specify at least 1 command');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const proc = serveExec(
        ws,
        kubelet,
        command,
        { stdin: q.get('stdin') === 'true', tty: q.get('tty') === 'true' },
        (s) => void valid(Status, s, 'exec status'),
      );
      execs.push({ pod: `${ns}/${name}`, container, command, protocol: ws.protocol, process: proc });
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'stand-in',
          cluster: {
            server: url,
            'certificate-authority-data': readFileSync(join(dir, 'cert.pem')).toString('base64'),
          },
        },
      ],
      users: [{ name: 'ringlock', user: { token } }],
      contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'ringlock', namespace } }],
      'current-context': 'stand-in',
    }),
    { mode: 0o600 },
  );

  const standIn: KubeStandIn = {
    url,
    token,
    ca: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    kubeconfig,
    namespace,
    problems,
    kubelet,
    execs,
    jobs,
    deletions,
    configMaps,
    addPod,
    deny: (resource, verb) => denied.push({ resource, ...(verb ? { verb } : {}) }),
    async close() {
      for (const c of wss.clients) c.terminate();
      await kubelet.stopAll();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return standIn;
}

/** A certificate for 127.0.0.1, its own CA (the kubeconfig carries it as certificate-authority-data). */
function selfSigned(dir: string): { key: Buffer; cert: Buffer } {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}
