// What is deployed on a target, as the state store records it (plain data: the plan reads it, apply writes it), and
// the StateStore seam that keeps it.
import type { ChangelogSection } from '../model/changelog.js';

/** Per-module lifecycle, visible in status and history. */
/** `disabled`: installed (its tree kept in the store) but switched off by the lock (`"enabled": false`), no link. */
export type ModuleStatus = 'pending' | 'installing' | 'active' | 'failed' | 'rolled_back' | 'disabled';

/** One installed version of a module: where it lives in the target's store and what it was verified to be. */
export interface InstalledVersion {
  version: string;
  /** The content hash of the extracted tree (`sha256:<hex>`), as verified at install. */
  sha256: string;
  /** The SRI of the artifact it was installed from, when it came from a registry. */
  integrity?: string;
  /** Store directory relative to the target root, e.g. `.ringlock/store/orders/1.4.2-9ad8f1c2`. */
  storeDir: string;
  /** The module's platform constraint and dependencies at this version (from its module.json). */
  compatibility?: { platform?: string };
  dependencies?: Record<string, string>;
}

export interface DeployedModule {
  name: string;
  /** Where it is deployed when not at its name (the lock entry's `path`, e.g. `Orders`), relative to the target. */
  path?: string;
  /** The active version. */
  active: InstalledVersion;
  /** The version active before it, kept in the store for instant rollback. */
  previous?: InstalledVersion;
  status: ModuleStatus;
  /** ISO time the active version was switched in. */
  since: string;
  /** How the active version got there: from a ring lock, or by an imperative command (the target then diverges from the lock). */
  origin: 'lock' | 'imperative';
  /** The last operation's error, while status is failed or rolled_back. */
  lastError?: string;
  /** The version that operation tried to bring (a lock pinning another one clears the failure). */
  failedVersion?: string;
}

/** A (module, version, integrity) that failed its health check here: plans show it blocked until the lock names something else or `ringlock retry` clears it. */
export interface QuarantineEntry {
  module: string;
  version: string;
  integrity?: string;
  sha256?: string;
  reason: string;
  /** ISO time. */
  at: string;
}

/**
 * A module the lock asks for that the last plan could not bring (incompatible, a dependency missing or blocked, a
 * path ringlock does not own): kept until a plan no longer blocks it. Written by the pass (state/blocked.ts).
 */
export interface BlockedModule {
  /** The version the lock asks for. */
  version?: string;
  /** Why, as the plan says it. */
  reason: string;
  /** Each link from this module down to the root cause. */
  chain?: string[];
  /** The plan's machine-readable cause, when it has one (`unmanaged-path`). */
  code?: string;
  /** ISO time this reason was first seen. */
  since: string;
  /** The reason a `module.blocked` event was sent for: one event per (module, reason). */
  announced?: string;
}

export interface DeployedState {
  stateVersion: 1;
  ring?: string;
  /** The git commit of the lock last applied, when known. */
  lockCommit?: string;
  modules: Record<string, DeployedModule>;
  quarantine: QuarantineEntry[];
  /** Modules the last plan blocked, by name (absent when none). */
  blocked?: Record<string, BlockedModule>;
  /** The ring's tenants when last applied (sorted): a change runs onEnable/onDisable for the tenants assigned or gone. */
  tenants?: string[];
  /** Modules whose store trees no active module links to any more, kept until retention prunes them (retention.ts). */
  unlinked?: UnlinkedModule[];
}

/** A module whose link was removed: when, and why. Its store trees are pruned once the retention age has passed. */
export interface UnlinkedModule {
  module: string;
  /** `removed`: gone from the state; `disabled`: still installed, its link removed. */
  reason: 'removed' | 'disabled';
  /** ISO time the link was removed. */
  since: string;
}

export function emptyState(): DeployedState {
  return { stateVersion: 1, modules: {}, quarantine: [] };
}

/** `superseded`: a newer desired state arrived while the new version's health check ran; the old version was put back. */
export type Outcome = 'succeeded' | 'failed' | 'rolled_back' | 'recovered' | 'skipped' | 'superseded';

/** A lifecycle hook as an operation ran it, for the audit record. */
export interface HookRun {
  hook: string;
  /** For a per-tenant hook (onEnable, onDisable): the tenant it ran for. */
  tenant?: string;
  /** The exit code; null when a signal or the timeout ended it, or it could not start. */
  exit: number | null;
  signal?: string;
  timedOut?: true;
  durationMs: number;
  /** The last lines of its output (at most 4,000 characters). */
  output: string;
}

