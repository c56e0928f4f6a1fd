// The exec and job runner kinds for the hook-runner conformance suite (test/support/runner-kinds.ts adapts them):
// each sets up the stand-in API server (or a real cluster, see kube-harness.ts) and an operator-config runner `r`
// that runs the hook reference as a shell script body in the platform's container (exec) or a Job (job), the context
// on the script's stdin either way. Teardown fails when the stand-in saw an invalid or unexpected request.
import { kubeHarness } from './kube-harness.js';

export interface KubeRunnerKind {
  kind: string;
  setup(): Promise<{
    runners: Record<string, unknown>;
    env?: Record<string, string>;
    teardown(): Promise<void>;
  }>;
}

function kind(name: 'exec' | 'job'): KubeRunnerKind {
  return {
    kind: name,
    async setup() {
      const h = await kubeHarness();
      const runner =
        name === 'exec'
          ? { type: 'exec', container: h.container, argv: ['sh', '-c', '{hook}'] }
          : {
              type: 'job',
              image: h.image,
              // A Job has no stdin: the context (RINGLOCK_CONTEXT) is piped to the script like the other kinds get it.
              argv: ['sh', '-c', 'printf %s "$RINGLOCK_CONTEXT" | sh -c "$1"', 'ringlock-hook', '{hook}'],
            };
      return {
        runners: { r: runner },
        env: Object.fromEntries(
          Object.entries(h.env).filter((e): e is [string, string] => e[1] !== undefined),
        ),
        async teardown() {
          const problems = [...(h.standIn?.problems ?? [])];
          await h.close();
          if (problems.length > 0) throw new Error(`the Kubernetes stand-in saw:\n${problems.join('\n')}`);
        },
      };
    },
  };
}

export function kubeRunnerKinds(): KubeRunnerKind[] {
  return [kind('exec'), kind('job')];
}
