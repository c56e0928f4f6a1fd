// The immutable bundle storage behind the pointer target: a bundle is a directory `{name}/{version}-{hash8}` whose
// files are written once and never overwritten. The `dir` driver (dir-storage.ts) is a directory served as a CDN
// origin; an object-storage driver fits the same interface (behind a worker bridge like the Redis one, since the
// target seam is synchronous).

export interface StoredBundle {
  /** `{version}-{hash8}` (or a repair copy's `{version}-{hash8}.{id}`). */
  dir: string;
  /** When it was uploaded (newest first for retention). */
  mtimeMs: number;
}

export interface BundleStorage {
  /** For messages: `dir /srv/cdn/modules`. */
  readonly name: string;
  /**
   * Uploads the tree at `src` to `rel`. Files are created exclusively: an identical file already there is accepted (a
   * repeated or resumed upload), a different one is refused (OperationFailed) and nothing there is changed.
   */
  put(rel: string, src: string): void;
  /** Whether a bundle directory is at `rel`. */
  has(rel: string): boolean;
  /** The bundles of a module. */
  list(module: string): StoredBundle[];
  /** The modules with at least one bundle (scoped ones as `@scope/name`). */
  modules(): string[];
  /** Deletes a bundle (retention); absent is fine. */
  remove(rel: string): void;
  /** Why the bundle at `rel` does not hash to `sha256` (undefined: it does). */
  verify(rel: string, sha256: string): Promise<string | undefined>;
}
