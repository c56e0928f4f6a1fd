// A platform repository for promotion tests: a bare "remote" on disk, an author clone that writes history with
// commit times in the past (so soak is real git history), and the clone ringlock runs in, which starts stale and must
// fetch. The real CLI runs there as a child process.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serializeLock } from '../../src/model/lock.js';
import type { LockEntry } from '../../src/model/types.js';
import { type Run, runCli } from '../fixtures-platform.js';
import { cleanGitEnv } from './git-http-server.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const TOKEN = 'ghp_promote_test_token_0123456789';

export interface EntryOptions {
  deps?: Record<string, string>;
  platform?: string;
  /** A different build of the same version (another integrity). */
  build?: string;
}

export function entry(name: string, version: string, o: EntryOptions = {}): LockEntry {
  const h = createHash('sha256')
    .update(`${name}@${version}${o.build ?? ''}`)
    .digest();
  return {
    version,
    sha256: `sha256:${h.toString('hex')}`,
    integrity: `sha512-${createHash('sha512').update(h).digest('base64')}`,
    artifact: `${name}/${version}/${name.replace('/', '-')}-${version}.tgz`,
    artifact_size: 2048,
    source: `modules/${name}`,
    compatibility: { platform: o.platform ?? '^2.0.0' },
    dependencies: o.deps ?? {},
  };
}

export function lockText(ring: string, modules: Record<string, LockEntry>, platform = '2.0.0'): string {
  return serializeLock({ lockfileVersion: 1, ring, platform, modules });
}

export const CONFIG = `# ringlock configuration for the promotion tests
apiVersion: ringlock/v1
platform:
  name: shop
  version: 2.0.0
modules:
  dir: modules
rings:
  - name: canary
    tracksSource: true
    allowPrerelease: true
  - name: edge
    promoteFrom: canary
    minSoak: 24h
    allowPrerelease: true
    reviewers: [alice, acme/release-engineers]
  - name: stable
    promoteFrom: edge
    minSoak: 72h
promotion:
  github:
    repository: acme/platform
`;

export class PromoRepo {
  readonly root: string;
  readonly bare: string;
  readonly author: string;
  readonly work: string;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'ringlock-promote-'));
    this.bare = join(this.root, 'remote.git');
    this.author = join(this.root, 'author');
    this.work = join(this.root, 'work');
    execFileSync('git', ['init', '--bare', '-q', '--initial-branch=main', this.bare], { env: cleanGitEnv() });
    execFileSync('git', ['init', '-q', '--initial-branch=main', this.author], { env: cleanGitEnv() });
    this.git(this.author, 'remote', 'add', 'origin', this.bare);
  }

  git(cwd: string, ...args: string[]): string {
    return execFileSync('git', args, { cwd, encoding: 'utf8', env: cleanGitEnv() }).trim();
  }

  /** Commits files (null deletes) as of `ageMs` ago and pushes it to `branch` (main); returns the commit. */
  commit(files: Record<string, string | null>, ageMs: number, message = 'change', branch = 'main'): string {
    for (const [rel, text] of Object.entries(files)) {
      const abs = join(this.author, rel);
      rmSync(abs, { force: true });
      if (text === null) continue;
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, text);
    }
    const when = `${Math.floor((Date.now() - ageMs) / 1000)} +0000`;
    execFileSync('git', ['add', '-A'], { cwd: this.author, env: cleanGitEnv() });
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', message], {
      cwd: this.author,
      env: cleanGitEnv({
        GIT_AUTHOR_NAME: 'Dev',
        GIT_AUTHOR_EMAIL: 'dev@example.test',
        GIT_AUTHOR_DATE: when,
        GIT_COMMITTER_NAME: 'Dev',
        GIT_COMMITTER_EMAIL: 'dev@example.test',
        GIT_COMMITTER_DATE: when,
      }),
    });
    this.git(this.author, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
    return this.git(this.author, 'rev-parse', 'HEAD');
  }

  /**
   * The usual history: every ring runs `base` (commit 10 days old, with `files`), then canary got `orders`
   * `soakedMs` ago; then the clone ringlock runs in is made.
   */
  seed(o: {
    base: Record<string, LockEntry>;
    orders: LockEntry;
    soakedMs: number;
    config?: string;
    files?: Record<string, string>;
  }): void {
    this.commit(
      {
        'ringlock.yaml': o.config ?? CONFIG,
        'rings/canary.lock.json': lockText('canary', o.base),
        'rings/edge.lock.json': lockText('edge', o.base),
        'rings/stable.lock.json': lockText('stable', o.base),
        ...o.files,
      },
      10 * DAY,
      'initial',
    );
    this.commit(
      { 'rings/canary.lock.json': lockText('canary', { ...o.base, orders: o.orders }) },
      o.soakedMs,
      'canary: orders 1.5.0',
    );
    this.cloneWork();
  }

  /** The clone ringlock runs in, made now (later commits reach it only through ringlock's own fetch). */
  cloneWork(): void {
    this.git(this.root, 'clone', '-q', this.bare, this.work);
  }

  run(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    return runCli(args, {
      cwd: this.work,
      env: { ...cleanGitEnv(), GITHUB_TOKEN: TOKEN, RINGLOCK_GITHUB_RETRIES: '0', ...env },
    });
  }

  /** A file on a branch of the remote, or undefined. */
  remoteFile(branch: string, path: string): string | undefined {
    try {
      return execFileSync('git', ['show', `${branch}:${path}`], {
        cwd: this.bare,
        encoding: 'utf8',
        env: cleanGitEnv(),
      });
    } catch {
      return undefined;
    }
  }

  remoteBranches(): string[] {
    const out = this.git(this.bare, 'for-each-ref', '--format=%(refname:short)', 'refs/heads');
    return out.split('\n').filter(Boolean).sort();
  }

  tip(repo: string, ref: string): string {
    return this.git(repo, 'rev-parse', ref);
  }

  /** Installs a server-side hook in the remote. */
  hook(name: string, script: string): void {
    const p = join(this.bare, 'hooks', name);
    writeFileSync(p, script);
    chmodSync(p, 0o755);
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
