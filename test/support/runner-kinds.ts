// The hook-runner kinds the conformance suite (test/hook-runner-conformance.test.ts) runs the same hooks through. Each
// kind sets up what it needs and gives the operator config's `hooks.runners` with one runner named `r` that runs the
// hook's reference as a shell script body, the hook context on stdin (a job: in RINGLOCK_CONTEXT), plus the
// environment the apply needs (the runner's secrets). The Kubernetes kinds (exec, job) run against the stand-in API
// server (or a real cluster: kube-harness.ts).
import { startHookEndpoint } from './hook-endpoint.js';
import { kubeRunnerKinds } from './kube-runner-kinds.js';

export interface RunnerKindSetup {
  /** hooks.runners of the operator config: one runner named `r`. */
  runners: Record<string, unknown>;
  /** Environment for the ringlock process (the runner's secrets). */
  env?: Record<string, string>;
  teardown(): Promise<void>;
}

export interface RunnerKind {
  kind: string;
  setup(): Promise<RunnerKindSetup>;
}

const SECRET = 'conformance-hmac-key';

export const RUNNER_KINDS: RunnerKind[] = [
  {
    kind: 'argv',
    setup: async () => ({ runners: { r: ['sh', '-c', '{hook}'] }, teardown: async () => {} }),
  },
  {
    kind: 'http',
    setup: async () => {
      const endpoint = await startHookEndpoint(SECRET);
      return {
        runners: { r: { type: 'http', url: endpoint.url, secretEnv: 'RL_TEST_HOOK_SECRET' } },
        env: { RL_TEST_HOOK_SECRET: SECRET },
        teardown: () => endpoint.close(),
      };
    },
  },
  ...kubeRunnerKinds(),
];
