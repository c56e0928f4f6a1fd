// The operator configs the examples ship (the sidecar layout's exec and job variants, the micro-frontend platform)
// are valid as they are: each parses against the schema, and its hook runners and publishers build with the real
// factories, so an operator who copies one starts a daemon instead of reading an exit 2.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRunners, RUNNER_FACTORIES } from '../src/apply/hook-runner.js';
import { kubeRunnerFactories } from '../src/kube/runners.js';
import { buildPublishers } from '../src/runtime/publishers.js';
import { loadOperatorConfig } from '../src/source/operator-config.js';
import { FilesystemTarget } from '../src/targets/filesystem.js';

const root = join(import.meta.dirname, '..');
const EXAMPLES = [
  { file: 'examples/kubernetes/sidecar/base/operator-config.yaml' },
  { file: 'examples/kubernetes/sidecar/components/job-runner/operator-config.yaml' },
  { file: 'examples/kubernetes/components/active-configmap/operator-config.yaml' },
  { file: 'examples/microfrontend/operator.example.yaml' },
];

// The Kubernetes runners check at build time that a cluster configuration exists: a kubeconfig file (never read here).
const kubeDir = mkdtempSync(join(tmpdir(), 'ringlock-example-kube-'));
afterAll(() => rmSync(kubeDir, { recursive: true, force: true }));
const KUBECONFIG = join(kubeDir, 'kubeconfig');
writeFileSync(KUBECONFIG, '{}');

describe.each(EXAMPLES)('$file', ({ file }) => {
  const env = {
    KUBECONFIG,
    POD_NAME: 'platform-0',
    POD_NAMESPACE: 'ringlock-canary',
    RINGLOCK_REDIS_URL: 'redis://127.0.0.1:1',
  };

  it('is valid against the operator config schema', () => {
    expect(() => loadOperatorConfig(join(root, file), file)).not.toThrow();
  });

  it('builds every hook runner it defines with the real factories, and every publisher it enables', () => {
    const { config } = loadOperatorConfig(join(root, file), file);
    const runners = buildRunners(config.hooks, [...RUNNER_FACTORIES, ...kubeRunnerFactories(env)], env);
    expect([...runners.byName.keys()].sort()).toEqual(Object.keys(config.hooks?.runners ?? {}).sort());
    for (const [point, name] of Object.entries(config.hooks?.byHook ?? {}))
      expect(runners.byName.has(name), `byHook.${point} → ${name}`).toBe(true);
    const target = new FilesystemTarget(join(root, '.ringlock', 'example-operator-configs'), 'symlink');
    const publishers = buildPublishers({ operator: config, target, ring: 'canary', env });
    const enabled = [
      ...(config.publish?.file !== false ? ['file'] : []),
      ...(config.publish?.configMap ? ['configmap'] : []),
      ...(config.publish?.redis ? ['redis'] : []),
    ];
    expect(publishers.map((p) => p.name.split(' ')[0]!.toLowerCase())).toEqual(enabled);
  });
});
