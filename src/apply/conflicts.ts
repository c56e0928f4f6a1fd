// Paths a module would take that hold something ringlock did not put there (drift itself is the target's to observe:
// DeployTarget.observeDrift).
import type { DeployedState } from '../state/types.js';
import type { DeployTarget } from '../targets/types.js';

/**
 * Module → what is at its path that ringlock did not put there (see DeployTarget.inspect), for every module the
 * lock names or the state records. One lstat per module: cheap enough for every plan.
 */
export function detectConflicts(
  target: DeployTarget,
  state: DeployedState,
  /** The modules the lock names, with where each is deployed when not at its name (the entry's `path`). */
  wanted: Readonly<Record<string, { path?: string }>>,
): Map<string, string> {
  const out = new Map<string, string>();
  const names = new Set([...Object.keys(wanted), ...Object.keys(state.modules)]);
  for (const name of [...names].sort()) {
    const recorded = Object.hasOwn(state.modules, name);
    const path = Object.hasOwn(wanted, name)
      ? wanted[name]!.path
      : recorded
        ? state.modules[name]!.path
        : undefined;
    const found = target.inspect(name, recorded, path);
    if (found.kind === 'unmanaged') out.set(name, found.what);
  }
  return out;
}
