// After the switch: the afterSwitch hook, then wait for the module to report healthy; a failed hook, an unhealthy
// module, or one a newer commit no longer wants, is switched back.
import { parseDuration } from '../../model/duration.js';
import type { LockEntry } from '../../model/types.js';
import type { InstalledVersion, Outcome } from '../../state/types.js';
import { crashPoint } from '../crash.js';
import type { Supersede } from '../engine-types.js';
import { healthSpecFor, unresolvedHealthWarning, waitHealthy } from '../health.js';
import type { ModuleContext } from './context.js';
import type { Staged } from './install.js';
import { switchBack } from './rollback.js';
import { type HookTree, platformHook } from './run-hooks.js';

/**
 * The module's afterSwitch hook (clear caches, reload workers), after the switch and before the health check; a failure
 * switches the old version back and quarantines the new one, exactly like a failed health check.
 */
export async function afterSwitch(
  ctx: ModuleContext,
  tree: HookTree,
  installed: InstalledVersion,
): Promise<Outcome | undefined> {
  try {
    await platformHook(ctx, 'afterSwitch', tree, tree.version);
  } catch (e) {
    return switchBack(ctx, installed, `afterSwitch hook failed: ${(e as Error).message}`);
  }
  return undefined;
}

/** Undefined when the module is healthy (or has no health check); else the outcome of switching it back. */
export async function checkHealth(
  ctx: ModuleContext,
  entry: LockEntry,
  staged: Staged,
  installed: InstalledVersion,
): Promise<Outcome | undefined> {
  const { action: a, deps, opts } = ctx;
  const unresolved = unresolvedHealthWarning(staged.manifest, opts.health);
  if (unresolved) ctx.warnings.push(unresolved);
  const spec = healthSpecFor(staged.manifest, opts.health, parseDuration);
  if (!spec) return undefined;
  deps.onEvent?.({ type: 'step', module: a.module, step: 'health' });
  const h = await waitHealthy(spec, staged.abs, unwantedSignal(deps.supersede, a.module, entry), {
    moduleEnv: opts.moduleEnv,
    context: {
      RINGLOCK_MODULE: a.module,
      RINGLOCK_TO_VERSION: entry.version,
      RINGLOCK_SOURCE_PATH: staged.abs,
    },
  });
  crashPoint('after-health');
  if (h.aborted) {
    const why = `superseded by a newer commit during its health check (${h.reason ?? 'not yet healthy'})`;
    return switchBack(ctx, installed, why, false);
  }
  if (!h.healthy) return switchBack(ctx, installed, `health check failed: ${h.reason ?? 'unhealthy'}`);
  return undefined;
}

/** Aborts when the supersede signal fires and the newer state no longer pins `entry` for `module`. */
function unwantedSignal(s: Supersede | undefined, module: string, entry: LockEntry): AbortSignal | undefined {
  if (!s) return undefined;
  const c = new AbortController();
  const check = () => {
    if (s.signal.aborted && !c.signal.aborted && !s.stillWanted(module, entry)) c.abort();
  };
  check();
  s.signal.addEventListener('abort', check, { once: true });
  s.changed?.addEventListener('change', check);
  c.signal.addEventListener('abort', () => s.changed?.removeEventListener('change', check), { once: true });
  return c.signal;
}
