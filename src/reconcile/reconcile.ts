// One reconcile pass — writer lease, recovery, observe, plan, apply, report — for `ringlock apply` (dry-run,
// confirmation, progress) and the daemon (backoff, suspension, supersede, logging). `ringlock plan` runs its observe
// step alone (observe.ts); the imperative commands use its lease and recovery steps (steps.ts).
import { applyPlan, type ModuleResult } from '../apply/engine.js';
import { killRunningHooks } from '../apply/hooks.js';
import { settleRecoveredModules } from '../apply/settle.js';
import { InputError } from '../errors.js';
import { recordBlocked } from '../state/blocked.js';
import type { WriterLease } from '../state/types.js';
import { observeAndPlan } from './observe.js';
import { recoverStep } from './steps.js';
import type {
  DesiredLock,
  PassReport,
  ReconcileDeps,
  ReconcileHooks,
  ReconcileOptions,
  RunReport,
} from './types.js';

/**
 * Makes the target match `desired.lock`, as far as the hooks allow. Throws what the steps throw; a busy target is
 * reported as outcome 'locked' only when hooks.onLockBusy is given.
 */
export function reconcile(
  deps: ReconcileDeps,
  desired: DesiredLock,
  options: ReconcileOptions,
  hooks?: ReconcileHooks & { onLockBusy?: undefined },
): Promise<PassReport>;
export function reconcile(
  deps: ReconcileDeps,
  desired: DesiredLock,
  options: ReconcileOptions,
  hooks: ReconcileHooks,
): Promise<RunReport>;
export async function reconcile(
  deps: ReconcileDeps,
  desired: DesiredLock,
  options: ReconcileOptions,
  hooks: ReconcileHooks = {},
): Promise<RunReport> {
  if (options.dryRun) return passed(await pass(deps, desired, options, hooks), hooks);
  let writer: WriterLease;
  try {
    writer = await deps.store.acquireWriter(options.holder, options.lockTimeoutMs);
  } catch (e) {
    if (hooks.onLockBusy && e instanceof InputError && e.code === 'target/locked') {
      hooks.onLockBusy(e);
      return { outcome: 'locked', results: [] };
    }
    throw e;
  }
  // A shared store's lease lost mid-run: the hook still running belongs to an operation another writer now owns.
  writer.onLost?.(() => killRunningHooks());
  const undo = hooks.onLocked?.(writer);
  try {
    return await passed(await pass(deps, desired, options, hooks), hooks);
  } finally {
    undo?.();
    writer.release();
  }
}

async function passed(report: PassReport, hooks: ReconcileHooks): Promise<PassReport> {
  await hooks.onPassed?.(report);
  return report;
}

async function pass(
  deps: ReconcileDeps,
  desired: DesiredLock,
  options: ReconcileOptions,
  hooks: ReconcileHooks,
): Promise<PassReport> {
  const dryRun = options.dryRun === true;
  const recovered = dryRun ? undefined : recoverStep(deps, hooks);
  const { plan, deployed, drift } = await observeAndPlan(deps, desired.lock, options, hooks);
  // A failure the lock no longer asks about is cleared: `list` and /status show the module active again.
  if (!dryRun) for (const m of settleRecoveredModules(deps.store, plan)) hooks.onSettled?.(m);
  // What the plan blocks is kept in the state (list, /status), and announced once per (module, reason).
  if (!dryRun) {
    const blocks = plan.actions.filter((a) => a.kind === 'blocked');
    const fresh = recordBlocked(deps.store, blocks, hooks.onBlocked !== undefined);
    if (fresh.length > 0) hooks.onBlocked?.(fresh);
  }
  hooks.onPlanned?.(plan, { deployed, drift });
  const report = { plan, work: plan, deployed, drift, recovered, results: [] as ModuleResult[] };
  if (dryRun) return { ...report, outcome: 'planned' };
  const suspended = hooks.suspended?.() ?? false;
  const work = hooks.select ? hooks.select(plan, deployed) : plan;
  const t = work.tenants;
  if (
    work.actions.every((a) => a.kind === 'noop' || a.kind === 'blocked') &&
    (t?.assigned.length ?? 0) + (t?.left.length ?? 0) === 0
  ) {
    // A tenant set that runs no hook (never recorded, or no module on) is only recorded.
    if (t) {
      deps.store.write({ ...deps.store.read(), tenants: t.set });
      deps.target.syncTenants?.(t.set);
    }
    return { ...report, work, outcome: 'noop' };
  }
  if (suspended) return { ...report, work, outcome: 'suspended' };
  if (hooks.confirm && !(await hooks.confirm(work))) return { ...report, work, outcome: 'declined' };
  const supersede = hooks.beforeApply?.(work);
  let results: ModuleResult[];
  try {
    results = await applyPlan(
      work,
      desired.lock,
      {
        target: deps.target,
        store: deps.store,
        registry: deps.registry,
        cache: deps.cache,
        supersede,
        onEvent: hooks.onEvent,
      },
      {
        ring: options.ring,
        actor: deps.actor,
        lockCommit: options.lockCommit,
        reason: options.reason,
        platform: desired.lock.platform,
        skipHooks: options.skipHooks,
        hookTimeoutMs: options.hookTimeoutMs,
        health: deps.health,
        moduleEnv: deps.moduleEnv,
        hookRunners: deps.hookRunners,
        tenants: options.tenants,
        keepVersions: deps.keepVersions,
        concurrency: options.concurrency,
        adopt: options.adopt,
      },
    );
  } finally {
    hooks.afterApply?.();
  }
  const superseded = results.some(
    (r) => r.outcome === 'superseded' || (r.outcome === 'skipped' && /superseded/.test(r.error ?? '')),
  );
  const failed = results.some((r) => r.outcome === 'failed' || r.outcome === 'rolled_back');
  return { ...report, work, results, outcome: superseded ? 'superseded' : failed ? 'failed' : 'succeeded' };
}
