// The Kubernetes manifests: the real `kubectl kustomize` output of every ring overlay, parsed and checked object by
// object. The image itself is checked in dockerfile.test.ts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './helpers.js';

const RINGS = ['canary', 'edge', 'stable'] as const;
const K8S = join(REPO_ROOT, 'examples', 'kubernetes');
const SECRET_ENV = [
  'RINGLOCK_GIT_TOKEN',
  'RINGLOCK_WEBHOOK_SECRET',
  'RINGLOCK_API_TOKEN',
  'RINGLOCK_REGISTRY_TOKEN',
];
const SECRETISH = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_?KEY/i;
const DATA_MOUNT = '/var/lib/ringlock';

// ---- Kubernetes manifests ---------------------------------------------------------------------------------------

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML.
type Obj = Record<string, any>;

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const hasKubectl = !kubectl.error && kubectl.status === 0;
if (!hasKubectl)
  console.warn('kubectl not found on PATH: skipping the kustomize render tests of examples/kubernetes');

const rendered = new Map<string, Obj[]>();
function render(ring: string): Obj[] {
  const cached = rendered.get(ring);
  if (cached) return cached;
  const r = spawnSync('kubectl', ['kustomize', join(K8S, 'overlays', ring)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`kubectl kustomize overlays/${ring} failed:\n${r.stderr}`);
  const docs = parseAllDocuments(r.stdout);
  const objs: Obj[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    expect(d.errors, `YAML errors in overlays/${ring}`).toEqual([]);
    const o = d.toJS() as Obj | null;
    if (o) objs.push(o);
  }
  rendered.set(ring, objs);
  return objs;
}
const one = (objs: Obj[], kind: string): Obj => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0]!;
};
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.each(RINGS)('kustomize overlays/%s', (ring) => {
  const ns = `ringlock-${ring}`;
  const pod = () => one(render(ring), 'Deployment').spec.template;
  const container = () => {
    const cs = pod().spec.containers as Obj[];
    expect(cs).toHaveLength(1);
    return cs[0]!;
  };
  const env = () => container().env as Obj[];

  it.skipIf(!hasKubectl)('renders exactly the expected kinds, all in the ring namespace and labelled', () => {
    const objs = render(ring);
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Namespace',
      'NetworkPolicy',
      'PersistentVolumeClaim',
      'Service',
      'ServiceAccount',
    ]);
    for (const o of objs) {
      if (o.kind === 'Namespace') {
        expect(o.metadata.name).toBe(ns);
        expect(o.metadata.namespace).toBeUndefined();
        expect(o.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
      } else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns);
      expect(o.metadata.labels['ringlock.dev/ring'], `${o.kind} ring label`).toBe(ring);
      expect(o.metadata.labels['app.kubernetes.io/name']).toBe('ringlock');
    }
    expect(pod().metadata.labels['ringlock.dev/ring']).toBe(ring);
  });

  it.skipIf(!hasKubectl)('runs one daemon per target: replicas 1, Recreate, RING_NAME, args daemon', () => {
    const dep = one(render(ring), 'Deployment');
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.strategy).toEqual({ type: 'Recreate' });
    expect(matches(dep.spec.selector.matchLabels, pod().metadata.labels)).toBe(true);
    const ringName = env().filter((e) => e.name === 'RING_NAME');
    expect(ringName).toEqual([{ name: 'RING_NAME', value: ring }]);
    expect(container().args).toEqual(['daemon']);
    const byName = Object.fromEntries(env().map((e) => [e.name, e.value]));
    expect(byName['RINGLOCK_LISTEN']).toBe('0.0.0.0:8080');
    expect(container().ports).toContainEqual(expect.objectContaining({ containerPort: 8080, name: 'http' }));
    // Grace period: long enough for a hook plus a health check to finish after SIGTERM.
    expect(pod().spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(90);
    expect(pod().spec.enableServiceLinks).toBe(false);
    // Names in env are unique (a later duplicate silently wins in Kubernetes).
    const names = env().map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.skipIf(!hasKubectl)('probes /healthz (liveness, startup) and /readyz (readiness) on 8080', () => {
    const c = container();
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8080 });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 8080 });
    if (c.startupProbe) expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 8080 });
  });

  it.skipIf(!hasKubectl)(
    'mounts the PVC of the output at /var/lib/ringlock, the target on it, /tmp emptyDir',
    () => {
      const objs = render(ring);
      const pvc = one(objs, 'PersistentVolumeClaim');
      expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
      expect(pvc.spec.resources.requests.storage).toMatch(/^\d+Gi$/);
      const volumes = pod().spec.volumes as Obj[];
      const data = volumes.find((v) => v.persistentVolumeClaim);
      expect(data?.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
      const mounts = container().volumeMounts as Obj[];
      expect(mounts).toContainEqual({ name: data!.name, mountPath: DATA_MOUNT });
      const tmp = mounts.find((m) => m.mountPath === '/tmp');
      expect(volumes.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      // Every mount refers to a declared volume.
      for (const m of mounts) expect(volumes.map((v) => v.name)).toContain(m.name);
      const byName = Object.fromEntries(env().map((e) => [e.name, e.value]));
      expect(byName['RINGLOCK_TARGET']).toBe(`${DATA_MOUNT}/target`);
      for (const k of ['RINGLOCK_STATE', 'RINGLOCK_CACHE_DIR'])
        if (byName[k] !== undefined) expect(byName[k].startsWith(`${DATA_MOUNT}/`)).toBe(true);
    },
  );

  it.skipIf(!hasKubectl)('has a restricted security context and no service-account token', () => {
    const spec = pod().spec;
    expect(spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const sc = container().securityContext;
    expect(sc).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(sc.capabilities.add).toBeUndefined();
    expect(sc.privileged ?? false).toBe(false);
    expect(sc.runAsUser ?? 10001).toBe(10001);
    expect(spec.hostNetwork ?? false).toBe(false);
    expect(spec.hostPID ?? false).toBe(false);
    expect(spec.automountServiceAccountToken).toBe(false);
    const sa = one(render(ring), 'ServiceAccount');
    expect(spec.serviceAccountName).toBe(sa.metadata.name);
    expect(sa.automountServiceAccountToken).toBe(false);
  });

  it.skipIf(!hasKubectl)('sets resource requests and a memory limit', () => {
    const res = container().resources;
    expect(res.requests.cpu).toMatch(/^\d+m$/);
    expect(res.requests.memory).toMatch(/^\d+Mi$/);
    expect(res.limits.memory).toMatch(/^\d+Mi$/);
    expect(Number.parseInt(res.limits.memory, 10)).toBeGreaterThanOrEqual(
      Number.parseInt(res.requests.memory, 10),
    );
    // No CPU limit (or a generous one): throttling would only stretch hashing, extraction and health timing.
    if (res.limits.cpu !== undefined) expect(String(res.limits.cpu)).toMatch(/^([1-9]\d*|[1-9]\d{3,}m)$/);
  });

  it.skipIf(!hasKubectl)('takes secrets only by secretKeyRef, never as literals, and ships no Secret', () => {
    const objs = render(ring);
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const name of SECRET_ENV) {
      const e = env().find((x) => x.name === name);
      expect(e, `${name} in env`).toBeDefined();
      expect(e!.value).toBeUndefined();
      expect(e!.valueFrom.secretKeyRef.name).toBe('ringlock-secrets');
      expect(e!.valueFrom.secretKeyRef.key).toMatch(/^[a-z-]+$/);
    }
    for (const e of env())
      if (SECRETISH.test(e.name)) expect(e.valueFrom?.secretKeyRef, e.name).toBeDefined();
    // envFrom only from the generated ConfigMap of this output, which holds no secret-looking keys.
    const cm = one(objs, 'ConfigMap');
    expect(container().envFrom).toEqual([{ configMapRef: { name: cm.metadata.name } }]);
    for (const k of Object.keys(cm.data)) expect(k).not.toMatch(SECRETISH);
    for (const v of Object.values(cm.data) as string[])
      expect(v).not.toMatch(/gh[pousr]_|github_pat_|:\/\/[^/]*@/);
  });

  it.skipIf(!hasKubectl)('pins the image tag (never latest)', () => {
    const image: string = container().image;
    const m =
      /^(?<repo>[a-zA-Z0-9./_-]+?)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[0-9a-f]{64}))?$/.exec(
        image,
      );
    expect(m, image).not.toBeNull();
    expect(m!.groups!.tag ?? m!.groups!.digest, `${image} has a tag or digest`).toBeDefined();
    expect(m!.groups!.tag).not.toBe('latest');
    expect(container().imagePullPolicy).not.toBe('Always');
  });

  it.skipIf(!hasKubectl)('Service and NetworkPolicy select the pod and open only 8080', () => {
    const objs = render(ring);
    const labels = pod().metadata.labels;
    const svc = one(objs, 'Service');
    expect(matches(svc.spec.selector, labels)).toBe(true);
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toHaveLength(1);
    const port = svc.spec.ports[0];
    const target = container().ports.find(
      (p: Obj) => p.name === port.targetPort || p.containerPort === port.targetPort,
    );
    expect(target?.containerPort).toBe(8080);
    const np = one(objs, 'NetworkPolicy');
    expect(matches(np.spec.podSelector.matchLabels, labels)).toBe(true);
    expect(np.spec.policyTypes).toContain('Ingress');
    const ports = (np.spec.ingress as Obj[]).flatMap((r) => r.ports ?? [{ port: 'any' }]);
    expect(ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
  });
});

