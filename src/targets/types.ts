// The deploy target seam: where module versions are stored and which one is active. The engine, drift detection and
// the commands that show the target use only this; FilesystemTarget (filesystem.ts) is today's implementation.

export type TargetMode = 'symlink' | 'copy';

/** What is at a module's path: nothing, what ringlock put there, or something else (`what` says what, for messages). */
export type PathOwnership = { kind: 'absent' } | { kind: 'managed' } | { kind: 'unmanaged'; what: string };

export interface DeployTarget {
  /** Where the target is, as commands show it (list, history, status). */
  readonly root: string;
  /** How a version is made active: a link to its store dir, or a copy of it at the module's path. */
  readonly mode: TargetMode;

  /** Where the module is visible to the platform (an absolute path). */
  modulePath(module: string): string;
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
  /** Keeps the newest `keep` store versions of a module and those in `protect`; returns what it removed. */
  prune(module: string, keep: number, protect: readonly (string | undefined)[]): string[];

  /** The store dir the module's path links to (symlink mode), or undefined. */
  activeStoreDir(module: string): string | undefined;
  /** Whether ringlock put what is at the module's path there. `recorded`: the state records the module as deployed. */
  inspect(module: string, recorded: boolean): PathOwnership;
  /** A free path (relative to the target) for adopt(). */
  adoptedPathFor(module: string, at: Date): string;
  /** Moves what is at the module's path to `rel` in one step (`--adopt`). */
  adopt(module: string, rel: string): void;
  /**
   * Makes `rel` the active version of `module`, or removes the module when `rel` is undefined. `owned`: the path is
   * ringlock's; when false, anything that appeared at the path is refused.
   */
  activate(module: string, rel: string | undefined, owned: boolean): void;

  /** Deletes what earlier operations moved aside or left half-made (trash, staging, temp links). */
  emptyTrash(): void;
}