/** One audit record per operation. */
export interface HistoryRecord {
  id: string;
  ring?: string;
  module: string;
  op:
    | 'install'
    | 'upgrade'
    | 'rollback'
    | 'reinstall'
    | 'remove'
    | 'disable'
    | 'enable'
    | 'retry'
    | 'recover'
    | 'adopt'
    /** The ring's tenants changed: the per-tenant hooks run on a module that is on, nothing switched. */
    | 'tenants';
  from?: string;
  to?: string;
  integrity?: string;
  sha256?: string;
  source?: string;
  /** For `adopt`: where what was at the module's path was moved, relative to the target. */
  backup?: string;
  size?: number;
  actor: string;
  lockCommit?: string;
  startedAt: string;
  finishedAt: string;
  outcome: Outcome;
  error?: string;
  /** Why, in the actor's words: `--reason`, or the daemon's applied commit subject. */
  reason?: string;
  /** The module's changelog sections between `from` and `to`, newest first (an excerpt: bodies are cut). */
  changelog?: ChangelogSection[];
  /** The lifecycle hooks this operation ran, in order. */
  hooks?: HookRun[];
}

/** The intent of an operation, written before the active version is switched and removed once it is recorded. */
export interface JournalEntry {
  id: string;
  /** `installing`: work on the module has started, nothing is switched yet. `switching`: the switch may have happened. */
  phase: 'installing' | 'switching';
  module: string;
  /** Store dir (relative to the target) active before the switch; undefined for a first install. */
  from?: string;
  /** Store dir being switched in; undefined for a removal. */
  to?: string;
  /** Where the module is deployed when not at its name (the lock entry's `path`). */
  path?: string;
  /** The history record to append once the operation has succeeded. */
  record: HistoryRecord;
  /** Set once the new version failed its health check: recovery must not lose the quarantine. */
  quarantine?: QuarantineEntry;
  /** Process group of the lifecycle hook running for this operation, so recovery can stop an orphan. */
  hookPgid?: number;
}

/** A ring stopped by an operator (`ringlock suspend`): drift and pending changes are reported, nothing is applied. */
export interface Suspension {
  ring: string;
  reason?: string;
  by: string;
  at: string;
}

/** Held by the one process that may change the target and its state; release() is idempotent. */
export interface WriterLease {
  release(): void;
  /** Calls `h` if the lease is taken from this holder while held (a shared store's lease expired): stop writing. */
  onLost?(h: (reason: string) => void): void;
}

/**
 * The state store seam: the deployed state (quarantine included), the audit history, the journal of the operation in
 * flight and the writer lease. FileStateStore (file-store.ts, the default) and PostgresStateStore (postgres/store.ts).
 */
export interface StateStore {
  readonly kind: 'file' | 'postgres';
  /** Where the state lives, for logs and status (never a password). */
  describe(): string;
  /**
   * Runs `fn`, whose writes (state, history, journal) are stored together: in one transaction (PostgreSQL), or in the
   * order made (files: each write is atomic and the journal makes the sequence recoverable).
   */
  transaction<T>(fn: () => T): T;
  /** A copy the caller may change at the top level (modules, quarantine); the entries themselves are frozen. */
  read(): DeployedState;
  /** Replaces the deployed state atomically. */
  write(state: DeployedState): void;
  /** Appends one audit record, durably. */
  append(record: HistoryRecord): void;
  /** Every complete record, oldest first (one module's when given). */
  history(filter?: { module?: string }): HistoryRecord[];
  readJournal(): JournalEntry | undefined;
  /** `durable: false` may skip flushing: for an intent whose loss changes nothing on the target (before any switch). */
  writeJournal(entry: JournalEntry, durable?: boolean): void;
  clearJournal(): void;
  /**
   * A shared store: throws `state/lease-lost` unless this process still holds the writer lease for sure (called before
   * every change to the target, which the database's fencing does not cover). The file store's lock cannot be lost.
   */
  assertWriter?(): void;
  /** Removes what a killed writer left half-written (call while holding the writer lease). */
  removeStaleTemps(): void;
  /** Takes the one writer lease of this store, waiting up to `timeoutMs`; throws naming the holder when it cannot. */
  acquireWriter(holder: string, timeoutMs: number): Promise<WriterLease>;
  /** The operator's suspension of this ring, if any (an unreadable one counts as suspended, with the reason why). */
  suspension(): Suspension | undefined;
  suspend(s: Suspension): void;
  /** Lifts a suspension; whether there was one. */
  resume(): boolean;
  /** Lets go of connections (a shared store); the file store holds none. */
  close?(): Promise<void>;
  /** A shared store: connects (and migrates) now rather than at the first use. */
  open?(): void;
  /**
   * A shared store: waits until this process leads the ring (a lease apart from the writer lease; `timeoutMs`
   * Infinity for a standby).
   */
  acquireLeadership?(holder: string, timeoutMs: number): Promise<WriterLease>;
  /** A shared store: who leads the ring now (undefined: nobody). */
  leaseInfo?(): LeaseInfo | undefined;
  /** A shared store: wakes the ring's leader, wherever it runs (a webhook that reached a standby). */
  wake?(commit?: string): void;
  /** A shared store: calls `h` on each wake() of this ring, from any process. */
  onWake?(h: (commit: string | undefined) => void): Promise<void>;
}

/** The holder of a shared store's writer lease. */
export interface LeaseInfo {
  holder: string;
  /** The fencing token: +1 on each takeover. */
  token: number;
  /** When this holder took it. */
  since?: string;
}
