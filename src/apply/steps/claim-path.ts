// Before anything else happens to a module: is its path ringlock's to change? What ringlock did not put there blocks
// the module, or with `--adopt` is moved aside as its own journaled operation.
import { randomUUID } from 'node:crypto';
import { OperationFailed } from '../../errors.js';
import { unmanagedReason } from '../../plan/plan.js';
import type { HistoryRecord } from '../../state/types.js';
import type { EngineDeps, EngineOptions } from '../engine-types.js';
import { type ModuleContext, now } from './context.js';

/** The error that blocks the module when its path holds what ringlock did not create (and `--adopt` is off). */
export function claimPath(ctx: ModuleContext): OperationFailed | undefined {
  const { action: a, deps, opts, current } = ctx;
  // The plan said so already; this also covers callers that plan without looking (and paths taken over since).
  const found = deps.target.inspect(a.module, current !== undefined, ctx.path);
  if (found.kind !== 'unmanaged') return undefined;
  if (!opts.adopt) {
    return new OperationFailed(
      'target/unmanaged-path',
      `${unmanagedReason(found.what)}; ${current ? `keeps ${current.active.version}` : 'stays uninstalled'}`,
    );
  }
  adoptPath(ctx, a.module, deps, opts, ctx.path);
  return undefined;
}

/**
 * Moves what ringlock did not create at the module's path into a dated backup (`--adopt`), as its own journaled
 * operation: a crash leaves it either in place or whole in the backup, with its history record.
 */
function adoptPath(
  ctx: ModuleContext,
  module: string,
  deps: EngineDeps,
  opts: EngineOptions,
  path?: string,
): void {
  const { target, store } = deps;
  const at = now();
  const record: HistoryRecord = {
    id: randomUUID(),
    ring: opts.ring,
    module,
    op: 'adopt',
    source: module,
    backup: target.adoptedPathFor(module, new Date(at)),
    actor: opts.actor,
    lockCommit: opts.lockCommit,
    startedAt: at,
    finishedAt: at,
    outcome: 'succeeded',
  };
  ctx.adoptId = record.id;
  store.writeJournal({
    id: record.id,
    phase: 'switching',
    module,
    ...(path !== undefined ? { path } : {}),
    record,
  });
  store.assertWriter?.();
  target.adopt(module, record.backup!, path);
  store.transaction(() => {
    store.append(record);
    store.clearJournal();
  });
}
