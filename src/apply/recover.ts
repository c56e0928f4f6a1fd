// Recovery: before new work starts, finishes or undoes the one operation a crash interrupted (its journal says which).
import { randomUUID } from 'node:crypto';
import type { HistoryRecord } from '../state/types.js';
import type { EngineDeps } from './engine-types.js';
import { killOrphanHook } from './hooks.js';
import { now } from './steps/context.js';

/** Finishes or undoes an operation a crash interrupted, so the active link and the state agree before new work starts. */
export function recover(
  deps: Pick<EngineDeps, 'target' | 'store'>,
  actor: string,
): HistoryRecord | undefined {
  const { target, store } = deps;
  store.removeStaleTemps();
  const j = store.readJournal();
  let record: HistoryRecord | undefined;
  if (j) {
    // A shared store: act on the journal only while this process surely holds the lease.
    store.assertWriter?.();
    if (j.hookPgid !== undefined) killOrphanHook(j.hookPgid, j.id);
    const state = store.read();
    if (
      j.quarantine &&
      !state.quarantine.some((q) => q.module === j.quarantine!.module && q.version === j.quarantine!.version)
    ) {
      // The new version had failed its health check when the process stopped: keep it from going live again.
      state.quarantine.push(j.quarantine);
      store.write(state);
    }
    const m = state.modules[j.module];
    const recorded = m?.active.storeDir;
    const kept = m?.active.version;
    // Whether the state records the operation as done. An enable brings back the stored tree the state already names:
    // only the status says it completed (a disabled module whose enable was cut short stays disabled).
    const done =
      j.record.op === 'disable'
        ? m?.status === 'disabled'
        : j.record.op === 'enable'
          ? recorded === j.to && m?.status !== 'disabled'
          : recorded === j.to;
    if (j.record.op === 'adopt') {
      // One rename: either it happened (the backup exists; make sure the history says so) or nothing changed.
      if (
        j.record.backup !== undefined &&
        target.exists(j.record.backup) &&
        !store.history().some((h) => h.id === j.record.id)
      )
        store.append(j.record);
    } else if (j.phase === 'switching' && done) {
      // The state was written (for a removal: the module is gone from it): the operation completed; make sure its
      // audit record is there too and the disk matches.
      if (!store.history().some((h) => h.id === j.record.id)) store.append(j.record);
      target.activate(j.module, j.record.op === 'disable' ? undefined : j.to, true, j.path);
    } else {
      // The state still names the old version: put the disk back to it. Before the switch nothing was changed there,
      // and whatever is at the path now is left alone.
      // A disabled module goes back to no link, not to its stored tree.
      if (j.phase === 'switching')
        target.activate(j.module, m?.status === 'disabled' ? undefined : recorded, true, j.path);
      const what =
        j.phase === 'installing' ? `${kept ?? 'no version'} stays` : `restored ${kept ?? 'no version'}`;
      record = {
        id: randomUUID(),
        ring: j.record.ring,
        module: j.module,
        op: 'recover',
        from: j.record.to,
        to: kept,
        actor,
        startedAt: now(),
        finishedAt: now(),
        outcome: 'recovered',
        error: `interrupted during ${j.record.op}${j.phase === 'installing' ? ' before the switch' : ''} (the process stopped); ${what}`,
      };
      const r = record;
      store.transaction(() => {
        store.append(r);
        store.clearJournal();
      });
    }
    store.clearJournal();
  }
  // Housekeeping: what cannot be deleted now is tried again at the end of the pass.
  target.emptyTrash();
  return record;
}
