// What one reconcile pass needs, how its callers tune it, and what it reports. `ringlock apply` and the daemon differ
// only in the options and hooks they pass; the pass is reconcile.ts, its steps observe.ts and steps.ts.
import type { EngineEvent, EngineOptions, ModuleResult, Supersede } from '../apply/engine.js';
import type { HookRunners } from '../apply/hook-runner.js';
import type { ArtifactCache } from '../artifacts/cache.js';
import type { ArtifactRegistry } from '../artifacts/registry/types.js';
import type { InputError } from '../errors.js';
import type { RingLock } from '../model/types.js';
import type { Plan } from '../plan/types.js';
import type { NewBlock } from '../state/blocked.js';
import type { DeployedState, HistoryRecord, StateStore, WriterLease } from '../state/types.js';
import type { DeployTarget } from '../targets/types.js';
import type { ModuleEnvPolicy, TrustPolicy } from '../trust/policy.js';

/**
 * Where a command or the daemon acts, as the composition root (src/runtime/) builds it from ringlock.yaml, the
 * environment and flags. Its seams are interfaces: any DeployTarget, any StateStore.
 */
export interface Runtime {
  target: DeployTarget;
  store: StateStore;
  health: EngineOptions['health'];
  keepVersions: number;
  /** How long the store trees of removed and disabled modules are kept (`target.retainRemoved`; default 90 days). */
  retainRemovedMs?: number;
  /** The config's prune setting (options.prune may add to it, never take it away). */
  prune: boolean;
  /** Who the history names for recovery and apply ("daemon" for the daemon). */
  actor: string;
  /** What the operator allows (never read from the repository). */
  policy: TrustPolicy;
  /** What module code gets on top of the minimal environment: the operator's choice. */
  moduleEnv: ModuleEnvPolicy;
  /** The operator's hook runners, built once from the operator config (references in module.json run only through these). */
  hookRunners?: HookRunners;
  /** The local state directory: the file store's files, and the default home of the artifact and git caches. */
  stateDir: string;
}

/** The parts of a runtime a pass uses (a `Runtime` plus its registry and cache fits). */
export interface ReconcileDeps extends Omit<Runtime, 'policy' | 'stateDir'> {
  registry: ArtifactRegistry;
  cache: ArtifactCache;
}

/** What observing and planning need: no registry, nothing written. */
export type ObserveDeps = Pick<ReconcileDeps, 'target' | 'store' | 'prune'>;

/** The desired state of a pass: a ring's lock, and the commit it was read at when it came from git. */
export interface DesiredLock {
  lock: RingLock;
  commit?: string;
}

export interface PlanOptions {
  /**
   * Links and presence only, no hashing (`--no-drift-check`; the daemon between full re-hashes). A function is asked
   * when the drift check starts (the daemon's flag may be raised while the pass waits for the writer lock).
   */
  quickDrift: boolean | (() => boolean);
  /** Remove deployed modules the lock no longer names, on top of deps.prune (`--prune`). */
  prune?: boolean;
  /**
   * Evaluate compatibility against this platform instead of the lock's (`--platform`). A function is called after the
   * drift check, where the CLI has always refused a bad flag.
   */
  platform?: string | (() => string | undefined);
  /** Move what ringlock did not create at a module's path into a backup instead of blocking (`--adopt`). */
  adopt?: boolean;
  /**
   * The tenants assigned to the ring (rings/tenants.yaml): per-tenant hooks run for them, and a change from the set
   * the state recorded runs onEnable/onDisable for the tenants assigned or gone. Undefined: not known, none run.
   */
  tenants?: readonly string[];
  /**
   * Every tenant → its ring, and the order of the lock applied (its commit and committer time), when the caller read
   * them at a commit (the daemon): a target shared by rings (the pointer target) uses them instead of the workspace's.
   */
  tenantMap?: Readonly<Record<string, string>>;
  lockOrder?: { at: number; commit: string };
}

export interface ReconcileOptions extends PlanOptions {
  ring: string;
  /** Who holds the writer lock, as a contender is told (`ringlock apply --ring prod`). */
  holder: string;
  lockTimeoutMs: number;
  /** Plan only: no writer lock, no recovery, nothing settled or applied (`--dry-run`). */
  dryRun?: boolean;
  /** The git commit the lock was read at, recorded in the history (the daemon). */
  lockCommit?: string;
  /** Why, recorded in each operation's history (`--reason`; the daemon: the commit's subject). */
  reason?: string;
  skipHooks: boolean;
  hookTimeoutMs: number;
  /** Downloads that may run ahead of the module being applied. */
  concurrency: number;
}

/** What the state and the target looked like when the pass planned. */
export interface Observed {
  deployed: DeployedState;
  drift: Map<string, string>;
}

export interface ReconcileHooks {
  /** The writer lock is held; returns what to undo when the pass ends (the CLI releases the lock on a signal). */
  onLocked?(writer: WriterLease): (() => void) | undefined;
  /** When given, a target another writer holds ends the pass with outcome 'locked' instead of throwing. */
  onLockBusy?(e: InputError): void;
  /** An operation a crash interrupted was undone. */
  onRecovered?(record: HistoryRecord): void;
  /** Right after the drift check, with whether it was quick. */
  onDriftChecked?(drift: Map<string, string>, quick: boolean): void;
  /** A module's recorded failure was cleared: the lock no longer asks about it. */
  onSettled?(module: string): void;
  /** The plan of the observed state (before select). */
  onPlanned?(plan: Plan, observed: Observed): void;
  /**
   * Blocks to announce: given, the pass marks each (module, reason) the plan blocks as announced in the state and
   * passes those not announced before, once each. Without it blocks are recorded, never announced.
   */
  onBlocked?(blocks: NewBlock[]): void;
  /** Whether applying is suspended: the pass then reports outcome 'suspended' when there is work. */
  suspended?(): boolean;
  /** The part of the plan to apply now (the daemon holds back modules in backoff, and out-of-band changes). */
  select?(plan: Plan, deployed: DeployedState): Plan;
  /** Asked before anything is applied; false ends the pass with outcome 'declined'. */
  confirm?(work: Plan): Promise<boolean>;
  /** Apply starts: returns how a newer desired state stops it at its next safe point. */
  beforeApply?(work: Plan): Supersede | undefined;
  /** Apply ended (also when it threw). */
  afterApply?(): void;
  /**
   * The pass is over and the writer lease (when the pass took one: not on a dry run) is still held: what the caller
   * records about it (notifications, backoff, deployment reports) happens before another writer can start. A throw
   * releases the lease and propagates.
   */
  onPassed?(report: PassReport): void | Promise<void>;
  /** Progress of the engine, module by module and step by step. */
  onEvent?(e: EngineEvent): void;
}

export type RunOutcome =
  | 'planned'
  | 'noop'
  | 'suspended'
  | 'declined'
  | 'succeeded'
  | 'failed'
  | 'superseded';

/** A pass that held the writer lock (or needed none: dry-run). */
export interface PassReport extends Observed {
  outcome: RunOutcome;
  /** The plan of the observed state, and the part of it the pass would apply (after select). */
  plan: Plan;
  work: Plan;
  results: ModuleResult[];
  recovered?: HistoryRecord;
}

/** Another writer held the target (only with hooks.onLockBusy): nothing was observed. */
export interface LockedReport {
  outcome: 'locked';
  results: ModuleResult[];
}

export type RunReport = PassReport | LockedReport;
