// The isomorphic-git driver, for images without a git binary: the same shallow single-branch clone and fetch as the
// native driver, in-process, reading objects with one shared cache.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clone, fetch, readBlob, readCommit, readTree, resolveRef } from 'isomorphic-git';
import { request } from 'isomorphic-git/http/node';
import { InputError, isErrnoException, RinglockError } from '../errors.js';
import {
  type CommitTree,
  checkCommitId,
  cloneMatches,
  clonePath,
  commitClone,
  commitSubject,
  type FailureKind,
  fetchError,
  freshCloneDir,
  isForced,
  type ResolvedSource,
  readError,
  readPath,
  resolveOptions,
  type TreeEntry,
  unknownCommit,
} from './common.js';
import type { GitSource, GitSourceOptions, SyncResult } from './types.js';

/** Node's network error codes: the remote could not be reached (or went away mid-transfer). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/** The request was cut off by our deadline (not by the remote). */
class Aborted extends Error {}

export class IsomorphicGitSource implements GitSource {
  readonly driver = 'isomorphic' as const;
  private readonly src: ResolvedSource;
  /** isomorphic-git's parsed-object cache (pack indexes above all); dropped when the clone is replaced. */
  private cache: object = {};
  private lastTip: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** A sync cut off by its deadline, until it has stopped touching the clone. */
  private settling: Promise<unknown> = Promise.resolve();

