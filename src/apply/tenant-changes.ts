// Tenants assigned to or gone from the ring since the last apply: onEnable (assigned) and onDisable (gone) once per
// tenant on every module that is on, from its active tree; then the ring's tenant set is recorded in the state. A
// failed tenant hook is reported in the module's result and never halts anything.
import type { PlanAction, TenantChange } from '../plan/types.js';
import type { EngineDeps, EngineOptions, ModuleResult } from './engine-types.js';
import { moduleResult, startModule } from './steps/context.js';
import { storedTree, tenantHooks } from './steps/run-hooks.js';

/** Modules whose operation in this run already ran the per-tenant hooks for the ring's current tenants. */
const COVERED = new Set<PlanAction['kind']>(['install', 'enable', 'remove', 'disable']);

export async function applyTenantChange(
  change: TenantChange,
  done: readonly ModuleResult[],
  deps: EngineDeps,
  opts: EngineOptions,
): Promise<ModuleResult[]> {
  const covered = new Set(
    done.filter((r) => r.outcome === 'succeeded' && COVERED.has(r.action)).map((r) => r.module),
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
    if (change.assigned.length > 0) await tenantHooks(ctx, 'onEnable', tree, change.assigned);
    if (change.left.length > 0) await tenantHooks(ctx, 'onDisable', tree, change.left);
    if (ctx.hooks.length > 0)
      out.push({ ...moduleResult(ctx, 'noop'), tenants: { assigned: change.assigned, left: change.left } });
  }
  // Recorded whatever the hooks did: a failed tenant hook is reported, not retried on every pass.
  const s = deps.store.read();
  s.tenants = change.set;
  deps.store.write(s);
  return out;
}
