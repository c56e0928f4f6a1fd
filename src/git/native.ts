// The native git driver: the git CLI through simple-git. A bare, shallow, single-branch clone in the cache dir,
// fetched on each sync; files are read with ls-tree / cat-file, never checked out.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type SimpleGit, simpleGit } from 'simple-git';
import { RinglockError } from '../errors.js';
import {
  basicAuthValue,
  type CommitTree,
  checkCommitId,
  cloneMatches,
  clonePath,
  commitClone,
  commitSubject,
  committerTime,
  type FailureKind,
  fetchError,
  freshCloneDir,
  isForced,
  parseParents,
  type ResolvedSource,
  readError,
  readPath,
  resolveOptions,
  type TreeEntry,
  unknownCommit,
} from './common.js';
import type { GitSource, GitSourceOptions, SyncResult } from './types.js';

// Inherited variables that would change what git does: a GIT_DIR from a hook, an editor or pager, an askpass.
const DROPPED_ENV = new Set(['EDITOR', 'VISUAL', 'PAGER', 'SSH_ASKPASS', 'PREFIX']);
const KEPT_GIT_ENV = new Set([
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'GIT_SSL_NO_VERIFY',
  'GIT_SSL_CERT',
  'GIT_SSL_KEY',
]);

export class NativeGitSource implements GitSource {
  readonly driver = 'native' as const;
  private readonly src: ResolvedSource;
  private readonly env: Record<string, string>;
  private readonly refspec: string;
  private lastTip: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: GitSourceOptions) {
    this.src = resolveOptions(opts);
    this.refspec = `+refs/heads/${this.src.branch}:refs/remotes/origin/${this.src.branch}`;
    this.env = gitEnv(this.src);
  }

  sync(): Promise<SyncResult> {
    // One sync at a time: two fetches racing on one clone (or a fetch and a re-clone) would trip over each other.
    const run = this.queue.then(() => this.syncNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  async readFile(commit: string, path: string, maxBytes?: number): Promise<string | undefined> {
    checkCommitId(commit);
    const gitdir = clonePath(this.src.cacheDir);
    if (!existsSync(gitdir)) throw unknownCommit(commit);
    return this.withDeadline(
      async (signal) => {
        const git = this.git(gitdir, signal);
        const tree: CommitTree = {
          lookup: async (paths) => {
            let out: string;
            try {
              // -t lists the trees on the way to each path, so a symlinked directory in the middle is seen too.
              out = await git.raw([
                'ls-tree',
                '-t',
                '--full-tree',
                '-z',
                '--long',
                `${commit}^{commit}`,
                '--',
                ...paths,
              ]);
            } catch (e) {
              if (signal.aborted) throw e;
              throw unknownCommit(commit);
            }
            return parseLsTree(out);
          },
          readBlob: (oid) => git.binaryCatFile(['blob', oid]),
        };
        return readPath(tree, path, maxBytes);
      },
      { commit, path },
    );
  }

  releaseCaches(): void {
    // Nothing is kept in this process: git holds its own caches.
  }

  async close(): Promise<void> {
    await this.queue;
  }

  private async syncNow(): Promise<SyncResult> {
    const started = performance.now();
    return this.withDeadline(async (signal) => {
      const { cacheDir, url, branch } = this.src;
      mkdirSync(cacheDir, { recursive: true });
      const live = clonePath(cacheDir);
      const marker = { driver: this.driver, url, branch };
      let before: string | undefined;
      if (cloneMatches(cacheDir, marker)) before = await this.localTip(live, signal);
      if (before === undefined) await this.clone(signal);
      else {
        try {
          await this.fetch(this.git(live, signal));
        } catch (e) {
          // Anything but a remote-side failure means the clone itself is broken: start over beside it.
          if (signal.aborted || classify(e) !== 'failed') throw e;
          before = undefined;
          await this.clone(signal);
        }
      }
      const commit = await this.localTip(live, signal);
      if (commit === undefined) throw new Error(`the fetch did not create refs/remotes/origin/${branch}`);
      const previous = this.lastTip ?? before;
      const git = this.git(live, signal);
      const forced = await isForced(previous, commit, async (oid) => {
        try {
          return parseParents(await git.raw(['cat-file', 'commit', oid]));
        } catch {
          return undefined;
        }
      });
      this.lastTip = commit;
      let subject: string | undefined;
      let committedAt: number | undefined;
      try {
        const raw = await git.raw(['cat-file', 'commit', commit]);
        subject = commitSubject(raw);
        committedAt = committerTime(raw);
      } catch {}
      return {
        commit,
        ...(previous ? { previous } : {}),
        forced,
        fetchMs: performance.now() - started,
        ...(subject ? { subject } : {}),
        ...(committedAt !== undefined ? { committedAt } : {}),
      };
    });
  }

  /** init + fetch rather than `git clone`: one code path, and the ref lands where every later fetch puts it. */
  private async clone(signal: AbortSignal): Promise<void> {
    const { cacheDir, url, branch } = this.src;
    const fresh = freshCloneDir(cacheDir);
    try {
      await this.git(cacheDir, signal).raw(['init', '--bare', '-q', fresh]);
      const git = this.git(fresh, signal);
      // The stored URL never has credentials (resolveOptions took them out); auth travels per command.
      await git.raw(['config', 'remote.origin.url', url]);
      await git.raw(['config', 'remote.origin.fetch', this.refspec]);
      // gc --auto would otherwise fork into the background, outliving the fetch and racing a re-clone.
      await git.raw(['config', 'gc.autoDetach', 'false']);
      await this.fetch(git);
      commitClone(cacheDir, fresh, { driver: this.driver, url, branch });
    } catch (e) {
      rmSync(fresh, { recursive: true, force: true });
      throw e;
    }
  }

  private async fetch(git: SimpleGit): Promise<void> {
    await git.raw([
      'fetch',
      '--quiet',
      '--depth=1',
      '--no-tags',
      '--no-write-fetch-head',
      'origin',
      this.refspec,
    ]);
  }

  private async localTip(gitdir: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      const out = await this.git(gitdir, signal).raw([
        'rev-parse',
        '--verify',
        '--quiet',
        `refs/remotes/origin/${this.src.branch}^{commit}`,
      ]);
      return /^[0-9a-f]{40,64}$/.test(out.trim()) ? out.trim() : undefined;
    } catch (e) {
      if (signal.aborted) throw e;
      return undefined;
    }
  }

  private git(baseDir: string, signal: AbortSignal): SimpleGit {
    return simpleGit({
      baseDir,
      abort: signal,
      trimmed: false,
      // The env carries GIT_ASKPASS (empty: never ask) and GIT_CONFIG_* (auth header, no credential helpers).
      unsafe: {
        allowUnsafeAskPass: true,
        allowUnsafeConfigEnvCount: true,
        allowUnsafeCredentialHelper: true,
      },
      // simple-git treats a failure without stderr as success; `rev-parse --quiet` fails exactly that way.
      errors: (error, result) =>
        error ?? (result.exitCode === 0 ? undefined : Buffer.concat([...result.stdOut, ...result.stdErr])),
    }).env(this.env);
  }

  /** Runs `fn` with an abort signal that kills git after the timeout; translates what it throws. */
  private async withDeadline<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    read?: { commit: string; path: string },
  ): Promise<T> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.src.timeoutMs);
    try {
      return await fn(ac.signal);
    } catch (e) {
      if (e instanceof RinglockError) throw e;
      if (read) throw readError(this.src, read.commit, read.path, e);
      const kind = ac.signal.aborted ? 'timeout' : classify(e);
      throw fetchError(kind, this.src, e instanceof Error ? e.message : String(e), e);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * What git's stderr says went wrong. Git reports no codes, only text; LC_ALL=C keeps that text in English, and
 * this is the one place that reads it.
 */
function classify(e: unknown): FailureKind {
  const text = e instanceof Error ? e.message : String(e);
  if (/couldn't find remote ref/i.test(text)) return 'branch-not-found';
  if (
    /Authentication failed|could not read (Username|Password)|terminal prompts disabled|error: 40[13]|HTTP 40[13]/i.test(
      text,
    )
  )
    return 'auth';
  if (
    /error: 404|HTTP 404|repository '.*' not found|does not appear to be a git repository|Unsupported protocol|transport '.*' not allowed/i.test(
      text,
    )
  )
    return 'bad-url';
  if (/Operation too slow|timed out/i.test(text)) return 'timeout';
  if (
    /Could not resolve|Failed to connect|Couldn't connect|Connection refused|Connection reset|Empty reply|Recv failure|Send failure|transfer closed|RPC failed|early EOF|error: 5\d\d|HTTP 5\d\d|SSL|gnutls|remote end hung up|unreachable|No route to host|unable to access/i.test(
      text,
    )
  )
    return 'unreachable';
  return 'failed';
}

function parseLsTree(out: string): Map<string, TreeEntry> {
  const map = new Map<string, TreeEntry>();
  for (const rec of out.split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab < 0) continue;
    const [mode, , oid, size] = rec.slice(0, tab).trim().split(/\s+/);
    if (!mode || !oid) continue;
    map.set(rec.slice(tab + 1), { mode, oid, ...(size && size !== '-' ? { size: Number(size) } : {}) });
  }
  return map;
}

function gitEnv(src: ResolvedSource): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    const K = k.toUpperCase();
    if (v === undefined || DROPPED_ENV.has(K) || (K.startsWith('GIT_') && !KEPT_GIT_ENV.has(K))) continue;
    env[k] = v;
  }
  // Config passed through the environment: not in the clone's config file, not in argv (visible in `ps`).
  const config: [string, string][] = [
    ['credential.helper', ''],
    // curl gives up on a stalled transfer on its own, so a helper process does not outlive a killed git.
    ['http.lowSpeedLimit', '1'],
    ['http.lowSpeedTime', String(Math.max(1, Math.ceil(src.timeoutMs / 1000)))],
  ];
  if (src.auth) config.push(['http.extraHeader', `Authorization: Basic ${basicAuthValue(src.auth)}`]);
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return {
    ...env,
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    GIT_LITERAL_PATHSPECS: '1',
  };
}
