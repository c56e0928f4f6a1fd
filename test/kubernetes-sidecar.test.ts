// The sidecar layout (examples/kubernetes/sidecar): the real `kubectl kustomize` output of every ring overlay and of the
// PVC and job-runner components, validated against the Kubernetes schemas (support/k8s-validate.ts), and checked for
// what makes the layout work: a native sidecar that lets the platform start only after the first sync, one volume
// both containers mount where the relative links resolve, the RBAC exactly as documented, secrets only in ringlock.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYamlDoc } from 'yaml';
import { REPO_ROOT } from './helpers.js';
import { k8sProblems, validateK8s } from './support/k8s-validate.js';
import {
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
const SIDECAR = join(K8S, 'sidecar');
const overlay = (ring: string) => `../sidecar/overlays/${ring}`;
const SECRET_KEYS = ['webhook-secret', 'api-token', 'git-token', 'registry-token'];
const SECRETISH = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_?KEY|DATABASE_URL|DSN/i;
const URL_WITH_CREDENTIALS = /\b(postgres(ql)?|mysql|redis|https?):\/\/[^/\s"']*@/i;
/** The Roles exactly as the manifests' comments and the README document them. */
const EXEC_RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
  { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
];
const ACTIVE_RULES = [
  {
    apiGroups: [''],
    resources: ['configmaps'],
    resourceNames: ['ringlock-active'],
    verbs: ['get', 'update', 'patch'],
  },
];
const JOB_RULES = [
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An overlay with components added, the way an operator opts in: `components: [...]` beside the ring's overlay. */
function renderWith(ring: string, components: string[]): Obj[] {
  const dir = mkdtempSync(join(tmpdir(), 'ringlock-kustomize-'));
  dirs.push(dir);
  const rel = (p: string) => relative(dir, p);
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `namespace: platform-${ring}`,
      'resources:',
      `  - ${rel(join(SIDECAR, 'overlays', ring))}`,
      'components:',
      ...components.map((c) => `  - ${rel(join(SIDECAR, 'components', c))}`),
      '',
    ].join('\n'),
  );
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize with ${components.join(', ')} failed:\n${r.stderr}`);
  return parseYaml(r.stdout, `overlays/${ring} + ${components.join(', ')}`);
}

const podOf = (objs: Obj[]) => one(objs, 'Deployment').spec.template;
const sidecarOf = (objs: Obj[]) => {
  const init = podOf(objs).spec.initContainers as Obj[];
  expect(init.map((c) => c.name)).toEqual(['ringlock']);
  return init[0]!;
};
const appOf = (objs: Obj[]) => {
  const cs = podOf(objs).spec.containers as Obj[];
  expect(cs.map((c) => c.name)).toEqual(['app']);
  return cs[0]!;
};
const envOf = (c: Obj) => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e]));
const operatorConfig = (objs: Obj[]) => {
  const cm = objs.find(
    (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('ringlock-operator-config'),
  );
  expect(cm, 'the operator config ConfigMap').toBeDefined();
  return parseYamlDoc(cm!.data['operator-config.yaml']) as Obj;
};
const role = (objs: Obj[], name: string) => objs.find((o) => o.kind === 'Role' && o.metadata.name === name);

describe.each(RINGS)('sidecar overlays/%s', (ring) => {
  const objs = () => render(overlay(ring));
  const ns = `platform-${ring}`;

  it.skipIf(!hasKubectl)('every object validates against the Kubernetes schemas', () => {
    expect(validateK8s(objs())).toBeGreaterThan(5);
  });

  it.skipIf(!hasKubectl)(
    'renders the expected kinds in the platform namespace, ring-labelled, no Secret',
    () => {
      expect(
        objs()
          .map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`)
          .sort(),
      ).toEqual(
        [
          'ConfigMap/ringlock-active',
          'ConfigMap/ringlock-config',
          'ConfigMap/ringlock-operator-config',
          'Deployment/platform',
          `Namespace/${ns}`,
          'NetworkPolicy/platform',
          'Role/ringlock-active-modules',
          'Role/ringlock-hooks-exec',
          'RoleBinding/ringlock-active-modules',
          'RoleBinding/ringlock-hooks-exec',
          'Service/platform',
          'ServiceAccount/ringlock',
        ].sort(),
      );
      for (const o of objs()) {
        if (o.kind === 'Namespace')
          expect(o.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
        else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns);
        expect(o.metadata.labels['ringlock.dev/ring'], `${o.kind} ring label`).toBe(ring);
      }
      expect(podOf(objs()).metadata.labels['ringlock.dev/ring']).toBe(ring);
    },
  );

  it.skipIf(!hasKubectl)(
    'runs ringlock as a native sidecar that lets the platform start only once synced',
    () => {
      const s = sidecarOf(objs());
      expect(s.restartPolicy).toBe('Always');
      expect(s.args).toEqual(['daemon']);
      expect(envOf(s)['RING_NAME']).toEqual({ name: 'RING_NAME', value: ring });
      // The kubelet starts the platform container once this probe passed: /readyz?synced is 200 only after a pass
      // left the modules folder matching the lock (test/sidecar-e2e.test.ts proves the endpoint).
      expect(s.startupProbe.httpGet).toEqual({ path: '/readyz?synced', port: 8080 });
      expect(s.startupProbe.periodSeconds * s.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
      expect(s.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8080 });
      expect(s.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 8080 });
      const app = appOf(objs());
      expect(app.restartPolicy).toBeUndefined();
      // One network namespace: no two containers on one port, and ports named uniquely in the pod.
      const ports = [s, app].flatMap((c) => c.ports as Obj[]);
      expect(new Set(ports.map((p) => p.containerPort)).size).toBe(ports.length);
      expect(new Set(ports.map((p) => p.name)).size).toBe(ports.length);
      // Each pod its own writer on its own emptyDir: replicas and a surge-first rollout are safe.
      expect(one(objs(), 'Deployment').spec.strategy.type).toBe('RollingUpdate');
    },
  );

  it.skipIf(!hasKubectl)(
    'mounts one modules volume in both containers where the relative links resolve',
    () => {
      const pod = podOf(objs());
      const s = sidecarOf(objs());
      const app = appOf(objs());
      const volumes = pod.spec.volumes as Obj[];
      const modules = volumes.find((v) => v.name === 'modules')!;
      expect(modules.emptyDir).toBeDefined();
      const target = envOf(s)['RINGLOCK_TARGET']!.value as string;
      expect((s.volumeMounts as Obj[]).filter((m) => m.name === 'modules')).toEqual([
        { name: 'modules', mountPath: target },
      ]);
      expect((app.volumeMounts as Obj[]).filter((m) => m.name === 'modules')).toEqual([
        { name: 'modules', mountPath: '/app/modules', readOnly: true },
      ]);
      // The store the links point into (<target>/.ringlock/store) stays on that volume: no state elsewhere, no subPath.
      expect(envOf(s)['RINGLOCK_STATE']).toBeUndefined();
      for (const c of [s, app])
        for (const m of c.volumeMounts as Obj[]) {
          expect(m.subPath, `${c.name} ${m.mountPath}`).toBeUndefined();
          expect(volumes.map((v) => v.name)).toContain(m.name);
        }
      // The exec runner runs hooks in that container and maps {sourcePath} to where it mounts the volume.
      const runner = operatorConfig(objs()).hooks.runners.app;
      expect(runner).toMatchObject({ type: 'exec', container: app.name, targetMount: '/app/modules' });
    },
  );

  it.skipIf(!hasKubectl)(
    'keeps the daemon’s hardening: same security context, resources and secrets as its own pod',
    () => {
      const daemon = one(render(ring), 'Deployment').spec.template;
      const daemonC = daemon.spec.containers[0] as Obj;
      const pod = podOf(objs());
      const s = sidecarOf(objs());
      expect(pod.spec.securityContext).toEqual(daemon.spec.securityContext);
      expect(s.securityContext).toEqual(daemonC.securityContext);
      expect(s.resources).toEqual(daemonC.resources);
      expect(pod.spec.enableServiceLinks).toBe(false);
      expect(pod.spec.shareProcessNamespace).toBe(false);
      expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(90);
      const app = appOf(objs());
      expect(app.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      // The same secret keys as the daemon's own pod, by reference, and only in the sidecar.
      const refs = (c: Obj) =>
        (c.env as Obj[])
          .filter((e) => e.valueFrom?.secretKeyRef)
          .map((e) => [e.name, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key]);
      expect(refs(s)).toEqual(refs(daemonC));
      expect(refs(s).map((r) => r[2])).toEqual(SECRET_KEYS);
      for (const e of s.env as Obj[])
        if (SECRETISH.test(e.name)) expect(e.valueFrom?.secretKeyRef, e.name).toBeDefined();
      expect(app.env ?? []).toEqual([]);
      expect(app.envFrom).toBeUndefined();
      const cm = objs().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('ringlock-config'))!;
      expect(s.envFrom).toEqual([{ configMapRef: { name: cm.metadata.name } }]);
      expect(cm.data).toEqual(one(render(ring), 'ConfigMap').data);
    },
  );

  it.skipIf(!hasKubectl)(
    'meets Pod Security "restricted" in every container, as the namespace enforces',
    () => {
      // The rules of the restricted profile (kubernetes.io/docs/concepts/security/pod-security-standards) that a pod
      // spec can break; the namespace's admission would refuse the pod otherwise.
      const spec = podOf(objs()).spec;
      for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) expect(spec[f], f).toBeFalsy();
      const allowed = [
        'configMap',
        'csi',
        'downwardAPI',
        'emptyDir',
        'ephemeral',
        'persistentVolumeClaim',
        'projected',
        'secret',
      ];
      for (const v of spec.volumes as Obj[])
        expect(
          Object.keys(v)
            .filter((k) => k !== 'name')
            .every((k) => allowed.includes(k)),
          v.name,
        ).toBe(true);
      for (const c of [...(spec.initContainers as Obj[]), ...(spec.containers as Obj[])]) {
        const sc = c.securityContext ?? {};
        expect(sc.allowPrivilegeEscalation, c.name).toBe(false);
        expect(sc.privileged ?? false, c.name).toBe(false);
        expect(sc.capabilities?.drop, c.name).toContain('ALL');
        for (const cap of sc.capabilities?.add ?? []) expect(cap, c.name).toBe('NET_BIND_SERVICE');
        expect(sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot, c.name).toBe(true);
        expect(sc.runAsUser ?? spec.securityContext?.runAsUser, c.name).not.toBe(0);
        expect((sc.seccompProfile ?? spec.securityContext?.seccompProfile)?.type, c.name).toMatch(
          /^(RuntimeDefault|Localhost)$/,
        );
        for (const port of c.ports ?? []) expect(port.hostPort, c.name).toBeUndefined();
      }
    },
  );

  it.skipIf(!hasKubectl)(
    'gives an API token to the sidecar alone, for the Roles bound to its ServiceAccount',
    () => {
      const pod = podOf(objs());
      const sa = one(objs(), 'ServiceAccount');
      expect(pod.spec.serviceAccountName).toBe(sa.metadata.name);
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      expect(sa.automountServiceAccountToken).toBe(false);
      const tokenVolumes = (pod.spec.volumes as Obj[]).filter((v) =>
        (v.projected?.sources ?? []).some((x: Obj) => x.serviceAccountToken),
      );
      expect(tokenVolumes.map((v) => v.name)).toEqual(['kube-api-access']);
      const mounts = (c: Obj) => (c.volumeMounts as Obj[]).filter((m) => m.name === 'kube-api-access');
      expect(mounts(sidecarOf(objs()))).toEqual([
        {
          name: 'kube-api-access',
          mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
          readOnly: true,
        },
      ]);
      expect(mounts(appOf(objs()))).toEqual([]);
      // The downward API gives the exec runner its own pod.
      const env = envOf(sidecarOf(objs()));
      expect(env['POD_NAME']?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
      expect(env['POD_NAMESPACE']?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    },
  );

  it.skipIf(!hasKubectl)(
    'grants exactly the documented rules: no wildcard, no secrets, no cluster scope',
    () => {
      expect(role(objs(), 'ringlock-hooks-exec')!.rules).toEqual(EXEC_RULES);
      expect(role(objs(), 'ringlock-active-modules')!.rules).toEqual(ACTIVE_RULES);
      expect(objs().filter((o) => /^Cluster/.test(o.kind))).toEqual([]);
      for (const r of objs().filter((o) => o.kind === 'Role'))
        for (const rule of r.rules as Obj[]) {
          for (const f of ['apiGroups', 'resources', 'verbs', 'resourceNames'])
            expect(rule[f] ?? [], `${r.metadata.name} ${f}`).not.toContain('*');
          expect(rule.resources).not.toContain('secrets');
        }
      const sa = one(objs(), 'ServiceAccount');
      for (const b of objs().filter((o) => o.kind === 'RoleBinding')) {
        expect(b.roleRef).toEqual({
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Role',
          name: b.metadata.name,
        });
        expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: ns }]);
      }
    },
  );

  it.skipIf(!hasKubectl)(
    'ships the active-modules ConfigMap empty, the one the Role and the config name',
    () => {
      const cm = objs().find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'ringlock-active')!;
      expect(cm.data).toBeUndefined();
      expect(operatorConfig(objs()).publish).toEqual({ file: true, configMap: { name: cm.metadata.name } });
      expect(ACTIVE_RULES[0]!.resourceNames).toEqual([cm.metadata.name]);
    },
  );

  it.skipIf(!hasKubectl)(
    'routes every hook point through a runner the config defines, never by a local file',
    () => {
      const hooks = operatorConfig(objs()).hooks;
      for (const [point, runner] of Object.entries(hooks.byHook as Record<string, string>))
        expect(hooks.runners[runner], `${point} → ${runner}`).toBeDefined();
      expect(hooks.runners[hooks.defaultRunner]).toBeDefined();
      expect(hooks.commands).toBe('refuse');
      // exec and job runners get the context on stdin or in env: a local {contextFile} means nothing in another container.
      expect(JSON.stringify(hooks.runners)).not.toContain('{contextFile}');
    },
  );

  it.skipIf(!hasKubectl)(
    'Service and NetworkPolicy select the pod; no credentials anywhere in the output',
    () => {
      const labels = podOf(objs()).metadata.labels;
      const svc = one(objs(), 'Service');
      expect(matches(svc.spec.selector, labels)).toBe(true);
      const named = [sidecarOf(objs()), appOf(objs())].flatMap((c) => c.ports as Obj[]).map((p) => p.name);
      for (const p of svc.spec.ports as Obj[]) expect(named).toContain(p.targetPort);
      const np = one(objs(), 'NetworkPolicy');
      expect(matches(np.spec.podSelector.matchLabels, labels)).toBe(true);
      const open = (np.spec.ingress as Obj[]).flatMap((r) => r.ports as Obj[]).map((p) => p.port);
      expect(open.sort()).toEqual([8000, 8080]);
      const text = renderedText(overlay(ring));
      expect(text).not.toMatch(URL_WITH_CREDENTIALS);
      expect(text).not.toMatch(/gh[pousr]_[A-Za-z0-9]|github_pat_|-----BEGIN/);
    },
  );
});