  constructor(opts: GitSourceOptions) {
    this.src = resolveOptions(opts);
    if (!/^https?:\/\//i.test(this.src.url))
      throw new InputError('git/bad-url', `the isomorphic git driver cannot fetch ${this.src.url}`, {
        expected: 'an http(s):// URL (use the native driver for local paths and file:// URLs)',
      });
  }

  sync(): Promise<SyncResult> {
    const run = this.queue.then(() => this.syncNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  async readFile(commit: string, path: string, maxBytes?: number): Promise<string | undefined> {
    checkCommitId(commit);
    const gitdir = clonePath(this.src.cacheDir);
    const cache = this.cache;
    let root: string;
    try {
      root = (await readCommit({ fs, gitdir, oid: commit, cache })).commit.tree;
    } catch {
      throw unknownCommit(commit);
    }
    const tree: CommitTree = {
      lookup: async (paths) => {
        const found = new Map<string, TreeEntry>();
        let dir = root;
        for (const p of paths) {
          const name = p.slice(p.lastIndexOf('/') + 1);
          const entry = (await readTree({ fs, gitdir, oid: dir, cache })).tree.find((e) => e.path === name);
          if (entry === undefined) break;
          found.set(p, { mode: entry.mode, oid: entry.oid });
          if (entry.type !== 'tree') break;
          dir = entry.oid;
        }
        return found;
      },
      readBlob: async (oid) => Buffer.from((await readBlob({ fs, gitdir, oid, cache })).blob),
    };
    try {
      return await readPath(tree, path, maxBytes);
    } catch (e) {
      if (e instanceof RinglockError) throw e;
      throw readError(this.src, commit, path, e);
    }
  }

  releaseCaches(): void {
    // Operations in flight keep the object they were given; the next one starts empty.
    this.cache = {};
  }

  async close(): Promise<void> {
    await this.queue;
    this.cache = {};
  }

  private async syncNow(): Promise<SyncResult> {
    const started = performance.now();
    const { cacheDir, url, branch, timeoutMs } = this.src;
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ac.abort();
        reject(new Aborted('deadline'));
      }, timeoutMs);
    });
    // isomorphic-git's fetch takes no signal, but its HTTP client does: every request of this sync is cut off at
    // the deadline, so the race below does not leave a fetch running in the background.
    const http = { request: (req: Parameters<typeof request>[0]) => request({ ...req, signal: ac.signal }) };
    const work = (async () => {
      await this.settling;
      fs.mkdirSync(cacheDir, { recursive: true });
      const live = clonePath(cacheDir);
      let before: string | undefined;
      if (cloneMatches(cacheDir, { driver: this.driver, url, branch })) before = await this.localTip(live);
      if (before === undefined) await this.clone(http);
      else {
        try {
          await this.fetch(live, http);
        } catch (e) {
          // A failure that is not the remote's means the clone is broken: start over beside it.
          if (ac.signal.aborted || this.classify(e) !== 'failed') throw e;
          before = undefined;
          await this.clone(http);
        }
      }
      const commit = await this.localTip(live);
      if (commit === undefined) throw new Error(`the fetch did not create refs/remotes/origin/${branch}`);
      const previous = this.lastTip ?? before;
      const forced = await isForced(previous, commit, async (oid) => {
        try {
          return (await readCommit({ fs, gitdir: live, oid, cache: this.cache })).commit.parent;
        } catch {
          return undefined;
        }
      });
      this.lastTip = commit;
      let subject: string | undefined;
      let committedAt: number | undefined;
      try {
        const c = (await readCommit({ fs, gitdir: live, oid: commit, cache: this.cache })).commit;
        subject = commitSubject(`\n\n${c.message}`);
        committedAt = c.committer.timestamp;
      } catch {}
      return {
        commit,
        ...(previous ? { previous } : {}),
        forced,
        fetchMs: performance.now() - started,
        ...(subject ? { subject } : {}),
        ...(committedAt !== undefined ? { committedAt } : {}),
      };
    })();
    try {
      return await Promise.race([work, deadline]);
    } catch (e) {
      // Cut off or failed: the next sync waits (within its own deadline) until this one has stopped.
      this.settling = work.catch(() => undefined);
      if (e instanceof RinglockError) throw e;
      const kind = ac.signal.aborted ? 'timeout' : this.classify(e);
      const detail = e instanceof Error ? e.message : String(e);
      throw fetchError(kind, this.src, detail, e);
    } finally {
      clearTimeout(timer);
    }
  }

  private async clone(http: { request: typeof request }): Promise<void> {
    const { cacheDir, url, branch } = this.src;
    const fresh = freshCloneDir(cacheDir);
    try {
      await clone({
        fs,
        http,
        // With noCheckout nothing is written to `dir` (the typings require it): the clone is the bare gitdir.
        dir: fresh,
        gitdir: fresh,
        url,
        // The full name: a tag called like the branch must not win.
        ref: `refs/heads/${branch}`,
        singleBranch: true,
        depth: 1,
        noCheckout: true,
        noTags: true,
        ...this.authCallbacks(),
      });
      commitClone(cacheDir, fresh, { driver: this.driver, url, branch });
      this.cache = {};
    } catch (e) {
      fs.rmSync(fresh, { recursive: true, force: true });
      throw e;
    }
  }

  private async fetch(gitdir: string, http: { request: typeof request }): Promise<void> {
    const { branch } = this.src;
    // Every shallow fetch adds a pack; the cache keeps the parsed index of each pack it touched. Start each sync with
    // an empty one so the daemon's memory does not grow with the number of commits it has seen.
    this.cache = {};
    const res = await fetch({
      fs,
      http,
      gitdir,
      cache: this.cache,
      remote: 'origin',
      // `ref` picks the local ref whose tip is offered as "have"; `remoteRef` is the branch fetched.
      ref: `refs/remotes/origin/${branch}`,
      remoteRef: `refs/heads/${branch}`,
      singleBranch: true,
      depth: 1,
      tags: false,
      ...this.authCallbacks(),
    });
    // An empty remote (no refs at all) comes back as "nothing fetched", not as an error.
    if (res.fetchHead === null)
      throw Object.assign(new Error(`no refs/heads/${branch}`), { code: 'NotFoundError' });
  }

  private authCallbacks() {
    const { auth } = this.src;
    if (!auth) return {};
    return {
      onAuth: () => ({ username: auth.username, password: auth.password }),
      // A refused token is final: without this, isomorphic-git would ask onAuth again, forever.
      onAuthFailure: () => ({ cancel: true }),
    };
  }

  private async localTip(gitdir: string): Promise<string | undefined> {
    try {
      const oid = await resolveRef({ fs, gitdir, ref: `refs/remotes/origin/${this.src.branch}` });
      // Reading the commit proves the object store behind the ref is readable, not just the ref file.
      await readCommit({ fs, gitdir, oid, cache: this.cache });
      return oid;
    } catch {
      return undefined;
    }
  }

  /** isomorphic-git's error codes and Node's errno codes, mapped to what the user can do about them. */
  private classify(e: unknown): FailureKind {
    if (e instanceof Aborted) return 'timeout';
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'HttpError') {
      const status = Number((e as { data?: { statusCode?: unknown } }).data?.statusCode);
      if (status === 401 || status === 403) return 'auth';
      if (status === 404) return 'bad-url';
      if (status >= 500) return 'unreachable';
      return 'failed';
    }
    if (code === 'UserCanceledError') return 'auth';
    if (code === 'NotFoundError') {
      const what = String((e as { data?: { what?: unknown } }).data?.what ?? (e as Error).message);
      return what.includes(`refs/heads/${this.src.branch}`) ? 'branch-not-found' : 'failed';
    }
    if (code === 'SmartHttpError' || code === 'UrlParseError' || code === 'UnknownTransportError')
      return 'bad-url';
    if (isErrnoException(e) && NETWORK_CODES.has(e.code ?? '')) return 'unreachable';
    if (e instanceof Error && e.name === 'AbortError') return 'timeout';
    return 'failed';
  }
}
