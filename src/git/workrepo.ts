// The user's clone of the platform repository, as promotion uses it: read files at the remote's default branch, make
// a commit on top of it without touching the working tree or the index (plumbing on a private index), and push it
// to a branch with a lease, so a concurrent push is detected instead of overwritten.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, TransientError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { BlobReader, GitCommandError, git } from './cli.js';

export interface WorkRepoOptions {
  /** Any directory inside the clone. */
  cwd: string;
  /** The remote to fetch from and push to (default origin). */
  remote?: string;
  /** HTTPS token for fetch and push (sent as an extra header through the environment: never in argv or config). */
  token?: string;
}

export interface Identity {
  name: string;
  email: string;
}

/**
 * http.extraHeader through GIT_CONFIG_*: the token is not in argv (visible in ps) nor written to .git/config. An empty
 * value first resets the header list, so a header actions/checkout left in the clone's config is not sent as a second
 * Authorization; entries the caller already passes through GIT_CONFIG_* are kept.
 */
function authEnv(remoteUrl: string, basic: string): Record<string, string> {
  const n = Number(process.env.GIT_CONFIG_COUNT ?? 0) || 0;
  const key = `http.${new URL(remoteUrl).origin}/.extraHeader`;
  return {
    GIT_CONFIG_COUNT: String(n + 2),
    [`GIT_CONFIG_KEY_${n}`]: key,
    [`GIT_CONFIG_VALUE_${n}`]: '',
    [`GIT_CONFIG_KEY_${n + 1}`]: key,
    [`GIT_CONFIG_VALUE_${n + 1}`]: `Authorization: Basic ${basic}`,
  };
}

const BOT: Identity = { name: 'ringlock', email: 'ringlock@users.noreply.github.com' };

export class WorkRepo {
  private reader?: BlobReader;
  private readonly env: Record<string, string>;
  private readonly secrets: string[];

  private constructor(
    readonly top: string,
    readonly remote: string,
    readonly remoteUrl: string,
    token: string | undefined,
  ) {
    this.secrets = token ? [token, Buffer.from(`x-access-token:${token}`).toString('base64')] : [];
    this.env = token && /^https?:\/\//i.test(remoteUrl) ? authEnv(remoteUrl, this.secrets[1]!) : {};
  }

  static async open(opts: WorkRepoOptions): Promise<WorkRepo> {
    const remote = opts.remote ?? 'origin';
    let top: string;
    try {
      top = (await git(['rev-parse', '--show-toplevel'], { cwd: opts.cwd })).trim();
    } catch (e) {
      if (e instanceof GitCommandError)
        throw new InputError('git/not-a-repo', `${opts.cwd} is not inside a git clone`, {
          expected: 'ringlock run inside a clone of the platform repository',
        });
      throw e;
    }
    let url: string;
    try {
      url = (await git(['remote', 'get-url', remote], { cwd: top })).trim();
    } catch (e) {
      if (e instanceof GitCommandError)
        throw new InputError('git/no-remote', `the clone has no remote "${remote}"`, {
          expected: `git remote add ${remote} <url>, or promotion.remote in ringlock.yaml`,
        });
      throw e;
    }
    return new WorkRepo(top, remote, url, opts.token);
  }

  private run(args: string[], extra: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    return git(args, { cwd: this.top, env: { ...this.env, ...extra.env }, secrets: this.secrets, ...extra });
  }

  /** What the remote calls its default branch (its HEAD). */
  async defaultBranch(): Promise<string> {
    const out = await this.network('ask the remote for its default branch', () =>
      this.run(['ls-remote', '--symref', this.remote, 'HEAD']),
    );
    const m = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
    if (!m)
      throw new InputError(
        'git/default-branch',
        `the remote ${redactUrl(this.remoteUrl)} names no default branch`,
        {
          expected: 'promotion.branch in ringlock.yaml, or --base',
        },
      );
    return m[1]!;
  }

  /** The tip of a branch on the remote, or undefined when it does not exist there. */
  async remoteTip(branch: string): Promise<string | undefined> {
    const out = await this.network(`look up ${branch} on the remote`, () =>
      this.run(['ls-remote', this.remote, `refs/heads/${branch}`]),
    );
    return /^([0-9a-f]{40,64})\t/m.exec(out)?.[1];
  }