describe('sidecar components', () => {
  it.skipIf(!hasKubectl)(
    'components/pvc: the modules on a ReadWriteOnce claim, one replica, Recreate',
    () => {
      const objs = renderWith('canary', ['pvc']);
      validateK8s(objs);
      const pvc = one(objs, 'PersistentVolumeClaim');
      expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
      expect(pvc.metadata.namespace).toBe('platform-canary');
      const volumes = podOf(objs).spec.volumes as Obj[];
      expect(volumes.find((v) => v.name === 'modules')).toEqual({
        name: 'modules',
        persistentVolumeClaim: { claimName: pvc.metadata.name },
      });
      const dep = one(objs, 'Deployment');
      expect(dep.spec.replicas).toBe(1);
      expect(dep.spec.strategy).toEqual({ type: 'Recreate' });
      // Everything else as the ring's overlay renders it.
      expect(sidecarOf(objs)).toEqual(sidecarOf(render(overlay('canary'))));
    },
  );

  it.skipIf(!hasKubectl)(
    'components/job-runner: the job Role instead of the exec one, Jobs mounting the claim',
    () => {
      const objs = renderWith('canary', ['pvc', 'job-runner']);
      validateK8s(objs);
      expect(role(objs, 'ringlock-hooks-exec')).toBeUndefined();
      expect(
        objs.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'ringlock-hooks-exec'),
      ).toBeUndefined();
      expect(role(objs, 'ringlock-hooks-job')!.rules).toEqual(JOB_RULES);
      expect(role(objs, 'ringlock-active-modules')!.rules).toEqual(ACTIVE_RULES);
      const cfg = operatorConfig(objs);
      const runner = cfg.hooks.runners[cfg.hooks.defaultRunner];
      expect(runner.type).toBe('job');
      const claim = one(objs, 'PersistentVolumeClaim').metadata.name;
      const vol = (runner.volumes as Obj[]).find((v) => v.persistentVolumeClaim?.claimName === claim);
      expect(vol, 'the Job mounts the modules claim').toBeDefined();
      expect(runner.volumeMounts).toContainEqual({
        name: vol!.name,
        mountPath: runner.targetMount,
        readOnly: true,
      });
      expect(runner.targetMount).toBe('/app/modules');
      // The image is pinned like the platform's, and the Job's pod gets no API token.
      expect(runner.image).toMatch(/:[\w][\w.-]*$/);
      expect(runner.image).not.toMatch(/:latest$/);
      expect(runner.podTemplate.spec.automountServiceAccountToken).toBe(false);
      expect(Object.keys(cfg.hooks.byHook)).toEqual(
        Object.keys(operatorConfig(render(overlay('canary'))).hooks.byHook),
      );
    },
  );
});

