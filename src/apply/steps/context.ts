// One module's operation as the steps of apply-module.ts share it: the action, the engine's deps and options, the
// state as it was when the module's turn came, and the history record being built.
import { randomUUID } from 'node:crypto';
import type { RinglockError } from '../../errors.js';
import type { PlanAction } from '../../plan/types.js';
import type { DeployedModule, DeployedState, HistoryRecord } from '../../state/types.js';
import type { EngineDeps, EngineOptions, HookReport, ModuleOutcome, ModuleResult } from '../engine-types.js';

export const now = () => new Date().toISOString();

export interface ModuleContext {
  readonly action: PlanAction;
  readonly deps: EngineDeps;
  readonly opts: EngineOptions;
  /** The state read when this module's turn came. */
  readonly state: DeployedState;
  /** The module as that state records it; undefined when it is not installed. */
  readonly current: DeployedModule | undefined;
  /** The operation's history record; fields are added as the steps learn them (what was installed from where). */
  readonly base: HistoryRecord;
  readonly startedAt: string;
  /** Where the module is (to be) deployed when not at its name: the lock entry's `path`, else the state's. */
  path?: string;
  /** The module's path is ringlock's once the state records it or this operation has switched it in itself. */
  switched: boolean;
  /** The operation's history record is written: from here on nothing may record it again or change its outcome. */
  recorded: boolean;
  /** The journal id of an adoption this operation made first (claim-path.ts): its journal too is this operation's. */
  adoptId?: string;
  /** What went wrong without changing the outcome (pruning old versions): shown with the module's result. */
  readonly warnings: string[];
  /** The hooks run so far, in order. */
  readonly hooks: HookReport[];
}

/** What the module's path links to as the state records it: nothing for a disabled module (its tree stays stored). */
export function linkedDir(m: DeployedModule | undefined): string | undefined {
  return m?.status === 'disabled' ? undefined : m?.active.storeDir;
}

/** Reads the state and opens the history record of one module's operation. */
export function startModule(action: PlanAction, deps: EngineDeps, opts: EngineOptions): ModuleContext {
  const startedAt = now();
  const state = deps.store.read();
  const current = state.modules[action.module];
  const base: HistoryRecord = {
    id: randomUUID(),
    ring: opts.ring,
    module: action.module,
    op: action.kind === 'noop' || action.kind === 'blocked' ? 'install' : action.kind,
    from: current?.active.version,
    to: action.to,
    actor: opts.actor,
    lockCommit: opts.lockCommit,
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    startedAt,
    finishedAt: startedAt,
    outcome: 'succeeded',
  };
  return {
    action,
    deps,
    opts,
    state,
    current,
    base,
    startedAt,
    ...(current?.path !== undefined ? { path: current.path } : {}),
    switched: false,
    recorded: false,
    warnings: [],
    hooks: [],
  };
}

export function moduleResult(ctx: ModuleContext, outcome: ModuleOutcome, err?: RinglockError): ModuleResult {
  return {
    module: ctx.action.module,
    action: ctx.action.kind,
    from: ctx.current?.active.version,
    to: ctx.action.to,
    outcome,
    code: err?.code,
    error: err?.message,
    ...(ctx.warnings.length > 0 ? { warnings: [...ctx.warnings] } : {}),
    ...(ctx.hooks.length > 0 ? { hooks: [...ctx.hooks] } : {}),
    ...(outcome === 'succeeded' ? lifecycleOf(ctx) : {}),
  };
}

/** Whether a succeeded operation switched the module off, on, or away (ModuleResult.lifecycle). */
function lifecycleOf(ctx: ModuleContext): Pick<ModuleResult, 'lifecycle'> {
  const { action: a, current } = ctx;
  if (a.kind === 'remove') return { lifecycle: 'removed' };
  if (a.kind === 'disable') return { lifecycle: 'disabled' };
  if (current?.status === 'disabled') return { lifecycle: 'enabled' };
  return {};
}
