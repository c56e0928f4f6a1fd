// The sidecar layout's optional components (a PVC for the modules, hooks as Jobs) rendered the way an operator adds
// them, the other example manifests against the Kubernetes schemas, and the docs of the layout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';
import { validateK8s } from './support/k8s-validate.js';
import { hasKubectl, K8S, type Obj, one, parseYaml, render } from './support/kustomize.js';
import {
  ACTIVE_RULES,
  JOB_RULES,
  operatorConfig,
  overlay,
  podOf,
  RINGS,
  renderSharedWith,
  renderWith,
  role,
  sidecarOf,
} from './support/sidecar-manifests.js';

const SIDECAR = join(K8S, 'sidecar');

describe('shared-volume components', () => {
  it.skipIf(!hasKubectl)(
    'components/active-configmap: one writer publishes the ConfigMap its Role names, with a token for that alone',
    () => {
      const objs = renderSharedWith('canary', ['active-configmap']);
      validateK8s(objs);
      const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'ringlock-active')!;
      expect(cm.data).toBeUndefined();
      expect(role(objs, 'ringlock-active-modules')!.rules).toEqual(ACTIVE_RULES);
      expect(ACTIVE_RULES[0]!.resourceNames).toEqual([cm.metadata.name]);
      expect(operatorConfig(objs).publish).toEqual({ file: true, configMap: { name: cm.metadata.name } });
      const dep = one(objs, 'Deployment');
      // One daemon per ring: one writer of the ConfigMap.
      expect(dep.spec.replicas ?? 1).toBe(1);
      const c = (dep.spec.template.spec.containers as Obj[])[0]!;
      const env = Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value]));
      const cfgMount = (c.volumeMounts as Obj[]).find((m) => m.name === 'operator-config')!;
      expect(env.RINGLOCK_OPERATOR_CONFIG).toBe(`${cfgMount.mountPath}/operator-config.yaml`);
      expect((c.volumeMounts as Obj[]).map((m) => m.name)).toContain('kube-api-access');
      expect(dep.spec.template.spec.automountServiceAccountToken).toBe(false);
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
      expect(role(objs, 'ringlock-active-modules')).toBeUndefined();
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
    expect(dep).toMatch(/readinessProbe:\n\s+httpGet:\n\s+path: \/readyz\?synced/);
    expect(dep).toMatch(/idempotent/);
  });
});