describe('the schema validator itself', () => {
  const deployment = (): Obj => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'platform' },
    spec: {
      selector: { matchLabels: { app: 'platform' } },
      template: {
        metadata: { labels: { app: 'platform' } },
        spec: {
          initContainers: [{ name: 'ringlock', image: 'ringlock:1', restartPolicy: 'Always' }],
          containers: [{ name: 'app', image: 'platform:1' }],
        },
      },
    },
  });

  it('accepts a valid Deployment and rejects broken ones, naming the object and the field', () => {
    expect(k8sProblems(deployment())).toEqual([]);
    const wrongType = deployment();
    wrongType.spec.replicas = 'two';
    expect(k8sProblems(wrongType)).toEqual([
      expect.stringMatching(/^Deployment\/platform: .*spec\/replicas must be integer/),
    ]);
    const noSelector = deployment();
    delete noSelector.spec.selector;
    expect(k8sProblems(noSelector).join('\n')).toMatch(/spec must have required property selector/);
    const noName = deployment();
    delete noName.spec.template.spec.containers[0].name;
    expect(k8sProblems(noName).join('\n')).toMatch(/containers\/0 must have required property name/);
    const badEnum = deployment();
    badEnum.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
    expect(k8sProblems(badEnum).join('\n')).toMatch(
      /imagePullPolicy must be equal to one of the allowed values/,
    );
    expect(() => validateK8s([deployment(), wrongType])).toThrow(
      /invalid Kubernetes objects:\nDeployment\/platform/,
    );
  });

  it('rejects a field the API does not know, however deep (a misspelt restartPolicy makes no sidecar)', () => {
    const typo = deployment();
    typo.spec.template.spec.initContainers[0] = {
      name: 'ringlock',
      image: 'ringlock:1',
      restartpolicy: 'Always',
    };
    expect(k8sProblems(typo)).toEqual([
      'Deployment/platform: unknown field /spec/template/spec/initContainers/0/restartpolicy',
    ]);
    const deep = deployment();
    deep.spec.template.spec.volumes = [{ name: 'modules', emptyDir: { sizelimit: '1Gi' } }];
    expect(k8sProblems(deep)).toEqual([
      'Deployment/platform: unknown field /spec/template/spec/volumes/0/emptyDir/sizelimit',
    ]);
    // Free-form maps (labels, ConfigMap data) take any key.
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', labels: { 'x/y': 'z' } },
      data: { any: 'v' },
    };
    expect(k8sProblems(cm)).toEqual([]);
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r' },
      rules: [{ verb: ['get'] }],
    };
    expect(k8sProblems(role).join('\n')).toMatch(/unknown field \/rules\/0\/verb/);
  });

  it('refuses a kind it has no schema for rather than passing it', () => {
    expect(k8sProblems({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toEqual([
      'Widget/w: no schema here for apiVersion example.com/v1 kind Widget',
    ]);
  });
});

describe('the other example manifests', () => {
  it('ingress.example.yaml and egress.example.yaml validate against the Kubernetes schemas', () => {
    for (const f of ['ingress.example.yaml', 'egress.example.yaml'])
      expect(validateK8s(parseYaml(readFileSync(join(K8S, f), 'utf8'), f)), f).toBeGreaterThan(0);
  });

  it.skipIf(!hasKubectl)(
    'both layouts run the same pinned ringlock image, and release-please bumps both',
    () => {
      for (const ring of RINGS)
        expect(sidecarOf(render(overlay(ring))).image).toBe(
          one(render(ring), 'Deployment').spec.template.spec.containers[0].image,
        );
      const config = JSON.parse(readFileSync(join(REPO_ROOT, 'release-please-config.json'), 'utf8'));
      const bumped = (config.packages['.']['extra-files'] as Obj[]).map((f) => f.path);
      for (const k of ['base', 'sidecar/base']) {
        const path = `examples/kubernetes/${k}/kustomization.yaml`;
        expect(readFileSync(join(REPO_ROOT, path), 'utf8')).toMatch(/newTag: \S+ # x-release-please-version/);
        expect(bumped).toContain(path);
      }
    },
  );
});

describe('the sidecar docs', () => {
  it('the README shows the command and the Secret in the platform namespace; the base comments the link layout', () => {
    const readme = readFileSync(join(K8S, 'README.md'), 'utf8');
    expect(readme).toContain('kubectl apply -k examples/kubernetes/sidecar/overlays/canary');
    expect(readme).toMatch(/kubectl -n "?platform-\$ring"? create secret generic ringlock-secrets/);
    const top = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(top).toContain('kubectl apply -k examples/kubernetes/sidecar/overlays/canary');
    const dep = readFileSync(join(SIDECAR, 'base', 'deployment.yaml'), 'utf8');
    expect(dep).toMatch(/RELATIVE/);
    expect(dep).toMatch(/startupProbe/);
  });
});
