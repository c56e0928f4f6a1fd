// One module's operation, step by step: claim the path → take the prepared tree (journaled) → hook → switch →
// afterSwitch → health → per-tenant onEnable → record (a removal and a disable are steps/remove.ts, steps/disable.ts). Any failure is recorded and the target left on what the state
// records (steps/record.ts).
import { InputError } from '../errors.js';
import { lockEntry } from '../model/lock.js';
import type { RingLock } from '../model/types.js';
import type { PlanAction } from '../plan/types.js';
import type { EngineDeps, EngineOptions, ModuleResult } from './engine-types.js';
import { claimPath } from './steps/claim-path.js';
import { moduleResult, startModule } from './steps/context.js';
import { disableModule } from './steps/disable.js';
import { afterSwitch, checkHealth } from './steps/health-check.js';
import { takePrepared } from './steps/install.js';
import { afterRecorded, recordFailure, recordSuccess } from './steps/record.js';
import { removeModule } from './steps/remove.js';
import { preSwitchHook, tenantHooks } from './steps/run-hooks.js';
import { switchIn } from './steps/switch.js';

/** Applies one action of the plan; `prepared` gives the store dir of the module's verified tree once it is ready. */
export async function applyModule(
  a: PlanAction,
  lock: RingLock,
  deps: EngineDeps,
  opts: EngineOptions,
  prepared: () => Promise<string>,
  /** Resolves once every hook of the run is known to be runnable; throws InputError `hook/no-runner` otherwise. */
  runnable: () => Promise<void> = async () => {},
): Promise<ModuleResult> {
  const ctx = startModule(a, deps, opts);
  try {
    if (a.kind === 'remove' || a.kind === 'disable') await runnable();
    if (a.kind === 'remove') return moduleResult(ctx, await removeModule(ctx));
    if (a.kind === 'disable') return moduleResult(ctx, await disableModule(ctx));
    const entry = lockEntry(lock, a.module)!;
    ctx.path = entry.path;
    const refused = claimPath(ctx);
    if (refused) return moduleResult(ctx, 'blocked', refused);
    const staged = await takePrepared(ctx, entry, prepared);
    await runnable();
    const tree = { version: entry.version, abs: staged.abs, manifest: staged.manifest };
    await preSwitchHook(ctx, tree);
    const switched = switchIn(ctx, entry, staged);
    const undone =
      (await afterSwitch(ctx, tree, switched.installed)) ??
      (await checkHealth(ctx, entry, staged, switched.installed));
    if (undone) return moduleResult(ctx, undone);
    // A first install, or a module switched back on, is enabled for every tenant of the ring — before the record
    // (a failed tenant hook cannot fail the operation), so the record carries its runs and a kill leaves a journal.
    if (a.kind === 'install' || ctx.current?.status === 'disabled') await tenantHooks(ctx, 'onEnable', tree);
    return moduleResult(ctx, recordSuccess(ctx, switched));
  } catch (e) {
    // Recorded as succeeded already: one record, one outcome.
    if (ctx.recorded) return moduleResult(ctx, afterRecorded(ctx, e));
    if (e instanceof InputError && e.code === 'hook/no-runner') {
      // The whole run is refused before any hook or switch: nothing to record, nothing to undo.
      deps.store.clearJournal();
      throw e;
    }
    return moduleResult(ctx, 'failed', recordFailure(ctx, e));
  }
}
