// The steps of a pass that the imperative commands share too: hold the target's writer lease, and recover.
import { recover } from '../apply/recover.js';
import { pruneRetained } from '../apply/retention.js';
import type { HistoryRecord, WriterLease } from '../state/types.js';
import type { ReconcileDeps, ReconcileHooks } from './types.js';

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

/**
 * Finishes or undoes what a crash interrupted (see apply/recover.ts), as deps.actor; then prunes the retained trees of
 * removed and disabled modules whose retention is over (never failing: warnings go to hooks.onEvent). Needs the
 * writer lock.
 */
export function recoverStep(
  deps: Pick<ReconcileDeps, 'target' | 'store' | 'actor' | 'retainRemovedMs'>,
  hooks: Pick<ReconcileHooks, 'onRecovered' | 'onEvent'> = {},
): HistoryRecord | undefined {
  const recovered = recover(deps, deps.actor);
  if (recovered) hooks.onRecovered?.(recovered);
  const retention = pruneRetained(deps, deps.retainRemovedMs);
  for (const message of retention.warnings) hooks.onEvent?.({ type: 'warning', message });
  return recovered;
}
