// The observe-and-plan step of a pass, which `ringlock plan` runs alone: kept apart from the steps that write, so the
// plan command loads neither the engine nor its archive readers (its start-up is measured: npm run bench -- plan).
import { detectConflicts } from '../apply/conflicts.js';
import type { RingLock } from '../model/types.js';
import { plan as planPure } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import type { ObserveDeps, Observed, PlanOptions, ReconcileHooks } from './types.js';

/** Observes the target (state + drift + what ringlock did not put there) and plans the lock onto it. Writes nothing. */
export async function observeAndPlan(
  deps: ObserveDeps,
  lock: RingLock,
  options: PlanOptions,
  hooks: Pick<ReconcileHooks, 'onDriftChecked'> = {},
): Promise<Observed & { plan: Plan }> {
  const deployed = deps.store.read();
  const quick = typeof options.quickDrift === 'function' ? options.quickDrift() : options.quickDrift;
  const drift = await deps.target.observeDrift(
    deployed,
    quick,
    options.tenants || options.tenantMap || options.lockOrder
      ? {
          ...(options.tenants ? { tenants: options.tenants } : {}),
          ...(options.tenantMap ? { tenantMap: options.tenantMap } : {}),
          ...(options.lockOrder ? { lockOrder: options.lockOrder } : {}),
        }
      : undefined,
  );
  hooks.onDriftChecked?.(drift, quick);
  const platform = typeof options.platform === 'function' ? options.platform() : options.platform;
  const conflicts = detectConflicts(deps.target, deployed, lock.modules);
  const plan = planPure({
    lock,
    deployed,
    drift,
    conflicts,
    policy: { prune: options.prune === true || deps.prune, platform, adopt: options.adopt },
    tenants: options.tenants,
  });
  return { plan, deployed, drift };
}
