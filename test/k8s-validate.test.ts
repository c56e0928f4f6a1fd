// The Kubernetes schema validator of the manifest tests (support/k8s-validate.ts) on objects made to be wrong: it must
// name the object and the field, catch a misspelt field as kubectl's strict validation does, and refuse unknown kinds.
import { describe, expect, it } from 'vitest';
import { k8sProblems, validateK8s } from './support/k8s-validate.js';
import type { Obj } from './support/kustomize.js';

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
