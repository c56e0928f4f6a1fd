// The steps of a pass that the imperative commands share too: hold the target's writer lock, recover, observe + plan.
import { detectConflicts } from '../apply/conflicts.js';
import { recover } from '../apply/engine.js';
import type { RingLock } from '../model/types.js';
import { plan as planPure } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import type { HistoryRecord, WriterLease } from '../state/types.js';
import type { ObserveDeps, Observed, PlanOptions, ReconcileDeps, ReconcileHooks } from './types.js';

/** Runs `fn` holding the target's writer lock (waiting up to `timeoutMs` for another writer); releases it after. */
export async function withWriter<T>(
  store: Pick<ReconcileDeps['store'], 'acquireWriter'>,
  holder: string,
  timeoutMs: number,
  fn: (writer: WriterLease) => T | Promise<T>,
): Promise<T> {
  const writer = await store.acquireWriter(holder, timeoutMs);
  try {
    return await fn(writer);
  } finally {
    writer.release();
  }
}

/** Finishes or undoes what a crash interrupted (see apply/recover.ts), as deps.actor. Needs the writer lock. */
export function recoverStep(
  deps: Pick<ReconcileDeps, 'target' | 'store' | 'actor'>,
  hooks: Pick<ReconcileHooks, 'onRecovered'> = {},
): HistoryRecord | undefined {
  const recovered = recover(deps, deps.actor);
  if (recovered) hooks.onRecovered?.(recovered);
  return recovered;
}

/** Observes the target (state + drift + what ringlock did not put there) and plans the lock onto it. Writes nothing. */
export async function observeAndPlan(
  deps: ObserveDeps,
  lock: RingLock,
  options: PlanOptions,
  hooks: Pick<ReconcileHooks, 'onDriftChecked'> = {},
): Promise<Observed & { plan: Plan }> {
  const deployed = deps.store.read();
  const quick = typeof options.quickDrift === 'function' ? options.quickDrift() : options.quickDrift;
  const drift = await deps.target.observeDrift(deployed, quick);
  hooks.onDriftChecked?.(drift, quick);
  const platform = typeof options.platform === 'function' ? options.platform() : options.platform;
  const conflicts = detectConflicts(deps.target, deployed, Object.keys(lock.modules));
  const plan = planPure({
    lock,
    deployed,
    drift,
    conflicts,
    policy: { prune: options.prune === true || deps.prune, platform, adopt: options.adopt },
  });
  return { plan, deployed, drift };
}
