// The switch: journal the intent ("switching"), then make the stored version the module's active one on the target.
import type { LockEntry } from '../../model/types.js';
import type { DeployedModule, DeployedState, HistoryRecord, InstalledVersion } from '../../state/types.js';
import { crashPoint } from '../crash.js';
import { type ModuleContext, now } from './context.js';
import type { Staged } from './install.js';

/** What a switched-in module leaves to record once it is known healthy. */
export interface Switched {
  rel: string;
  installed: InstalledVersion;
  /** The state to write: the module active at the new version. */
  next: DeployedState;
  record: HistoryRecord;
}

export function switchIn(ctx: ModuleContext, entry: LockEntry, staged: Staged): Switched {
  const { action: a, deps, opts, state, current, base, startedAt } = ctx;
  const { target, store } = deps;
  const { rel, manifest } = staged;
  const installed: InstalledVersion = {
    version: entry.version,
    sha256: entry.sha256,
    integrity: entry.integrity,
    storeDir: rel,
    compatibility: manifest.compatibility,
    // The lock's: the manifest's dependencies on modules, the platform's own (@platform/sdk) left out.
    dependencies: entry.dependencies ?? manifest.dependencies ?? {},
  };
  const next = withModule(state, {
    name: a.module,
    ...(entry.path !== undefined ? { path: entry.path } : {}),
    active: installed,
    // A reinstall (same version) keeps the version before it as the one to roll back to.
    previous: current && current.active.version !== entry.version ? current.active : current?.previous,
    status: 'active',
    since: now(),
    origin: opts.origin ?? 'lock',
  });
  next.ring = opts.ring;
  if (opts.lockCommit) next.lockCommit = opts.lockCommit;
  const record: HistoryRecord = { ...base, finishedAt: startedAt };
  store.writeJournal({
    id: record.id,
    phase: 'switching',
    module: a.module,
    from: current?.active.storeDir,
    to: rel,
    ...(entry.path !== undefined ? { path: entry.path } : {}),
    record,
  });
  crashPoint('after-journal');
  deps.onEvent?.({ type: 'step', module: a.module, step: 'switch' });
  store.assertWriter?.();
  // A first install owns no path yet: whatever appeared there since the check above is refused, not replaced.
  target.activate(a.module, rel, current !== undefined, entry.path);
  ctx.switched = true;
  crashPoint('after-switch');
  return { rel, installed, next, record };
}

function withModule(state: DeployedState, m: DeployedModule): DeployedState {
  return { ...state, modules: { ...state.modules, [m.name]: m } };
}
