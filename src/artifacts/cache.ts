// The content-addressed download cache: `<dir>/<algorithm>/<hex digest>`. Only verified bytes enter it, so a
// version fetched once is never fetched again, and a cached file that no longer verifies is replaced.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { OperationFailed } from '../errors.js';
import { moveSync } from '../fsutil/move.js';
import { ownScratchDir, realDirChain } from '../fsutil/safe-dirs.js';
import { cacheKey, parseIntegrity, verifyFile } from './integrity.js';
import type { ArtifactRef, ArtifactRegistry } from './registry/types.js';

export type FetchResult =
  | { ref: ArtifactRef; ok: true; path: string }
  | { ref: ArtifactRef; ok: false; error: unknown };

const TMP = '.tmp';
/** What load() names its temp files: `<hex digest>.<pid>.<8 hex>`; the sweep removes nothing else. */
const TMP_NAME = /^[0-9a-f]{16,128}\.\d+\.[0-9a-f]{8}$/;
/** Temp files this old are leftovers of a killed process, not a download in progress. */
const STALE_TMP_MS = 24 * 3_600_000;

export class ArtifactCache {
  /** Downloads in progress in this process, by cache key: concurrent gets of one artifact share one. */
  private readonly inflight = new Map<string, Promise<string>>();
  private swept = false;

  /**
   * `root`: the state dir when the cache lives inside it (the default). Every directory from there down is then
   * checked to be a real one, never a symlink planted to send downloads, or the sweep, somewhere else.
   */
  constructor(
    readonly dir: string,
    private readonly root?: string,
  ) {}

  /** The path of a verified copy of the artifact; the registry is asked only when no good copy is cached. */
  get(ref: ArtifactRef, registry: ArtifactRegistry, signal?: AbortSignal): Promise<string> {
    let key: string;
    try {
      // Missing, weak or malformed integrity is refused here, before any request.
      parseIntegrity(ref.integrity, `${ref.module}@${ref.version}`);
      key = cacheKey(ref.integrity);
    } catch (e) {
      return Promise.reject(e);
    }
    const shared = this.inflight.get(key);
    if (shared) return shared;
    const p = this.load(ref, key, registry, signal).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Gets every ref, `concurrency` at a time; one failure does not stop the others. Results in input order. */
  async fetchAll(
    refs: readonly ArtifactRef[],
    registry: ArtifactRegistry,
    opts: { concurrency?: number; signal?: AbortSignal } = {},
  ): Promise<FetchResult[]> {
    const results: FetchResult[] = new Array(refs.length);
    let next = 0;
    const worker = async () => {
      while (next < refs.length) {
        const i = next++;
        const ref = refs[i]!;
        try {
          results[i] = { ref, ok: true, path: await this.get(ref, registry, opts.signal) };
        } catch (error) {
          results[i] = { ref, ok: false, error };
        }
      }
    };
    const n = Math.min(Math.max(1, opts.concurrency ?? 4), refs.length);
    await Promise.all(Array.from({ length: n }, worker));
    return results;
  }

  private async load(ref: ArtifactRef, key: string, registry: ArtifactRegistry, signal?: AbortSignal) {
    const final = join(this.dir, key);
    const what = `${ref.module}@${ref.version}`;
    if (existsSync(final)) {
      if (this.cachedIsGood(final, ref, what)) return final;
      // Bytes that no longer hash to their name: disk damage or tampering. Drop them and fetch once more.
      rmSync(final, { force: true });
    }
    const tmpDir = this.prepareDirs(key);
    this.sweep(tmpDir);
    const tmp = join(tmpDir, `${basename(key)}.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      await registry.fetch(ref, tmp, signal);
      verifyFile(tmp, ref.integrity, ref.size, `${what} from ${registry.location}`);
      chmodSync(tmp, 0o444);
      moveSync(tmp, final);
      return final;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * True when the cached file still matches its integrity. A right digest with a size other than the lock's is
   * the lock's error, not the cache's: refused without dropping the good file.
   */
  private cachedIsGood(path: string, ref: ArtifactRef, what: string): boolean {
    try {
      verifyFile(path, ref.integrity, undefined, `${what} (cached)`);
    } catch (e) {
      if (e instanceof OperationFailed) return false;
      throw e;
    }
    if (ref.size !== undefined) {
      const size = statSync(path).size;
      if (size !== ref.size) {
        throw new OperationFailed('integrity/size', `${what}: ${size} bytes, expected ${ref.size}`, {
          expected: `${ref.size} bytes`,
        });
      }
    }
    return true;
  }

  /**
   * Makes `<dir>/<algorithm>/` and `<dir>/.tmp/` and returns the temp dir. Inside the state dir, each directory on the
   * way must be a real one (a symlink in place of `.tmp` is unlinked, never followed); a link elsewhere fails the fetch.
   */
  private prepareDirs(key: string): string {
    const parts = key.split('/').slice(0, -1);
    if (this.root !== undefined) {
      const under = relative(this.root, this.dir).split(sep).filter(Boolean);
      // The state dir itself: made here when no file store made it (the state lives in a database).
      mkdirSync(this.root, { recursive: true });
      const chain = realDirChain(this.root, [...under, ...parts], true);
      if (!chain.ok) {
        throw new OperationFailed('cache/path', `the download cache: ${chain.at} is ${chain.what}`, {
          expected: 'a real directory inside the state dir (remove what is there; ringlock recreates it)',
        });
      }
      return ownScratchDir(this.dir, TMP);
    }
    mkdirSync(join(this.dir, ...parts), { recursive: true });
    return ownScratchDir(this.dir, TMP);
  }

  /** Removes temp files left by killed processes, once per cache instance: only files named as load() names them. */
  private sweep(dir: string): void {
    if (this.swept) return;
    this.swept = true;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const cutoff = Date.now() - STALE_TMP_MS;
    for (const n of names) {
      if (!TMP_NAME.test(n)) continue;
      try {
        const st = lstatSync(join(dir, n));
        if (st.isFile() && st.mtimeMs < cutoff) unlinkSync(join(dir, n));
      } catch {
        // Gone meanwhile (another process swept it).
      }
    }
  }
}