  /**
   * Fetches branches into refs/remotes/<remote>/…, with enough history for soak (a shallow clone is deepened), and
   * returns each one's tip (undefined for a branch the remote does not have).
   */
  async fetch(branches: string[]): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>();
    const present: string[] = [];
    for (const b of branches) {
      const tip = await this.remoteTip(b);
      out.set(b, tip);
      if (tip) present.push(b);
    }
    if (present.length === 0) return out;
    const shallow = (await this.run(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
    await this.network('fetch from the remote', () =>
      this.run([
        'fetch',
        '--quiet',
        '--no-tags',
        ...(shallow ? ['--unshallow'] : []),
        this.remote,
        ...present.map((b) => `+refs/heads/${b}:refs/remotes/${this.remote}/${b}`),
      ]),
    );
    return out;
  }

  /** The text of a file at a commit, or undefined when it does not exist there. */
  read(commit: string, path: string): Promise<string | undefined> {
    this.reader ??= new BlobReader(this.top);
    return this.reader.read(`${commit}:${path}`);
  }

  async treeOf(commit: string): Promise<string> {
    return (await this.run(['rev-parse', `${commit}^{tree}`])).trim();
  }

  async parentsOf(commit: string): Promise<string[]> {
    return (await this.run(['rev-list', '--parents', '-n', '1', commit])).trim().split(' ').slice(1);
  }

  async messageOf(commit: string): Promise<string> {
    return this.run(['log', '-1', '--format=%B', commit]);
  }

  /** `ancestor` is `commit` or one of its ancestors. */
  async isAncestor(ancestor: string, commit: string): Promise<boolean> {
    try {
      await this.run(['merge-base', '--is-ancestor', ancestor, commit]);
      return true;
    } catch (e) {
      if (e instanceof GitCommandError && e.exitCode === 1) return false;
      throw e;
    }
  }

  /** The paths that differ between two commits (added, changed, removed; renames as a removal and an addition). */
  async changedPaths(from: string, to: string): Promise<string[]> {
    const out = await this.run(['diff-tree', '-r', '-z', '--no-renames', '--name-only', from, to]);
    return out.split('\0').filter(Boolean);
  }

  /** The tree of `base` with `files` (repo-relative path → text) replaced, written to the object store. */
  async treeWith(base: string, files: ReadonlyMap<string, string>): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'ringlock-index-'));
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    try {
      await this.run(['read-tree', base], { env });
      for (const [path, text] of files) {
        const blob = (await this.run(['hash-object', '-w', '--stdin'], { input: text })).trim();
        const mode = (await this.run(['ls-tree', base, '--', path])).split(' ')[0] || '100644';
        await this.run(['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`], { env });
      }
      return (await this.run(['write-tree'], { env })).trim();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The unified diff between a commit and a tree (what a pull request would show). */
  diff(from: string, toTree: string): Promise<string> {
    return this.run(['diff', '--no-color', '--no-ext-diff', from, toTree]);
  }

  /** A commit of `tree` on `parent` (never touching the working tree, the index or HEAD). */
  async commitTree(tree: string, parent: string, message: string): Promise<string> {
    const who = await this.identity();
    return (
      await this.run(['commit-tree', tree, '-p', parent, '-F', '-'], {
        input: message,
        env: {
          GIT_AUTHOR_NAME: who.name,
          GIT_AUTHOR_EMAIL: who.email,
          GIT_COMMITTER_NAME: who.name,
          GIT_COMMITTER_EMAIL: who.email,
        },
      })
    ).trim();
  }

  /** user.name / user.email when configured, else ringlock's own (CI runners often have none). */
  private async identity(): Promise<Identity> {
    const get = async (key: string) => {
      try {
        return (await this.run(['config', '--get', key])).trim() || undefined;
      } catch {
        return undefined;
      }
    };
    const name = process.env.GIT_AUTHOR_NAME ?? (await get('user.name'));
    const email = process.env.GIT_AUTHOR_EMAIL ?? (await get('user.email'));
    return name && email ? { name, email } : BOT;
  }

  /**
   * Pushes `commit` to `branch` on the remote only if the branch is still at `expected` (undefined: must not
   * exist). Another push in between is a push race (TransientError promote/push-race): nothing is overwritten.
   */
  async push(commit: string, branch: string, expected: string | undefined): Promise<void> {
    const lease = `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`;
    try {
      await this.run(['push', '--quiet', lease, this.remote, `${commit}:refs/heads/${branch}`]);
    } catch (e) {
      if (!(e instanceof GitCommandError)) throw e;
      throw this.pushError(e, branch);
    }
  }

  /** The tip of a local branch, or undefined when there is none. */
  async localTip(branch: string): Promise<string | undefined> {
    try {
      return (
        (await this.run(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`])).trim() ||
        undefined
      );
    } catch (e) {
      if (e instanceof GitCommandError) return undefined;
      throw e;
    }
  }

  /**
   * Points a local branch at a commit (for --no-pr), without checking it out, only if it is still at `expected`
   * (undefined: must not exist) — a commit made on it meanwhile is not overwritten.
   */
  async setLocalBranch(branch: string, commit: string, expected: string | undefined): Promise<void> {
    const ref = `refs/heads/${branch}`;
    // update-ref would move a checked-out branch under its working tree (git branch --force refuses that too).
    const worktrees = await this.run(['worktree', 'list', '--porcelain']);
    if (expected !== undefined && worktrees.split('\n').includes(`branch ${ref}`))
      throw new InputError(
        'promote/branch-checked-out',
        `the local branch ${branch} is checked out; ringlock will not move it`,
        {
          expected: `to check out another branch (git switch -), then run again`,
        },
      );
    try {
      await this.run(['update-ref', '-m', 'ringlock: --no-pr', ref, commit, expected ?? '']);
    } catch (e) {
      if (!(e instanceof GitCommandError)) throw e;
      throw new TransientError(
        'promote/branch-race',
        `could not update the local branch ${branch}: it changed meanwhile`,
        {
          expected: 'to run the same command again',
          cause: e,
        },
      );
    }
  }

  close(): void {
    this.reader?.close();
    this.reader = undefined;
  }

  private pushError(e: GitCommandError, branch: string) {
    const text = e.stderr;
    const where = `push ${branch} to ${redactUrl(this.remoteUrl)}`;
    if (
      /stale info|cannot lock ref|failed to update ref|fetch first|non-fast-forward|is at [0-9a-f]+ but expected|reference already exists/i.test(
        text,
      )
    )
      return new TransientError(
        'promote/push-race',
        `could not ${where}: someone else updated ${branch} at the same time`,
        {
          expected: 'to run the same command again: it starts from what the remote has now',
          cause: e,
        },
      );
    if (/protected branch|GH006|protected ref|declined/i.test(text))
      return new InputError(
        'promote/protected-branch',
        `the remote refused to ${where}: ${remoteSaid(text)}`,
        {
          expected: `branch protection that lets the token push ringlock/* branches (protect the default branch only)`,
          cause: e,
        },
      );
    if (/\b403\b|permission to .* denied|write access to repository not granted/i.test(text))
      return new InputError(
        'forge/permission',
        `the remote refused to ${where} (403): the token needs contents: write`,
        {
          expected:
            'a token with the "contents: write" permission (fine-grained token or GitHub App) or the repo scope (classic)',
          cause: e,
        },
      );
    if (/\b401\b|authentication failed|could not read username/i.test(text))
      return new InputError('forge/auth', `the remote refused to ${where}: authentication failed`, {
        expected: 'a valid token in the environment (see promotion.github.tokenEnv)',
        cause: e,
      });
    return new TransientError('git/push', `could not ${where}: ${remoteSaid(text)}`, {
      expected: 'the remote to accept the push; run the same command again',
      cause: e,
    });
  }

  private async network<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof GitCommandError)) throw e;
      if (/\b401\b|authentication failed|could not read username/i.test(e.stderr))
        throw new InputError('forge/auth', `could not ${what}: authentication failed`, {
          expected: 'a valid token with contents: read (see promotion.github.tokenEnv)',
          cause: e,
        });
      throw new TransientError(
        'git/unreachable',
        `could not ${what} (${redactUrl(this.remoteUrl)}): ${lastLine(e.stderr)}`,
        {
          expected: 'the remote to answer; run the same command again',
          cause: e,
        },
      );
    }
  }
}

/** What the remote itself said ("remote: …" lines), else git's last line. */
function remoteSaid(s: string): string {
  const said = s
    .split('\n')
    .filter((l) => /^remote:/.test(l.trim()) || /^ ! \[remote rejected\]/.test(l))
    .map((l) => l.trim().replace(/^remote:\s*/, ''))
    .filter(Boolean);
  return said.length ? said.join(' ') : lastLine(s);
}

function lastLine(s: string): string {
  const lines = s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? 'no message';
}
