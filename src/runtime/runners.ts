// The hook runners of a caller: built once per operator config from every runner kind this build has — the local
// process and the http POST (apply/), the Kubernetes exec and job runners (kube/).
import {
  buildRunners,
  type HookRunners,
  RUNNER_FACTORIES,
  type RunnerFactory,
} from '../apply/hook-runner.js';
import { kubeRunnerFactories } from '../kube/runners.js';
import type { HookRunnerConfig } from '../model/operator-config.js';

/** Every runner kind, in the order their factories are asked; the Kubernetes ones read the caller's environment. */
const allFactories = (env: NodeJS.ProcessEnv): RunnerFactory[] => [
  ...RUNNER_FACTORIES,
  ...kubeRunnerFactories(env),
];

const built = new WeakMap<object, HookRunners>();

/**
 * The operator's runners, built once per config object (the daemon resolves its runtime per commit; the operator config
 * is read once). A runner that cannot be built (its secret's variable unset) refuses the start (exit 2).
 */
export function hookRunnersFor(config: HookRunnerConfig | undefined, env: NodeJS.ProcessEnv): HookRunners {
  if (config === undefined) return buildRunners(undefined, allFactories(env), env);
  let r = built.get(config);
  if (!r) {
    r = buildRunners(config, allFactories(env), env);
    built.set(config, r);
  }
  return r;
}
