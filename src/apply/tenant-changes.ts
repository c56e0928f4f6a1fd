// Tenants assigned to or gone from the ring since the last apply: onEnable (assigned) and onDisable (gone) once per
// tenant on every module that is on, from its active tree, each module's runs in a history record (op `tenants`); then
// the ring's tenant set is recorded in the state. A failed tenant hook is reported in the module's result and its record
// and never halts anything (a hook no runner can run refuses the run before, in hook-check.ts).
import type { PlanAction, TenantChange } from '../plan/types.js';
import type { EngineDeps, EngineOptions, ModuleResult } from './engine-types.js';
import { RUNS_TENANT_HOOKS as COVERED } from './hook-check.js';
import { moduleResult, now, startModule } from './steps/context.js';
import { storedTree, tenantHooks } from './steps/run-hooks.js';

export async function applyTenantChange(
  change: TenantChange,
  done: readonly ModuleResult[],
  deps: EngineDeps,
  opts: EngineOptions,
): Promise<ModuleResult[]> {
  const covered = new Set(
    done
      // A disabled module switched back on at another version ran onEnable for the ring's tenants too.
      .filter((r) => r.outcome === 'succeeded' && (COVERED.has(r.action) || r.lifecycle === 'enabled'))
      .map((r) => r.module),
  );
  const out: ModuleResult[] = [];
  const state = deps.store.read();
  for (const m of Object.values(state.modules).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (m.status === 'disabled' || covered.has(m.name)) continue;
    const v = m.active.version;
    const a: PlanAction = { module: m.name, kind: 'noop', from: v, to: v, reason: 'tenants changed' };
    const ctx = startModule(a, deps, opts);
    const tree = storedTree(ctx, m.active.storeDir, v);
    if (!tree) continue;
    const lifecycle = tree.manifest.lifecycle;
    const runs =
      (change.assigned.length > 0 && lifecycle?.onEnable !== undefined) ||
      (change.left.length > 0 && lifecycle?.onDisable !== undefined);
    if (!runs || opts.skipHooks) continue;
    const record = { ...ctx.base, op: 'tenants' as const, from: v, to: v };
    // Journaled while the hooks run: a kill leaves a journal whose hook group recovery stops.
    deps.store.writeJournal({
      id: record.id,
      phase: 'installing',
      module: m.name,
      from: m.active.storeDir,
      record,
    });
    if (change.assigned.length > 0) await tenantHooks(ctx, 'onEnable', tree, change.assigned);
    if (change.left.length > 0) await tenantHooks(ctx, 'onDisable', tree, change.left);
    deps.store.transaction(() => {
      deps.store.append({
        ...record,
        finishedAt: now(),
        ...(ctx.base.hooks ? { hooks: [...ctx.base.hooks] } : {}),
      });
      deps.store.clearJournal();
    });
    if (ctx.hooks.length > 0)
      out.push({ ...moduleResult(ctx, 'noop'), tenants: { assigned: change.assigned, left: change.left } });
  }
  // Recorded whatever the hooks did: a failed tenant hook is reported, not retried on every pass.
  const s = deps.store.read();
  s.tenants = change.set;
  deps.store.write(s);
  // A target that routes per tenant (the pointer target's tenant keys) follows the recorded set.
  deps.target.syncTenants?.(change.set);
  return out;
}
