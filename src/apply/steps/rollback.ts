// Switching back after a failed (or superseded) health check: the version active before is put back and recorded.
import type { DeployedState, InstalledVersion, Outcome } from '../../state/types.js';
import { crashPoint } from '../crash.js';
import { linkedDir, type ModuleContext, now } from './context.js';

/**
 * Puts the version active before back (a failed first install is removed). `quarantine`: the new version failed its
 * health check here, so later plans block it instead of looping; a superseded check proved nothing, so it is not.
 */
export function switchBack(
  ctx: ModuleContext,
  failed: InstalledVersion,
  reason: string,
  quarantine = true,
): Outcome {
  const { action: a, deps, state, current, base } = ctx;
  const { target, store } = deps;
  deps.onEvent?.({ type: 'step', module: a.module, step: 'rollback' });
  const q = quarantine
    ? {
        module: a.module,
        version: failed.version,
        integrity: failed.integrity,
        sha256: failed.sha256,
        reason,
        at: now(),
      }
    : undefined;
  const j = store.readJournal();
  if (j && q) store.writeJournal({ ...j, quarantine: q });
  store.assertWriter?.();
  // A failed enable goes back to what it was: disabled, no link (not the tree that just failed).
  target.activate(a.module, linkedDir(current), true, ctx.path);
  crashPoint('after-auto-rollback');
  const next: DeployedState = { ...state, modules: { ...state.modules }, quarantine: [...state.quarantine] };
  if (current)
    next.modules[a.module] = {
      ...current,
      status: q && current.status !== 'disabled' ? 'rolled_back' : current.status,
      ...(q ? { lastError: reason, failedVersion: failed.version } : {}),
    };
  else delete next.modules[a.module];
  if (q) {
    next.quarantine = next.quarantine.filter((x) => !(x.module === a.module && x.version === failed.version));
    next.quarantine.push(q);
  }
  const back = !current
    ? 'removed'
    : current.status === 'disabled'
      ? `left disabled at ${current.active.version}`
      : `rolled back to ${current.active.version}`;
  store.transaction(() => {
    store.write(next);
    store.append({
      ...base,
      finishedAt: now(),
      outcome: q ? 'rolled_back' : 'superseded',
      error: `${reason}; ${back}${q ? '; quarantined' : ''}`,
    });
    store.clearJournal();
  });
  return q ? 'rolled_back' : 'superseded';
}
