// The checks a signed webhook still has to pass before it may cost a git fetch: is it a delivery already seen, is it
// about the watched repository, and has a fetch been forced too recently. Pure or clock-driven; no I/O.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A repository location reduced to what identifies it: `host/owner/name` (lower case, no scheme, port, user or .git), or `path:<abs>` for a local repository. */
export function repoKey(location: string): string | undefined {
  const s = location.trim();
  if (s === '') return undefined;
  let host: string;
  let path: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(s);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return undefined;
    }
    if (u.protocol === 'file:') return `path:${resolve(fileURLToPath(u))}`;
    host = u.hostname;
    path = decodeURIComponent(u.pathname);
  } else if (scp && !/^[a-z]:[\\/]/i.test(s)) {
    host = scp[1]!;
    path = scp[2]!;
  } else return `path:${resolve(s)}`;
  path = path
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '')
    .replace(/^\/+/, '');
  if (path === '' || host === '') return undefined;
  return `${host.toLowerCase()}/${path.toLowerCase()}`;
}

/**
 * Whether a push payload's `repository` is the watched one: one of its URLs (clone, ssh, html, git, url) names the
 * same host and path in any form (https or ssh, any case, with or without .git), or its `full_name` is the watched
 * URL's owner/name. A local repository is matched only by a URL naming the same path. No `repository`: no match.
 */
export function sameRepository(watched: string, repository: unknown): boolean {
  const want = repoKey(watched);
  if (!want || repository === null || typeof repository !== 'object') return false;
  const r = repository as Record<string, unknown>;
  for (const field of ['clone_url', 'ssh_url', 'html_url', 'git_url', 'url', 'svn_url']) {
    const v = r[field];
    if (typeof v === 'string' && repoKey(v) === want) return true;
  }
  if (want.startsWith('path:') || typeof r.full_name !== 'string') return false;
  return want.slice(want.indexOf('/') + 1) === r.full_name.toLowerCase();
}

/** Recently seen delivery keys (delivery ids, body signatures): bounded in count and age, oldest forgotten first. */
export class RecentKeys {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether any of `keys` was seen within the TTL; then all of them are remembered (as of now). */
  check(keys: string[]): boolean {
    const t = this.clock();
    const dup = keys.some((k) => {
      const at = this.seen.get(k);
      return at !== undefined && t - at < this.ttlMs;
    });
    for (const k of keys) {
      this.seen.delete(k);
      this.seen.set(k, t);
    }
    for (const [k, at] of this.seen) {
      if (this.seen.size <= this.max && t - at < this.ttlMs) break;
      this.seen.delete(k);
    }
    return dup;
  }

  get size(): number {
    return this.seen.size;
  }
}

/**
 * At most one call of `fire` per interval: the first request fires at once, the ones that follow within the interval
 * are coalesced into one call at its end.
 */
export class RateLimiter {
  private last = Number.NEGATIVE_INFINITY;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  constructor(
    private readonly intervalMs: number,
    private readonly fire: () => void,
  ) {}

  request(): 'now' | 'coalesced' {
    if (this.stopped || this.timer) return 'coalesced';
    const wait = this.last + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.last = Date.now();
      this.fire();
      return 'now';
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.last = Date.now();
      this.fire();
    }, wait);
    this.timer.unref();
    return 'coalesced';
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
