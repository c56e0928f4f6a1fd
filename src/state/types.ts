// What is deployed on a target, as the state store records it. Plain data: the plan reads it, apply writes it.

/** Per-module lifecycle, visible in status and history. */
export type ModuleStatus = 'pending' | 'installing' | 'active' | 'failed' | 'rolled_back';

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

export interface DeployedState {
  stateVersion: 1;
  ring?: string;
  /** The git commit of the lock last applied, when known. */
  lockCommit?: string;
  modules: Record<string, DeployedModule>;
  quarantine: QuarantineEntry[];
}

export function emptyState(): DeployedState {
  return { stateVersion: 1, modules: {}, quarantine: [] };
}
