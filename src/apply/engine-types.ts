// What the engine is given and what it reports: its dependencies (the seams), options, events and per-module results.
import type { ArtifactCache } from '../artifacts/cache.js';
import type { ArtifactRegistry } from '../artifacts/registry/types.js';
import type { HookPoint, LockEntry } from '../model/types.js';
import type { PlanAction } from '../plan/types.js';
import type { Outcome, StateStore } from '../state/types.js';
import type { DeployTarget } from '../targets/types.js';
import type { HookRunners } from './hook-runner.js';
import type { ModuleEnvOptions } from './module-env.js';

export interface EngineDeps {
  target: DeployTarget;
  store: StateStore;
  registry: ArtifactRegistry;
  cache: ArtifactCache;
  /** Progress and structured events (the CLI prints them, the daemon logs them). */
  onEvent?: (e: EngineEvent) => void;
  /** The daemon's way to say "a newer desired state arrived": the run stops at the next safe point. */
  supersede?: Supersede;
}

/**
 * A newer commit arrived while a run was in progress. Safe points: before each module's work (the rest of the run is
 * skipped), and a health check that is waiting (cut short, and the old version put back, when the newer state no longer
 * wants the version being checked — it would otherwise hold the newer state back for the whole health timeout).
 */
export interface Supersede {
  signal: AbortSignal;
  /** Whether a waiting health check of this entry may run to its end (the newer state still pins exactly it). */
  stillWanted(module: string, entry: LockEntry): boolean;
  /** Dispatches 'change' when stillWanted's answers may have changed (an even newer commit, a shutdown deadline). */
  changed?: EventTarget;
}

export type EngineEvent =
  | { type: 'module-start'; module: string; action: PlanAction['kind']; from?: string; to?: string }
  | {
      type: 'step';
      module: string;
      step: 'fetch' | 'extract' | 'verify' | 'hook' | 'switch' | 'health' | 'rollback';
    }
  | { type: 'module-done'; module: string; outcome: ModuleOutcome; error?: string }
  | { type: 'superseded'; skipped: string[] }
  /** Housekeeping that failed without failing anything (emptying the trash, pruning): retried on a later pass. */
  | { type: 'warning'; message: string };

export interface EngineOptions {
  ring: string;
  actor: string;
  lockCommit?: string;
  /** Why, for each operation's history record (`--reason`, the daemon's commit subject). */
  reason?: string;
  platform: string;
  skipHooks: boolean;
  hookTimeoutMs: number;
  health: {
    baseUrl?: string;
    url?: string;
    command?: string | string[];
    timeoutMs: number;
    intervalMs: number;
  };
  keepVersions: number;
  /** Downloads that may run ahead of the module being applied. */
  concurrency: number;
  /** Move what ringlock did not create at a module's path into `.ringlock/adopted/` instead of blocking (`--adopt`). */
  adopt?: boolean;
  origin?: 'lock' | 'imperative';
  /** What the operator adds to the minimal environment of hooks and health commands. */
  moduleEnv?: ModuleEnvOptions;
  /** The operator's hook runners, built once (runtime/): how hooks given as references run. */
  hookRunners?: HookRunners;
  /** The tenants of the ring, for the per-tenant hooks (onEnable, onDisable); undefined: not known, none run. */
  tenants?: readonly string[];
}

/** One hook that ran (or failed) during a module's operation, for the result and the history. */
export interface HookReport {
  hook: HookPoint;
  /** The per-tenant hooks name their tenant. */
  tenant?: string;
  outcome: 'succeeded' | 'failed';
  error?: string;
  durationMs: number;
}

export type ModuleOutcome = Outcome | 'noop' | 'blocked';

export interface ModuleResult {
  module: string;
  action: PlanAction['kind'];
  from?: string;
  to?: string;
  outcome: ModuleOutcome;
  code?: string;
  error?: string;
  /** What went wrong without changing the outcome (old versions that could not be pruned; retried later). */
  warnings?: string[];
  /** The hooks that ran, in order; a failed per-tenant hook is reported here without failing the module. */
  hooks?: HookReport[];
  /**
   * Set when the operation succeeded and changed whether the module is on: `disabled` (switched off, kept in the
   * store), `enabled` (switched back on), `removed` (gone from the target). The daemon's events come from it.
   */
  lifecycle?: 'disabled' | 'enabled' | 'removed';
  /** A result of the ring's tenant change (action and outcome `noop`): the tenants whose hooks ran on this module. */
  tenants?: { assigned: string[]; left: string[] };
}
