// The content-addressed download cache: `<dir>/<algorithm>/<hex digest>`. Only verified bytes enter it, so a
// version fetched once is never fetched again, and a cached file that no longer verifies is replaced.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OperationFailed } from '../errors.js';
import { cacheKey, parseIntegrity, verifyFile } from './integrity.js';
import type { ArtifactRef, ArtifactRegistry } from './registry/types.js';

export type FetchResult =
  | { ref: ArtifactRef; ok: true; path: string }
  | { ref: ArtifactRef; ok: false; error: unknown };

const TMP = '.tmp';
/** Temp files this old are leftovers of a killed process, not a download in progress. */
const STALE_TMP_MS = 24 * 3_600_000;

export class ArtifactCache {
  /** Downloads in progress in this process, by cache key: concurrent gets of one artifact share one. */
  private readonly inflight = new Map<string, Promise<string>>();
  private swept = false;

  constructor(readonly dir: string) {}

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
    this.sweep();
    mkdirSync(dirname(final), { recursive: true });
    mkdirSync(join(this.dir, TMP), { recursive: true });
    const tmp = join(this.dir, TMP, `${basename(key)}.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      await registry.fetch(ref, tmp, signal);
      verifyFile(tmp, ref.integrity, ref.size, `${what} from ${registry.location}`);
      chmodSync(tmp, 0o444);
      renameSync(tmp, final);
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

  /** Removes temp files left by killed processes, once per cache instance. */
  private sweep(): void {
    if (this.swept) return;
    this.swept = true;
    const dir = join(this.dir, TMP);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const cutoff = Date.now() - STALE_TMP_MS;
    for (const n of names) {
      try {
        if (statSync(join(dir, n)).mtimeMs < cutoff) rmSync(join(dir, n), { force: true, recursive: true });
      } catch {
        // Gone meanwhile (another process swept it).
      }
    }
  }
}
