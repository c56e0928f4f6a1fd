// The sidecar layout (examples/kubernetes/sidecar): the real `kubectl kustomize` output of every ring overlay, validated
// against the Kubernetes schemas (support/k8s-validate.ts), and checked for what makes the layout work: a native sidecar
// whose readiness keeps the pod out of its Service until the first sync (the platform container starting at once), one volume both containers mount where the relative links
// resolve, the RBAC exactly as documented, secrets only in ringlock. Components and docs: kubernetes-sidecar-components.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';
import { validateK8s } from './support/k8s-validate.js';
import { hasKubectl, matches, type Obj, one, render, renderedText } from './support/kustomize.js';
import {
  appOf,
  EXEC_RULES,
  envOf,
  operatorConfig,
  overlay,
  podOf,
  RINGS,
  role,
  SECRET_KEYS,
  SECRETISH,
  sidecarOf,
  URL_WITH_CREDENTIALS,
} from './support/sidecar-manifests.js';

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
          'ConfigMap/ringlock-config',
          'ConfigMap/ringlock-operator-config',
          'Deployment/platform',
          `Namespace/${ns}`,
          'NetworkPolicy/platform',
          'Role/ringlock-hooks-exec',
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
    'runs ringlock as a native sidecar: the pod is ready once synced, the platform starts at once',
    () => {
      const s = sidecarOf(objs());
      expect(s.restartPolicy).toBe('Always');
      expect(s.args).toEqual(['daemon']);
      expect(envOf(s)['RING_NAME']).toEqual({ name: 'RING_NAME', value: ring });
      // No startupProbe: it would hold `app` back, while the first sync runs its hooks by exec into `app` (a
      // deadlock). A sidecar's readiness counts for the pod's: /readyz?synced is 200 only after a pass left the
      // modules folder matching the lock (test/sidecar-e2e.test.ts proves the endpoint).
      expect(s.startupProbe).toBeUndefined();
      expect(s.readinessProbe.httpGet).toEqual({ path: '/readyz?synced', port: 8080 });
      expect(s.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8080 });
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
      // No ConfigMap publisher here (every replica would write the one ConfigMap), so no grant for it.
      expect(role(objs(), 'ringlock-active-modules')).toBeUndefined();
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
    "publishes to each pod's own active.json, never to one ConfigMap every replica would write",
    () => {
      expect(operatorConfig(objs()).publish).toEqual({ file: true });
      expect(
        objs().find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'ringlock-active'),
      ).toBeUndefined();
      expect(one(objs(), 'Deployment').spec.replicas).toBeGreaterThan(1);
    },
  );

  it.skipIf(!hasKubectl)("keeps module code out of ringlock's files: another uid, its own /tmp", () => {
    const s = sidecarOf(objs());
    const app = appOf(objs());
    const pod = podOf(objs());
    const uid = (c: Obj) => c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
    expect(uid(app)).not.toBe(uid(s));
    const tmpOf = (c: Obj) => (c.volumeMounts as Obj[]).find((m) => m.mountPath === '/tmp')?.name;
    expect(tmpOf(s)).toBeDefined();
    expect(tmpOf(app)).toBeDefined();
    expect(tmpOf(app)).not.toBe(tmpOf(s));
    // The sidecar's other volumes (its work dir, the operator config, the token) are not mounted in `app`.
    const appVolumes = (app.volumeMounts as Obj[]).map((m) => m.name).sort();
    expect(appVolumes).toEqual([tmpOf(app), 'modules'].sort());
  });

  it.skipIf(!hasKubectl)(
    'routes every hook point through a runner the config defines, never by a local file',
    () => {
      const hooks = operatorConfig(objs()).hooks;
      // Every hook point a module.json may name (its schema's lifecycle properties), none left to the default.
      const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', 'module.schema.json'), 'utf8'));
      expect(Object.keys(hooks.byHook).sort()).toEqual(
        Object.keys(schema.properties.lifecycle.properties).sort(),
      );
      for (const [point, runner] of Object.entries(hooks.byHook as Record<string, string>))
        expect(hooks.runners[runner], `${point} → ${runner}`).toBeDefined();
      expect(hooks.runners[hooks.defaultRunner]).toBeDefined();
      // Command hooks (the example platform's `php artisan …`) go through a runner too, never a local process.
      expect(hooks.runners[hooks.commandRunner]).toBeDefined();
      expect(hooks.commands).toBeUndefined();
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
