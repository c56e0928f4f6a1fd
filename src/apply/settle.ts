// A failure is about the operation that failed, not about the module for ever: once the lock pins exactly what is
// deployed (the plan's action is a noop, so the tree also hashes right), or pins another version than the one that
// failed, the module is active again, whatever its last operation left in the state (failed, rolled back).
import type { Plan } from '../plan/types.js';
import type { StateStore } from '../state/types.js';

/** Marks modules whose state records a failure the lock no longer asks about `active`; returns their names. */
export function settleRecoveredModules(store: StateStore, plan: Plan): string[] {
  const state = store.read();
  const settled: string[] = [];
  for (const a of plan.actions) {
    if (a.unmanaged) continue;
    const d = Object.hasOwn(state.modules, a.module) ? state.modules[a.module] : undefined;
    if (!d || (d.status !== 'failed' && d.status !== 'rolled_back')) continue;
    const pinnedDeployed = a.kind === 'noop' && d.active.version === a.to;
    const lockMoved = d.failedVersion !== undefined && a.to !== d.failedVersion;
    if (!pinnedDeployed && !lockMoved) continue;
    const { lastError: _, failedVersion: __, ...rest } = d;
    state.modules[a.module] = { ...rest, status: 'active' };
    settled.push(a.module);
  }
  if (settled.length > 0) store.write(state);
  return settled;
}