describe('kubernetes examples across rings', () => {
  it.skipIf(!hasKubectl)('stable gets a bigger volume than canary; rings differ only where meant to', () => {
    const gi = (ring: string) =>
      Number.parseInt(one(render(ring), 'PersistentVolumeClaim').spec.resources.requests.storage, 10);
    expect(gi('stable')).toBeGreaterThan(gi('canary'));
    const images = new Set(
      RINGS.map((r) => one(render(r), 'Deployment').spec.template.spec.containers[0].image),
    );
    expect(images.size).toBe(1);
  });

  it('the example Ingress exposes only the GitHub webhook path', () => {
    const docs = parseAllDocuments(readFileSync(join(K8S, 'ingress.example.yaml'), 'utf8'));
    const objs = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as Obj);
    const ing = objs.find((o) => o.kind === 'Ingress')!;
    const paths = (ing.spec.rules as Obj[]).flatMap((r) => r.http.paths as Obj[]);
    expect(paths.map((p) => [p.path, p.pathType])).toEqual([['/hooks/github', 'Exact']]);
    for (const p of paths) expect(p.backend.service).toEqual({ name: 'ringlock', port: { number: 8080 } });
  });

  it('the README documents creating every secret key the Deployment references', () => {
    const readme = readFileSync(join(K8S, 'README.md'), 'utf8');
    expect(readme).toMatch(/kubectl .*create secret generic ringlock-secrets/);
    expect(readme).toContain('kubectl apply -k examples/kubernetes/overlays/canary');
    const deployment = readFileSync(join(K8S, 'base', 'deployment.yaml'), 'utf8');
    const keys = [
      ...deployment.matchAll(/secretKeyRef:\s*\n\s*name: ringlock-secrets\s*\n\s*key: (\S+)/g),
    ].map((m) => m[1]!);
    expect(keys.length).toBe(SECRET_ENV.length);
    for (const k of keys) expect(readme).toContain(`--from-literal=${k}=`);
  });
});
