// The Kubernetes manifests: the real `kubectl kustomize` output of every ring overlay (and of stable-ha, the two-replica
// variant on the PostgreSQL store), parsed and checked object by object. The image itself is checked in
// dockerfile.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_NAME } from '../src/state/postgres/migrations.js';
import { validateK8s } from './support/k8s-validate.js';
import {
  egressAllows,
  hasKubectl,
  K8S,
  matches,
  type Obj,
  one,
  parseYaml,
  render,
  renderedText,
} from './support/kustomize.js';

const RINGS = ['canary', 'edge', 'stable'] as const;
/** Every overlay the generic checks run on; `ha`: two replicas on the PostgreSQL store (components/postgres-ha). */
const OVERLAYS = [
  ...RINGS.map((ring) => ({ overlay: ring as string, ring, ha: false })),
  { overlay: 'stable-ha', ring: 'stable', ha: true },
];
const SECRET_ENV = [
  'RINGLOCK_GIT_TOKEN',
  'RINGLOCK_WEBHOOK_SECRET',
  'RINGLOCK_API_TOKEN',
  'RINGLOCK_REGISTRY_TOKEN',
];
const SECRETISH = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_?KEY|DATABASE_URL|DSN/i;
/** A connection URL with credentials in it, wherever it appears in the rendered output. */
const URL_WITH_CREDENTIALS = /\b(postgres(ql)?|mysql|https?):\/\/[^/\s"']*@/i;
const DATA_MOUNT = '/var/lib/ringlock';

describe.each(OVERLAYS)('kustomize overlays/$overlay', ({ overlay, ring, ha }) => {
  const ns = `ringlock-${ring}`;
  const pod = () => one(render(overlay), 'Deployment').spec.template;
  const container = () => {
    const cs = pod().spec.containers as Obj[];
    expect(cs).toHaveLength(1);
    return cs[0]!;
  };
  const env = () => container().env as Obj[];

  it.skipIf(!hasKubectl)('renders exactly the expected kinds, all in the ring namespace and labelled', () => {
    const objs = render(overlay);
    expect(objs.map((o) => o.kind).sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'Namespace',
        'NetworkPolicy',
        'PersistentVolumeClaim',
        'Service',
        'ServiceAccount',
        ...(ha ? ['PodDisruptionBudget'] : []),
      ].sort(),
    );
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

  it.skipIf(!hasKubectl)('every object validates against the Kubernetes schemas', () => {
    expect(validateK8s(render(overlay))).toBeGreaterThan(5);
  });

  it.skipIf(!hasKubectl)('runs one writer per target, RING_NAME, args daemon', () => {
    const dep = one(render(overlay), 'Deployment');
    if (ha) {
      // The lease in PostgreSQL elects the writer: two replicas, rolled surge-first (details below).
      expect(dep.spec.replicas).toBe(2);
      expect(dep.spec.strategy.type).toBe('RollingUpdate');
    } else {
      // The file lock on the volume: one replica, the old pod gone before the new one starts, a stable hostname.
      expect(dep.spec.replicas).toBe(1);
      expect(dep.spec.strategy).toEqual({ type: 'Recreate' });
      expect(pod().spec.hostname).toBe('ringlock');
    }
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
      const objs = render(overlay);
      const pvc = one(objs, 'PersistentVolumeClaim');
      expect(pvc.spec.accessModes).toEqual([ha ? 'ReadWriteMany' : 'ReadWriteOnce']);
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
      if (byName['RINGLOCK_STATE'] !== undefined)
        expect(byName['RINGLOCK_STATE'].startsWith(`${DATA_MOUNT}/`)).toBe(true);
      const cache = byName['RINGLOCK_CACHE_DIR'];
      if (!ha) {
        if (cache !== undefined) expect(cache.startsWith(`${DATA_MOUNT}/`)).toBe(true);
      } else {
        // Per pod: two daemons fetching into one clone dir on the shared volume would sweep each other's clones.
        const m = mounts.find((x) => cache?.startsWith(`${x.mountPath}/`));
        expect(m, `RINGLOCK_CACHE_DIR ${cache} on a mount`).toBeDefined();
        expect(volumes.find((v) => v.name === m!.name)?.emptyDir).toBeDefined();
      }
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
    const sa = one(render(overlay), 'ServiceAccount');
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
    const objs = render(overlay);
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const name of [...SECRET_ENV, ...(ha ? ['RINGLOCK_DATABASE_URL'] : [])]) {
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
    expect(renderedText(overlay)).not.toMatch(URL_WITH_CREDENTIALS);
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
    const objs = render(overlay);
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
    // Egress stays open: git and the registry (443), DNS, and with the PostgreSQL store the database (5432).
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
    const open: [number, string][] = [
      [443, 'TCP'],
      [53, 'UDP'],
      ...(ha ? [[5432, 'TCP'] as [number, string]] : []),
    ];
    for (const [port, proto] of open)
      expect(egressAllows(policies, labels, port, proto), `egress to ${port}/${proto}`).toBe(true);
  });
});

describe('two replicas on PostgreSQL: overlays/stable-ha', () => {
  const objs = () => render('stable-ha');
  const dep = () => one(objs(), 'Deployment');
  const pod = () => dep().spec.template;
  const container = () => pod().spec.containers[0] as Obj;
  /** The container's environment as the kubelet builds it: the ConfigMap first, then `env` (which wins). */
  const effectiveEnv = (): Record<string, Obj> => {
    const cm = one(objs(), 'ConfigMap');
    const fromCm = Object.entries(cm.data as Record<string, string>).map(([name, value]) => [
      name,
      { name, value },
    ]);
    return Object.fromEntries([...fromCm, ...(container().env as Obj[]).map((e) => [e.name, e])]);
  };

  it.skipIf(!hasKubectl)('rolls surge-first: 2 replicas, RollingUpdate maxSurge 1 maxUnavailable 0', () => {
    // /readyz is true on a connected standby, so the surge pod becomes ready and the rollout progresses with both
    // old pods still there; the leader is stopped (SIGTERM: it finishes its operation) only once a standby is up.
    expect(dep().spec.replicas).toBe(2);
    expect(dep().spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    // Each pod its own hostname: the base's fixed one is for the single-replica file lock.
    expect(pod().spec.hostname).toBeUndefined();
  });

  it.skipIf(!hasKubectl)('spreads the replicas across nodes without stalling a surge', () => {
    const spread = (pod().spec.topologySpreadConstraints ?? []) as Obj[];
    const byNode = spread.find((t) => t.topologyKey === 'kubernetes.io/hostname');
    expect(byNode).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
    expect(matches(byNode!.labelSelector.matchLabels, pod().metadata.labels)).toBe(true);
    // A required anti-affinity would leave a rollout's third pod unschedulable on a two-node cluster.
    expect(
      pod().spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
    ).toBeUndefined();
  });

  it.skipIf(!hasKubectl)('has a PodDisruptionBudget of minAvailable 1 over the Deployment’s pods', () => {
    const pdb = one(objs(), 'PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.maxUnavailable).toBeUndefined();
    expect(pdb.spec.minAvailable).toBeLessThan(dep().spec.replicas);
    expect(matches(pdb.spec.selector.matchLabels, pod().metadata.labels)).toBe(true);
    expect(pdb.spec.selector.matchLabels).toEqual(dep().spec.selector.matchLabels);
    expect(pdb.metadata.namespace).toBe(dep().metadata.namespace);
  });

  it.skipIf(!hasKubectl)('uses the PostgreSQL store, its URL only from the Secret', () => {
    const env = effectiveEnv();
    expect(env['RINGLOCK_STATE_TYPE']?.value).toBe('postgres');
    expect(env['RINGLOCK_STATE_SCHEMA']?.value).toMatch(SCHEMA_NAME);
    expect(env['RINGLOCK_LEASE_TTL']?.value).toMatch(/^\d+(ms|s|m)$/);
    const url = (container().env as Obj[]).filter((e) => e.name === 'RINGLOCK_DATABASE_URL');
    expect(url).toEqual([
      {
        name: 'RINGLOCK_DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'ringlock-secrets', key: 'database-url', optional: false } },
      },
    ]);
    expect(one(objs(), 'ConfigMap').data['RINGLOCK_DATABASE_URL']).toBeUndefined();
    expect(renderedText('stable-ha')).not.toMatch(/postgres(ql)?:\/\//i);
  });

  it.skipIf(!hasKubectl)('shares one ReadWriteMany volume between the replicas', () => {
    const pvc = one(objs(), 'PersistentVolumeClaim');
    expect(pvc.spec.accessModes).toEqual(['ReadWriteMany']);
    const claims = (pod().spec.volumes as Obj[]).filter((v) => v.persistentVolumeClaim);
    expect(claims.map((v) => v.persistentVolumeClaim.claimName)).toEqual([pvc.metadata.name]);
  });

  it.skipIf(!hasKubectl)(
    'egress.example.yaml, on a deny-by-default cluster, keeps 5432, DNS and 443 open',
    () => {
      const example = parseYaml(
        readFileSync(join(K8S, 'egress.example.yaml'), 'utf8'),
        'egress.example.yaml',
      );
      const policies = [...objs().filter((o) => o.kind === 'NetworkPolicy'), ...example];
      const labels = pod().metadata.labels;
      for (const [port, proto] of [
        [5432, 'TCP'],
        [53, 'UDP'],
        [53, 'TCP'],
        [443, 'TCP'],
      ] as const)
        expect(egressAllows(policies, labels, port, proto), `egress to ${port}/${proto}`).toBe(true);
      // It restricts: a port it does not list is dropped.
      expect(egressAllows(policies, labels, 22)).toBe(false);
    },
  );
});

describe('kubernetes examples across rings', () => {
  it.skipIf(!hasKubectl)('stable gets a bigger volume than canary; rings differ only where meant to', () => {
    const gi = (ring: string) =>
      Number.parseInt(one(render(ring), 'PersistentVolumeClaim').spec.resources.requests.storage, 10);
    expect(gi('stable')).toBeGreaterThan(gi('canary'));
    const images = new Set(
      OVERLAYS.map((o) => one(render(o.overlay), 'Deployment').spec.template.spec.containers[0].image),
    );
    expect(images.size).toBe(1);
  });

  it.skipIf(!hasKubectl)('stable-ha keeps the stable ring, its volume size and resources', () => {
    const [s, h] = [render('stable'), render('stable-ha')];
    expect(one(h, 'PersistentVolumeClaim').spec.resources).toEqual(
      one(s, 'PersistentVolumeClaim').spec.resources,
    );
    const c = (objs: Obj[]) => one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c(h).resources).toEqual(c(s).resources);
    expect(c(h).env.find((e: Obj) => e.name === 'RING_NAME')).toEqual({ name: 'RING_NAME', value: 'stable' });
  });

  it('the example Ingress exposes only the GitHub webhook path', () => {
    const objs = parseYaml(readFileSync(join(K8S, 'ingress.example.yaml'), 'utf8'), 'ingress.example.yaml');
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

  it('the README documents the two-replica variant: its secret key and the grants on every table', () => {
    const readme = readFileSync(join(K8S, 'README.md'), 'utf8');
    expect(readme).toContain('kubectl apply -k examples/kubernetes/overlays/stable-ha');
    const patch = readFileSync(join(K8S, 'components', 'postgres-ha', 'deployment-patch.yaml'), 'utf8');
    const keys = [...patch.matchAll(/secretKeyRef:\s*\n\s*name: ringlock-secrets\s*\n\s*key: (\S+)/g)].map(
      (m) => m[1]!,
    );
    expect(keys).toEqual(['database-url']);
    expect(readme).toContain('database-url=');
    // The runtime role's grants name every table of the schema (a new table without its grant fails here).
    const grants = [...readme.matchAll(/^GRANT .*$/gm)].map((m) => m[0]).join('\n');
    const tables = MIGRATIONS.flatMap((m) => [...m.sql('s').matchAll(/CREATE (?:TABLE|VIEW) s\.(\w+)/g)]).map(
      (m) => m[1]!,
    );
    expect(tables.length).toBeGreaterThan(0);
    for (const t of tables) expect(grants, `a GRANT on ${t}`).toMatch(new RegExp(`\\bringlock\\.${t}\\b`));
    expect(grants).not.toMatch(/(UPDATE|DELETE|TRUNCATE)[^;]*ringlock\.history\b/);
  });
});
