// Pruning the store trees of modules no active module links to, once their retention age has passed (removed and
// disabled modules; see state/retention.ts). Runs at the start of a pass, under the writer lease, after recovery. It
// never fails the pass: a tree that cannot be deleted now is a warning, and stays recorded to be tried next pass.
import { clearUnlinked, DEFAULT_RETAIN_MS, dueForPruning, markUnlinked } from '../state/retention.js';
import type { StateStore } from '../state/types.js';
import type { DeployTarget } from '../targets/types.js';

export interface RetentionResult {
  /** Modules whose store trees were deleted. */
  pruned: string[];
  warnings: string[];
}

export function pruneRetained(
  deps: { target: Pick<DeployTarget, 'dropModuleStore' | 'storeModules'>; store: StateStore },
  retainMs: number = DEFAULT_RETAIN_MS,
  nowMs: number = Date.now(),
): RetentionResult {
  const out: RetentionResult = { pruned: [], warnings: [] };
  let due: ReturnType<typeof dueForPruning>;
  try {
    adoptOrphans(deps, nowMs);
    due = dueForPruning(deps.store.read(), nowMs, retainMs);
  } catch (e) {
    out.warnings.push(`retention: cannot read the state (${text(e)})`);
    return out;
  }
  for (const u of due) {
    try {
      deps.store.assertWriter?.();
      deps.target.dropModuleStore(u.module);
      deps.store.write(clearUnlinked(deps.store.read(), u.module));
      out.pruned.push(u.module);
    } catch (e) {
      out.warnings.push(
        `could not prune the retained store of ${u.module} (${u.reason} ${u.since}): ${text(e)}; tried again next pass`,
      );
    }
  }
  return out;
}

/**
 * Store trees of modules the state neither deploys nor retains (removed before retention was recorded, or a first
 * install that failed) start their retention now: they are pruned after the same age, never at once.
 */
function adoptOrphans(
  deps: { target: Pick<DeployTarget, 'storeModules'>; store: StateStore },
  nowMs: number,
): void {
  let state = deps.store.read();
  const known = new Set([...Object.keys(state.modules), ...(state.unlinked ?? []).map((u) => u.module)]);
  const orphans = deps.target.storeModules().filter((m) => !known.has(m));
  if (orphans.length === 0) return;
  const at = new Date(nowMs).toISOString();
  for (const m of orphans) state = markUnlinked(state, m, 'removed', at);
  deps.store.write(state);
}

function text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
