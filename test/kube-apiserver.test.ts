// The stand-in Kubernetes API server itself: it checks the token, validates bodies against the Kubernetes schemas,
// records what it does not expect, answers conflicts like the API server, and its exec streams behave like a
// kubelet's (closing one does not stop its process; v5's close signal ends stdin).
import { request } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type KubeStandIn, startKubeStandIn } from './support/kube-apiserver.js';
import { alive } from './support/kube-kubelet.js';

let s: KubeStandIn | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

// biome-ignore lint/suspicious/noExplicitAny: API answers read as plain JSON
type Json = Record<string, any>;

function call(x: KubeStandIn, method: string, path: string, body?: unknown, token = x.token) {
  return new Promise<{ status: number; json: Json }>((resolve, reject) => {
    const req = request(
      `${x.url}${path}`,
      { method, ca: x.ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text || '{}') }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function exec(x: KubeStandIn, command: string[], token = x.token) {
  const q = new URLSearchParams([
    ...command.map((c): [string, string] => ['command', c]),
    ['container', 'app'],
    ['stdin', 'true'],
    ['stdout', 'true'],
    ['stderr', 'true'],
  ]);
  return new WebSocket(
    `${x.url.replace('https', 'wss')}/api/v1/namespaces/${x.namespace}/pods/p/exec?${q}`,
    ['v5.channel.k8s.io'],
    {
      ca: x.ca,
      headers: { authorization: `Bearer ${token}` },
    },
  );
}

const job = (image: unknown) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'j' },
  spec: {
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'hook', image, command: ['true'] }] } },
  },
});

describe('the Kubernetes stand-in', () => {
  it('refuses a wrong token with 401, on requests and on exec upgrades', async () => {
    s = await startKubeStandIn();
    s.addPod({ name: 'p' });
    const r = await call(s, 'GET', `/api/v1/namespaces/${s.namespace}/pods/p`, undefined, 'wrong');
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const ws = exec(s, ['true'], 'wrong');
    const refused = await new Promise<string>((resolve) => ws.on('error', (e) => resolve(e.message)));
    expect(refused).toContain('401');
    expect(s.problems).toEqual([]);
  });

  it('reports a container not started yet as waiting, refuses an exec into it, and execs once it runs', async () => {
    s = await startKubeStandIn();
    s.addPod({ name: 'p', containers: ['ringlock', 'app'], notStarted: ['app'] });
    const state = async () =>
      (await call(s!, 'GET', `/api/v1/namespaces/${s!.namespace}/pods/p`)).json.status.containerStatuses.map(
        (c: Json) => [c.name, Object.keys(c.state)[0]],
      );
    expect(await state()).toEqual([
      ['ringlock', 'running'],
      ['app', 'waiting'],
    ]);
    const ws = exec(s, ['true']);
    const refused = await new Promise<string>((resolve) => ws.on('error', (e) => resolve(e.message)));
    expect(refused).toContain('500');
    expect(s.execs).toEqual([]);
    s.startContainer('p', 'app');
    expect(await state()).toEqual([
      ['ringlock', 'running'],
      ['app', 'running'],
    ]);
    const ok = exec(s, ['true']);
    await new Promise<void>((resolve, reject) => {
      ok.on('open', () => resolve());
      ok.on('error', reject);
    });
    ok.close();
    expect(s.execs).toHaveLength(1);
    expect(s.problems).toEqual([]);
  });

  it('rejects an invalid Job (422) and records it; a valid one is created and runs', async () => {
    s = await startKubeStandIn();
    const bad = await call(s, 'POST', `/apis/batch/v1/namespaces/${s.namespace}/jobs`, job(3));
    expect(bad.status).toBe(422);
    expect(s.problems).toEqual([expect.stringMatching(/image must be string/)]);
    s.problems.length = 0;
    const ok = await call(s, 'POST', `/apis/batch/v1/namespaces/${s.namespace}/jobs`, job('busybox'));
    expect(ok.status).toBe(201);
    expect(ok.json.metadata.uid).toBeTruthy();
    expect(s.problems).toEqual([]);
  });

  it('answers an unexpected request with 404 and records it', async () => {
    s = await startKubeStandIn();
    const r = await call(s, 'GET', `/api/v1/namespaces/${s.namespace}/secrets/db`);
    expect(r.status).toBe(404);
    expect(s.problems).toEqual([`unexpected request GET /api/v1/namespaces/${s.namespace}/secrets/db`]);
  });

  it('answers a replace with a stale resourceVersion with 409 Conflict', async () => {
    s = await startKubeStandIn();
    const base = `/api/v1/namespaces/${s.namespace}/configmaps`;
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    const created = await call(s, 'POST', base, cm);
    expect(created.status).toBe(201);
    const rv = created.json.metadata.resourceVersion;
    expect(
      (
        await call(s, 'PUT', `${base}/c`, {
          ...cm,
          metadata: { name: 'c', resourceVersion: rv },
          data: { a: '2' },
        })
      ).status,
    ).toBe(200);
    const stale = await call(s, 'PUT', `${base}/c`, {
      ...cm,
      metadata: { name: 'c', resourceVersion: rv },
      data: { a: '3' },
    });
    expect(stale.status).toBe(409);
    expect(stale.json.reason).toBe('Conflict');
    expect(s.problems).toEqual([]);
  });

  it('exec: closing the stream leaves the process running, as a kubelet does', async () => {
    s = await startKubeStandIn();
    s.addPod({ name: 'p' });
    const ws = exec(s, ['sleep', '600']);
    await new Promise((r) => ws.on('open', r));
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    ws.close();
    await new Promise((r) => ws.on('close', r));
    const proc = s.execs[0]!.process;
    expect(alive(proc.pid)).toBe(true);
    expect(proc.exit).toBeUndefined();
  });

  it('exec: v5 close signal [255, 0] ends stdin; output on channel 1, status on channel 3', async () => {
    s = await startKubeStandIn();
    s.addPod({ name: 'p' });
    const ws = exec(s, ['cat']);
    const frames: Buffer[] = [];
    ws.on('message', (d: Buffer) => frames.push(d));
    await new Promise((r) => ws.on('open', r));
    ws.send(Buffer.from([0, ...Buffer.from('hello')]));
    ws.send(Buffer.from([255, 0]));
    await new Promise((r) => ws.on('close', r));
    const out = frames
      .filter((f) => f[0] === 1)
      .map((f) => f.subarray(1).toString())
      .join('');
    expect(out).toBe('hello');
    const status = JSON.parse(
      frames
        .find((f) => f[0] === 3)!
        .subarray(1)
        .toString(),
    );
    expect(status).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(s.problems).toEqual([]);
  });
});
