// Before anything is switched: every hook the run will start must be runnable — a reference needs a runner of the
// operator config. One that is not refuses the whole run (exit 2) with the hook and the fix, nothing changed.
import { InputError } from '../errors.js';
import type { ModuleManifest } from '../model/types.js';
import type { PlanAction } from '../plan/types.js';
import { readManifestInDir } from '../source/manifest-file.js';
import type { EngineDeps, EngineOptions } from './engine-types.js';
import { type HookName, unresolvedHooks } from './hooks.js';

/** The hooks an action runs from the version it brings, and from the version active before it. */
function pointsOf(a: PlanAction, tenants: boolean): { next: HookName[]; current: HookName[] } {
  const t = (h: HookName) => (tenants ? [h] : []);
  switch (a.kind) {
    case 'install':
      return { next: ['onInstall', 'afterSwitch', ...t('onEnable')], current: [] };
    case 'upgrade':
    case 'reinstall':
      return { next: ['onUpgrade', 'afterSwitch'], current: [] };
    case 'rollback':
      return { next: ['afterSwitch'], current: ['onDowngrade'] };
    case 'remove':
      return { next: [], current: [...t('onDisable'), 'onRemove'] };
    case 'disable':
      return { next: [], current: t('onDisable') };
    case 'enable':
      return { next: ['afterSwitch', ...t('onEnable')], current: [] };
    default:
      return { next: [], current: [] };
  }
}

export function manifestAt(
  deps: Pick<EngineDeps, 'target'>,
  rel: string | undefined,
): ModuleManifest | undefined {
  if (rel === undefined || !deps.target.hasStore(rel)) return undefined;
  try {
    return readManifestInDir(deps.target.abs(rel), rel).manifest;
  } catch {
    return undefined;
  }
}

/**
 * The hooks of `actions` that no runner of the operator config can run, each naming the hook and the fix. `next` gives
 * the manifest of the version an action brings, `current` that of the version active before it (when known).
 */
export function unrunnableHooks(
  actions: readonly PlanAction[],
  next: (a: PlanAction) => ModuleManifest | undefined,
  current: (a: PlanAction) => { version: string; manifest: ModuleManifest } | undefined,
  opts: Pick<EngineOptions, 'skipHooks' | 'tenants' | 'hookRunners'>,
): string[] {
  if (opts.skipHooks) return [];
  const problems: string[] = [];
  const tenants = (opts.tenants?.length ?? 0) > 0;
  for (const a of actions) {
    const points = pointsOf(a, tenants);
    const m = points.next.length > 0 && a.to !== undefined ? next(a) : undefined;
    if (m && a.to !== undefined)
      problems.push(...unresolvedHooks(a.module, a.to, m, points.next, opts.hookRunners));
    const cur = points.current.length > 0 ? current(a) : undefined;
    if (cur)
      problems.push(
        ...unresolvedHooks(a.module, cur.version, cur.manifest, points.current, opts.hookRunners),
      );
  }
  return problems;
}

/** The refusal of a run (or a plan) with hooks no runner can run: exit 2, nothing applied. */
export function refuseUnrunnable(problems: readonly string[]): void {
  if (problems.length === 0) return;
  throw new InputError('hook/no-runner', `nothing was applied: ${problems.join('; ')}`, {
    expected: 'a runner for every hook given as a reference (operator config hooks.runners), or --skip-hooks',
    details: problems.map((message) => ({ rule: 'hook/no-runner', message, severity: 'error' as const })),
  });
}

/**
 * Throws an InputError listing every hook of `work` that no runner can run. `prepared` maps a module to its prepared
 * store dir (modules whose preparation failed are left out: they fail on their own).
 */
export function checkHookRunners(
  work: readonly PlanAction[],
  prepared: ReadonlyMap<string, string>,
  deps: Pick<EngineDeps, 'target' | 'store'>,
  opts: EngineOptions,
): void {
  if (opts.skipHooks) return;
  const state = deps.store.read();
  refuseUnrunnable(
    unrunnableHooks(
      work,
      (a) => manifestAt(deps, prepared.get(a.module)),
      (a) => {
        const cur = state.modules[a.module]?.active;
        const manifest = manifestAt(deps, cur?.storeDir);
        return cur && manifest ? { version: cur.version, manifest } : undefined;
      },
      opts,
    ),
  );
}
