// The daemon's per-commit runtime: target, state, registry and notifications, built again from flags, environment
// and the ringlock.yaml of each commit whose config differs.
import type { CommitRuntime } from '../daemon/types.js';
import type { LoadedConfig } from '../model/config.js';
import type { ActivePublisher } from '../publish/types.js';
import type { StateStore } from '../state/types.js';
import { commitNotifications, type NotificationDeps } from './notifications.js';
import { operatorPolicy } from './operator.js';
import { publishersFor } from './publishers.js';
import { resolveRegistry } from './registry.js';
import { resolveRuntime } from './resolve.js';
import { hookRunnersFor } from './runners.js';
import type { RuntimeInput } from './types.js';

export type DaemonRuntimeDeps = NotificationDeps;

/** `runtimeFor` for the daemon. Flags and env decide where the target and state are; relative paths resolve against `input.cwd`. */
export function daemonRuntimeFor(
  input: RuntimeInput,
  deps: DaemonRuntimeDeps,
): (config: LoadedConfig | undefined) => CommitRuntime {
  const policy = operatorPolicy(input);
  // The hook runners are built at start: one that cannot be (its secret unset) stops the daemon before it listens.
  hookRunnersFor(policy.hooks, input.env);
  // A shared store is opened once and kept: its connection holds the ring's writer lease across commits.
  let shared: StateStore | undefined;
  // Publishers hold connections (ConfigMap, Redis): built again only when the target moves.
  let publishers: { root: string; list: ActivePublisher[] } | undefined;
  return (config) => {
    const base = config ? { root: input.cwd, cfg: config } : undefined;
    const rt = resolveRuntime(input, base);
    if (rt.store.kind === 'postgres') {
      if (shared) rt.store = shared;
      else shared = rt.store;
    }
    rt.actor = 'daemon';
    const { registry, cache } = resolveRegistry(input, base, rt);
    if (publishers?.root !== rt.target.root) {
      if (publishers) void Promise.allSettled(publishers.list.map((p) => p.close?.()));
      publishers = { root: rt.target.root, list: publishersFor(input, rt.target, deps.ring) };
    }
    return {
      rt,
      registry,
      cache,
      publishers: publishers.list,
      ...commitNotifications(input, policy, config, deps),
    };
  };
}
