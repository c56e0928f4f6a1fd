// Switching a module off (`"enabled": false` in the lock): onDisable per tenant from its active tree, then journaled,
// its link removed (the tree stays in the store for an instant re-enable, for target.retainRemoved), the state says
// `disabled`.
import { markUnlinked } from '../../state/retention.js';
import type { DeployedState, HistoryRecord, Outcome } from '../../state/types.js';
import { crashPoint } from '../crash.js';
import { type ModuleContext, now } from './context.js';
import { enabledTenants, storedTree, tenantHooks } from './run-hooks.js';

export async function disableModule(ctx: ModuleContext): Promise<Outcome> {
  const { action: a, deps, state, current, base } = ctx;
  const { target, store } = deps;
  if (!current || current.status === 'disabled') return 'skipped';
  const tree = storedTree(ctx, current.active.storeDir, current.active.version);
  // Journaled before its hooks: a kill while one runs leaves the hook's process group for recovery to stop.
  store.writeJournal({
    id: base.id,
    phase: 'installing',
    module: a.module,
    from: current.active.storeDir,
    record: { ...base, op: 'disable', to: current.active.version },
  });
  if (tree) await tenantHooks(ctx, 'onDisable', tree, enabledTenants(ctx));
  const record: HistoryRecord = { ...base, op: 'disable', to: current.active.version, finishedAt: now() };
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
  const next: DeployedState = { ...state, modules: { ...state.modules } };
  next.modules[a.module] = { ...current, status: 'disabled', since: record.finishedAt };
  delete next.modules[a.module]!.lastError;
  delete next.modules[a.module]!.failedVersion;
  // Its tree stays for the retention age (target.retainRemoved): re-enabling within it needs no download.
  store.write(markUnlinked(next, a.module, 'disabled', record.finishedAt));
  crashPoint('after-state');
  store.append(record);
  ctx.recorded = true;
  store.clearJournal();
  return 'succeeded';
}
