// The hook runners of a caller: built once per operator config from every runner kind this build has — the local
// process and the http POST (apply/), the Kubernetes exec and job runners (kube/, added by the lead's merge).
import { buildRunners, type HookRunners, RUNNER_FACTORIES } from '../apply/hook-runner.js';
import type { HookRunnerConfig } from '../model/operator-config.js';

/** Every runner kind, in the order their factories are asked. */
const RUNNER_FACTORIES_ALL = [
  ...RUNNER_FACTORIES /*, ...KUBE_RUNNER_FACTORIES (lead: from '../kube/runners.js') */,
];

const built = new WeakMap<object, HookRunners>();

/**
 * The operator's runners, built once per config object (the daemon resolves its runtime per commit; the operator config
 * is read once). A runner that cannot be built (its secret's variable unset) refuses the start (exit 2).
 */
export function hookRunnersFor(config: HookRunnerConfig | undefined, env: NodeJS.ProcessEnv): HookRunners {
  if (config === undefined) return buildRunners(undefined, RUNNER_FACTORIES_ALL, env);
  let r = built.get(config);
  if (!r) {
    r = buildRunners(config, RUNNER_FACTORIES_ALL, env);
    built.set(config, r);
  }
  return r;
}
