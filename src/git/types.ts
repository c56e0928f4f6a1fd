// The git source seam: a remote branch, cloned once into a cache dir and fetched on each tick; files are read at a
// commit (never checked out). Two drivers with the same behaviour: native git (simple-git) and isomorphic-git.

export type GitDriverName = 'native' | 'isomorphic';

export interface GitSourceOptions {
  /** Remote URL: https://…, http://… (tests on 127.0.0.1), or a local path / file:// URL. */
  url: string;
  /** Branch to follow, e.g. "main". */
  branch: string;
  /** Directory the driver owns: the clone lives here (created when missing, reused across restarts). */
  cacheDir: string;
  /**
   * HTTPS auth: a token (from the environment, never from config). Sent as HTTP basic auth with the username
   * below (GitHub accepts "x-access-token" with an installation or fine-grained token). Never logged, never put in an
   * error message, a status, or the remote URL stored in the clone's config.
   */
  token?: string;
  /** Basic-auth user name sent with the token (default "x-access-token"). */
  username?: string;
  /** Whole-operation deadline for a fetch or clone in ms (default 60 s). */
  timeoutMs?: number;
}

/** What a sync found: the tip of the branch on the remote, now present in the local cache. */
export interface SyncResult {
  commit: string;
  /** The previous tip known to this source (undefined on the first sync). */
  previous?: string;
  /**
   * The new tip is not a descendant of the previous one: the branch was force-pushed (the new tip wins either way).
   * Best effort: false when the driver cannot tell (a shallow history that does not reach the previous tip).
   */
  forced: boolean;
  /** Wall time of the fetch (or clone) in ms. */
  fetchMs: number;
  /** The first line of the tip's commit message (the daemon's reason in the history), when it could be read. */
  subject?: string;
  /** The tip's committer time, seconds since the epoch (the order of what the daemon applies). */
  committedAt?: number;
}

export interface GitSource {
  readonly driver: GitDriverName;
  /**
   * Clones on first use (single branch, shallow where possible), else fetches; returns the remote branch's tip.
   * Throws TransientError (code git/unreachable, git/timeout) when the remote cannot be reached, InputError
   * (git/auth, git/branch-not-found, git/bad-url) when retrying cannot help without a change. Messages never contain
   * the token or URL credentials.
   */
  sync(): Promise<SyncResult>;
  /**
   * The text of `path` (repo-relative, '/'-separated) at `commit`, or undefined when no such file exists there.
   * Refuses (InputError git/symlink) a path that is a symlink whose target leads outside the repository, and follows
   * an in-repo symlink at most 8 times. Refuses (InputError git/not-a-file) a directory or submodule. `maxBytes`
   * (default 16 MiB) bounds what is read (InputError file/too-large).
   */
  readFile(commit: string, path: string, maxBytes?: number): Promise<string | undefined>;
  /**
   * Lets go of what the driver keeps in memory between operations (isomorphic-git's parsed packs and indexes; nothing
   * for native). The daemon calls it once it has read what it needs at a commit, so an idle daemon holds none of it.
   */
  releaseCaches(): void;
  /** Releases what the driver holds (nothing for native). */
  close(): Promise<void>;
}
