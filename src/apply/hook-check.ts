// Before anything is switched: every hook the run will start must be runnable — a reference needs a runner of the
// operator config. One that is not refuses the whole run (exit 2) with the hook and the fix, nothing changed.
import { InputError } from '../errors.js';
import type { ModuleManifest } from '../model/types.js';
import type { PlanAction, TenantChange } from '../plan/types.js';
import { readManifestInDir } from '../source/manifest-file.js';
import type { EngineDeps, EngineOptions } from './engine-types.js';
import { type HookName, unresolvedHooks } from './hooks.js';

/** What else than the actions decides which hooks a run starts: the ring's tenants and their change, disabled modules. */
export interface HookCheckScope {
  /** The tenants of the ring the state records (the ones a disable or removal runs onDisable for). */
  previousTenants?: readonly string[];
  /** The ring's tenant change in this run: its onEnable/onDisable run on every module that is on. */
  tenantChange?: TenantChange;
  /** Whether the state records the module as disabled. */
  disabled?: (module: string) => boolean;
}

/** The actions whose operation runs the per-tenant hooks for the ring's tenants itself (tenant-changes.ts skips them). */
export const RUNS_TENANT_HOOKS = new Set<PlanAction['kind']>(['install', 'enable', 'remove', 'disable']);

/** The hooks an action runs from the version it brings, and from the version active before it. */
function pointsOf(
  a: PlanAction,
  tenants: boolean,
  previous: boolean,
  scope: HookCheckScope,
): { next: HookName[]; current: HookName[] } {
  const t = (h: HookName) => (tenants ? [h] : []);
  const was = (h: HookName) => (previous ? [h] : []);
  const off = scope.disabled?.(a.module) === true;
  const points = ((): { next: HookName[]; current: HookName[] } => {
    switch (a.kind) {
      case 'install':
        return { next: ['onInstall', 'afterSwitch', ...t('onEnable')], current: [] };
      case 'upgrade':
      case 'reinstall':
        // A disabled module brought back at another version is enabled for the ring's tenants.
        return { next: ['onUpgrade', 'afterSwitch', ...(off ? t('onEnable') : [])], current: [] };
      case 'rollback':
        return { next: ['afterSwitch', ...(off ? t('onEnable') : [])], current: ['onDowngrade'] };
      case 'remove':
        return { next: [], current: [...(off ? [] : was('onDisable')), 'onRemove'] };
      case 'disable':
        return { next: [], current: was('onDisable') };
      case 'enable':
        return { next: ['afterSwitch', ...t('onEnable')], current: [] };
      default:
        return { next: [], current: [] };
    }
  })();
  // A tenant change runs its hooks on every module that is on and whose operation did not run them: from the active
  // tree of an unchanged module, from the new tree of one switched in this run.
  const change = scope.tenantChange;
  if (change && !RUNS_TENANT_HOOKS.has(a.kind) && a.kind !== 'blocked' && !off) {
    const hooks: HookName[] = [
      ...(change.assigned.length > 0 ? (['onEnable'] as const) : []),
      ...(change.left.length > 0 ? (['onDisable'] as const) : []),
    ];
    if (a.kind === 'noop') points.current.push(...hooks);
    else points.next.push(...hooks);
  }
  return { next: unique(points.next), current: unique(points.current) };
}

const unique = (xs: HookName[]) => [...new Set(xs)];

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
  scope: HookCheckScope = {},
): string[] {
  if (opts.skipHooks) return [];
  const problems: string[] = [];
  const tenants = (opts.tenants?.length ?? 0) > 0;
  const previous = (scope.previousTenants?.length ?? 0) > 0;
  for (const a of actions) {
    const points = pointsOf(a, tenants, previous, scope);
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
  tenantChange?: TenantChange,
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
      {
        previousTenants: state.tenants ?? opts.tenants,
        tenantChange,
        disabled: (m) => state.modules[m]?.status === 'disabled',
      },
    ),
  );
}
