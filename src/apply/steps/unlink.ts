// The end that disabling and removing share: the switch to no link, journaled, then the state (with the retention
// record of the trees left in the store), the history record and the journal cleared — once, with one outcome.
import { markUnlinked } from '../../state/retention.js';
import type { DeployedState, HistoryRecord, Outcome } from '../../state/types.js';
import { crashPoint } from '../crash.js';
import type { ModuleContext } from './context.js';

/** Removes the module's link and records `record` with `next` as the state; its trees stay for target.retainRemoved. */
export function unlinkAndRecord(
  ctx: ModuleContext,
  record: HistoryRecord & { finishedAt: string },
  next: DeployedState,
  reason: 'removed' | 'disabled',
): Outcome {
  const { action: a, deps, current } = ctx;
  const { target, store } = deps;
  store.writeJournal({
    id: record.id,
    phase: 'switching',
    module: a.module,
    from: current?.active.storeDir,
    to: undefined,
    ...(ctx.path !== undefined ? { path: ctx.path } : {}),
    record,
  });
  store.assertWriter?.();
  target.activate(a.module, undefined, true, ctx.path);
  store.transaction(() => {
    store.write(markUnlinked(next, a.module, reason, record.finishedAt));
    crashPoint('after-state');
    store.append(record);
    store.clearJournal();
  });
  ctx.recorded = true;
  return 'succeeded';
}
