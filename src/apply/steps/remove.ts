// Removing a module the lock no longer names (`--prune`): onDisable per tenant (unless it was disabled already) and
// onRemove from its tree, then journaled, the path cleared, then state and history. A failed onRemove keeps it. Its
// store trees are retained (state.unlinked) and pruned by a later pass once target.retainRemoved has passed.
import type { DeployedState, Outcome } from '../../state/types.js';
import { type ModuleContext, now } from './context.js';
import { enabledTenants, platformHook, storedTree, tenantHooks } from './run-hooks.js';
import { unlinkAndRecord } from './unlink.js';

export async function removeModule(ctx: ModuleContext): Promise<Outcome> {
  const { action: a, deps, state, current, base } = ctx;
  const { store } = deps;
  if (!current) return 'skipped';
  const tree = storedTree(ctx, current.active.storeDir, current.active.version);
  // Journaled before its hooks: a kill while one runs leaves the hook's process group for recovery to stop.
  store.writeJournal({
    id: base.id,
    phase: 'installing',
    module: a.module,
    from: current.active.storeDir,
    record: { ...base, op: 'remove', to: undefined },
  });
  if (tree) {
    if (current.status !== 'disabled') await tenantHooks(ctx, 'onDisable', tree, enabledTenants(ctx));
    await platformHook(ctx, 'onRemove', tree, current.active.version);
  }
  const next: DeployedState = { ...state, modules: { ...state.modules } };
  delete next.modules[a.module];
  const record = { ...base, op: 'remove' as const, to: undefined, finishedAt: now() };
  // Its store trees stay for the retention age (target.retainRemoved), then a later pass prunes them.
  return unlinkAndRecord(ctx, record, next, 'removed');
}
