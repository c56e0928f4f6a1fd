// Switching a module off (`"enabled": false` in the lock): onDisable per tenant from its active tree, then journaled,
// its link removed (the tree stays in the store for an instant re-enable, for target.retainRemoved), the state says
// `disabled`.
import type { DeployedState, Outcome } from '../../state/types.js';
import { type ModuleContext, now } from './context.js';
import { enabledTenants, storedTree, tenantHooks } from './run-hooks.js';
import { unlinkAndRecord } from './unlink.js';

export async function disableModule(ctx: ModuleContext): Promise<Outcome> {
  const { action: a, deps, state, current, base } = ctx;
  const { store } = deps;
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
  const record = { ...base, op: 'disable' as const, to: current.active.version, finishedAt: now() };
  const next: DeployedState = { ...state, modules: { ...state.modules } };
  next.modules[a.module] = { ...current, status: 'disabled', since: record.finishedAt };
  delete next.modules[a.module]!.lastError;
  delete next.modules[a.module]!.failedVersion;
  // Its tree stays for the retention age (target.retainRemoved): re-enabling within it needs no download.
  return unlinkAndRecord(ctx, record, next, 'disabled');
}
