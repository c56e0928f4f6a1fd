// Retention of store trees no active module links to (removed modules; disabled ones keep their trees installed but
// unlinked): the state records when each module became unlinked, and a later pass prunes those older than the
// configured age (`target.retainRemoved`, default 90 days). Plain functions over DeployedState: the caller writes.
import type { DeployedState, UnlinkedModule } from './types.js';

/** `target.retainRemoved` when the config does not say: the seeds keep deactivated bundles 90 days. */
export const DEFAULT_RETAIN_MS = 90 * 86_400_000;

/**
 * The module's link was removed (`removed`: it left the state; `disabled`: still installed, not linked): its store
 * trees are kept from `at` for the retention age, then pruned. An earlier record of the module is replaced.
 */
export function markUnlinked(
  state: DeployedState,
  module: string,
  reason: UnlinkedModule['reason'],
  at: string,
): DeployedState {
  const rest = (state.unlinked ?? []).filter((u) => u.module !== module);
  return { ...state, unlinked: [...rest, { module, reason, since: at }] };
}

/** The module is linked again (installed, enabled) or its trees were pruned: it is no longer up for pruning. */
export function clearUnlinked(state: DeployedState, module: string): DeployedState {
  if (!state.unlinked?.some((u) => u.module === module)) return state;
  const rest = state.unlinked.filter((u) => u.module !== module);
  const { unlinked: _, ...without } = state;
  return rest.length > 0 ? { ...state, unlinked: rest } : without;
}

/**
 * The unlinked modules whose retention is over at `nowMs`. A record of a module the state shows active again (a
 * stale record: it was linked by a path that did not clear it) is never due.
 */
export function dueForPruning(state: DeployedState, nowMs: number, retainMs: number): UnlinkedModule[] {
  return (state.unlinked ?? []).filter((u) => {
    const m = state.modules[u.module];
    if (m && (m.status as string) !== 'disabled') return false;
    const since = Date.parse(u.since);
    return Number.isFinite(since) && nowMs - since >= retainMs;
  });
}
