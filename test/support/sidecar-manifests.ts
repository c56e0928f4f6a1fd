// The sidecar layout's manifests as the tests read them: `kubectl kustomize` of a ring's overlay (and with components
// added the way an operator adds them), the parts of its pod, its operator config, and the Roles as documented.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, expect } from 'vitest';
import { parse as parseYamlDoc } from 'yaml';
import { K8S, type Obj, one, parseYaml } from './kustomize.js';

export const RINGS = ['canary', 'edge', 'stable'] as const;
export const SIDECAR = join(K8S, 'sidecar');
export const overlay = (ring: string) => `../sidecar/overlays/${ring}`;
export const SECRET_KEYS = ['webhook-secret', 'api-token', 'git-token', 'registry-token'];
export const SECRETISH = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_?KEY|DATABASE_URL|DSN/i;
export const URL_WITH_CREDENTIALS = /\b(postgres(ql)?|mysql|redis|https?):\/\/[^/\s"']*@/i;
/** The Roles exactly as the manifests' comments and the README document them. */
export const EXEC_RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
  { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
];
export const ACTIVE_RULES = [
  {
    apiGroups: [''],
    resources: ['configmaps'],
    resourceNames: ['ringlock-active'],
    verbs: ['get', 'update', 'patch'],
  },
];
export const JOB_RULES = [
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An overlay with components added, the way an operator opts in: `components: [...]` beside the ring's overlay. */
export function renderWith(ring: string, components: string[]): Obj[] {
  return renderLayoutWith(SIDECAR, `platform-${ring}`, ring, components);
}

/** The shared-volume layout (examples/kubernetes/overlays, components) with components added the same way. */
export function renderSharedWith(ring: string, components: string[]): Obj[] {
  return renderLayoutWith(K8S, `ringlock-${ring}`, ring, components);
}

function renderLayoutWith(layout: string, namespace: string, ring: string, components: string[]): Obj[] {
  const dir = mkdtempSync(join(tmpdir(), 'ringlock-kustomize-'));
  dirs.push(dir);
  const rel = (p: string) => relative(dir, p);
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `namespace: ${namespace}`,
      'resources:',
      `  - ${rel(join(layout, 'overlays', ring))}`,
      'components:',
      ...components.map((c) => `  - ${rel(join(layout, 'components', c))}`),
      '',
    ].join('\n'),
  );
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize with ${components.join(', ')} failed:\n${r.stderr}`);
  return parseYaml(r.stdout, `overlays/${ring} + ${components.join(', ')}`);
}

export const podOf = (objs: Obj[]) => one(objs, 'Deployment').spec.template;
export const sidecarOf = (objs: Obj[]) => {
  const init = podOf(objs).spec.initContainers as Obj[];
  expect(init.map((c) => c.name)).toEqual(['ringlock']);
  return init[0]!;
};
export const appOf = (objs: Obj[]) => {
  const cs = podOf(objs).spec.containers as Obj[];
  expect(cs.map((c) => c.name)).toEqual(['app']);
  return cs[0]!;
};
export const envOf = (c: Obj) => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e]));
export const operatorConfig = (objs: Obj[]) => {
  const cm = objs.find(
    (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('ringlock-operator-config'),
  );
  expect(cm, 'the operator config ConfigMap').toBeDefined();
  return parseYamlDoc(cm!.data['operator-config.yaml']) as Obj;
};
export const role = (objs: Obj[], name: string) =>
  objs.find((o) => o.kind === 'Role' && o.metadata.name === name);
