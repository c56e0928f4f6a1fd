// A stand-in Kubernetes API server on 127.0.0.1 (HTTPS, its own CA in the kubeconfig it writes): bearer-token auth,
// Pods (get, list by label, log, exec over the v5/v4 channel WebSocket), Jobs (create, get, list by label, delete with
// propagationPolicy; the fake kubelet runs their container locally) and ConfigMaps (get, create, replace, merge patch;
// resourceVersion conflicts → 409) — the routes are in kube-resources.ts. Every request body and every response is
// validated against kubernetes-models; an invalid body or an unexpected request is answered with an error and recorded
// in `problems`, which the tests assert is empty.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Status } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';
import { WebSocketServer } from 'ws';
import { FakeKubelet, type RunningProcess, serveExec } from './kube-kubelet.js';
import { containerStatus, type Model, type Obj, resources, type StandInPod } from './kube-resources.js';

export type { StandInPod } from './kube-resources.js';

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
  /** Starts a container that was not started (addPod's notStarted): its status becomes running. */
  startContainer(pod: string, container: string): void;
  /** Answer 403 to this resource (`pods/exec`, `jobs`, `configmaps`) for this verb (`create`, `get`, …, or any). */
  deny(resource: string, verb?: string): void;
  /**
   * Accepts this resource's requests (`pods/exec`: the WebSocket upgrade) for this verb (or any) and never answers
   * them: an API server that hangs. `hung` counts the requests held.
   */
  hang(resource: string, verb?: string): void;
  hung: string[];
  /** Cuts every open exec stream (a network failure), leaving their processes running. */
  dropExecStreams(): void;
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
    namespace?: string;
    /** The exec subprotocols it speaks, best first (default v5, v4). */
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
  const hanging: { resource: string; verb?: string }[] = [];
  const hung: string[] = [];
  const heldSockets = new Set<Socket>();
  const hangs = (resource: string, verb: string) =>
    hanging.some((d) => d.resource === resource && (d.verb === undefined || d.verb === verb));
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

  const { routes, podObject } = resources({
    kubelet,
    pods,
    podProcesses,
    jobs,
    configMaps,
    deletions,
    nextRv,
    currentRv: () => String(rv),
    now,
    valid,
    send,
    fail,
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
      if (hangs(route.resource, route.verb)) {
        // Held open and never answered; closed when the stand-in stops.
        hung.push(what);
        heldSockets.add(req.socket);
        return;
      }
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
    if (hangs('pods/exec', 'create')) {
      hung.push(`UPGRADE ${url.pathname}`);
      heldSockets.add(socket);
      return;
    }
    const no = forbidden('pods/exec', 'create', ns);
    if (no) return refuse(socket, 403, no);
    const pod = pods.get(`${ns}/${name}`);
    if (!pod) return refuse(socket, 404, `pods "${name}" not found`);
    const q = url.searchParams;
    const command = q.getAll('command');
    const container = q.get('container') ?? pod.spec.containers[0].name;
    if (!pod.spec.containers.some((c: Obj) => c.name === container))
      return refuse(socket, 400, `container ${container} is not valid for pod ${name}`);
    // The kubelet has no such container to exec in until it runs (kubectl: "unable to upgrade connection").
    const st = (pod.status?.containerStatuses ?? []).find((c: Obj) => c.name === container);
    if (st && !st.state?.running)
      return refuse(socket, 500, `unable to upgrade connection: container not found ("${container}")`);
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
    startContainer(podName, container) {
      const pod = pods.get(`${namespace}/${podName}`)!;
      pod.status.containerStatuses = pod.status.containerStatuses.map((c: Obj) =>
        c.name === container ? containerStatus(container, true, now()) : c,
      );
      pod.metadata.resourceVersion = nextRv();
    },
    dropExecStreams() {
      for (const c of wss.clients) c.terminate();
    },
    deny: (resource, verb) => denied.push({ resource, ...(verb ? { verb } : {}) }),
    hang: (resource, verb) => hanging.push({ resource, ...(verb ? { verb } : {}) }),
    hung,
    async close() {
      for (const c of wss.clients) c.terminate();
      for (const sock of heldSockets) sock.destroy();
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
