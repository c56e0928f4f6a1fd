// The deploy target seam: where module versions are stored, which one is active, and whether what is deployed still
// matches what the state recorded. The engine, the reconcile pass and the commands that show the target use only
// this; FilesystemTarget (filesystem.ts) is today's implementation.
import type { DeployedModule, DeployedState } from '../state/types.js';

export type TargetMode = 'symlink' | 'copy';

/** What is at a module's path: nothing, what ringlock put there, or something else (`what` says what, for messages). */
export type PathOwnership = { kind: 'absent' } | { kind: 'managed' } | { kind: 'unmanaged'; what: string };

export interface PruneResult {
  /** Store paths removed, relative to the target. */
  removed: string[];
  /** What could not be removed, and why: reported, never failing the operation. */
  warnings: string[];
}

/** What the pass deploys beyond the lock, when its caller read it at a commit (the daemon) rather than a workspace. */
export interface DesiredContext {
  /** The ring's tenants. */
  tenants?: readonly string[];
  /** Every tenant of rings/tenants.yaml → its ring. */
  tenantMap?: Readonly<Record<string, string>>;
  /** The lock's order: the commit applied and its committer time (seconds). */
  lockOrder?: { at: number; commit: string };
}

export interface DeployTarget {
  /** Where the target is, as commands show it (list, history, status). */
  readonly root: string;
  /** The absolute path of a path relative to the target; refuses one outside it. */
  abs(rel: string): string;

  /** Store dir of a version, relative to the target. */
  storeDirFor(module: string, version: string, sha256: string): string;
  /** `rel` and the repair copies beside it that exist, canonical first. */
  storeCandidates(rel: string): string[];
  /** Whether anything (even a dangling link) is at `rel`. */
  exists(rel: string): boolean;
  hasStore(rel: string): boolean;
  /** A fresh, not yet existing staging path from which commitToStore can move a tree into the store. */
  newStagingDir(label: string): string;
  /** Moves an extracted, verified tree into the store at `rel`. */
  commitToStore(staged: string, rel: string): void;
  /** Drops a store tree nothing links to any more. */
  discardStore(rel: string): void;
  /**
   * Keeps the newest `keep` store versions of a module and those in `protect`; returns what it removed and, as
   * warnings, what it could not (never throws for that: pruning never changes an operation's outcome).
   */
  prune(module: string, keep: number, protect: readonly (string | undefined)[]): PruneResult;
  /** The modules that have a store dir (scoped ones as `@scope/name`). */
  storeModules(): string[];
  /** Deletes every stored version of a module that nothing links to any more; whether there was any. Throws on failure. */
  dropModuleStore(module: string): boolean;

  /**
   * Module → why what is deployed no longer matches the state's record (an edited file, a switched link, a missing
   * version). `quick`: presence and activation only, no content hashing. `desired.tenants`: the ring's tenants this
   * pass deploys (a target that publishes per tenant, the pointer target, checks and writes their keys).
   */
  observeDrift(state: DeployedState, quick: boolean, desired?: DesiredContext): Promise<Map<string, string>>;
  /**
   * Whether ringlock put what is at the module's path there. `recorded`: the state records the module as deployed.
   * `path` (here and below): where the module is deployed when not at its name, the lock entry's `path` (`Orders`).
   */
  inspect(module: string, recorded: boolean, path?: string): PathOwnership;
  /** A free path (relative to the target) for adopt(). */
  adoptedPathFor(module: string, at: Date): string;
  /** Moves what is at the module's path to `rel` in one step (`--adopt`). */
  adopt(module: string, rel: string, path?: string): void;
  /**
   * Makes `rel` the active version of `module`, or removes the module when `rel` is undefined. `owned`: the path is
   * ringlock's; when false, anything that appeared at the path is refused.
   */
  activate(module: string, rel: string | undefined, owned: boolean, path?: string): void;

  /**
   * Deletes what earlier operations moved aside or left half-made (trash, staging, temp links). Never throws: returns
   * warnings naming what it could not delete (tried again next time).
   */
  emptyTrash(): string[];

  /**
   * The versioned entry URL the platform loads the active version from (a pointer target's CDN URL); absent or
   * undefined: the platform finds the module at its path in the target (folder targets).
   */
  entryFor?(module: string, rec: DeployedModule): string | undefined;

  /**
   * The ring's tenant set changed and was recorded in the state (a target that routes per tenant, the pointer target,
   * rewrites its tenant keys here; a folder target has nothing per tenant). Called holding the writer lease.
   */
  syncTenants?(tenants: readonly string[]): void;
}
