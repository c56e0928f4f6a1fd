// Removing a module the lock no longer names (`--prune`): onDisable per tenant (unless it was disabled already) and
// onRemove from its tree, then journaled, the path cleared, then state and history. A failed onRemove keeps it. Its
// store trees are retained (state.unlinked) and pruned by a later pass once target.retainRemoved has passed.
import { markUnlinked } from '../../state/retention.js';
import type { DeployedState, HistoryRecord, Outcome } from '../../state/types.js';
import { type ModuleContext, now } from './context.js';
import { enabledTenants, platformHook, storedTree, tenantHooks } from './run-hooks.js';

export async function removeModule(ctx: ModuleContext): Promise<Outcome> {
  const { action: a, deps, state, current, base } = ctx;
  const { target, store } = deps;
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
  const record: HistoryRecord = { ...base, op: 'remove', to: undefined, finishedAt: now() };
  store.writeJournal({
    id: record.id,
    phase: 'switching',
    module: a.module,
    from: current.active.storeDir,
    to: undefined,
    ...(ctx.path !== undefined ? { path: ctx.path } : {}),
    record,
  });
  target.activate(a.module, undefined, true, ctx.path);
  // Its store trees stay for the retention age (target.retainRemoved), then a later pass prunes them.
  store.write(markUnlinked(next, a.module, 'removed', record.finishedAt));
  store.append(record);
  ctx.recorded = true;
  store.clearJournal();
  return 'succeeded';
}
