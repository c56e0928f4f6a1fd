// One run of promote / revert / ring assign against the platform repository: the remote's default branch is the
// truth (config, locks and history are read there, never from the working tree), changes become one commit on a
// ringlock/* branch pushed with a lease, and one pull request per branch is opened or updated.
import { realpathSync } from 'node:fs';
import { posix, relative, sep } from 'node:path';
import { InputError, RinglockError, TransientError } from '../errors.js';
import { parseRepository } from '../forge/client.js';
import { clip, GitHubPulls, type PullRequest } from '../forge/pulls.js';
import { type CommitReader, lockPathIn, readConfigAt, readLockAt } from '../git/commit-source.js';
import { pinAppearances } from '../git/history.js';
import { WorkRepo } from '../git/workrepo.js';
import type { LoadedConfig } from '../model/config.js';
import { schemaUrl } from '../model/schema-url.js';
import type { LockEntry, RingLock, RingPolicy } from '../model/types.js';
import type { PinAppearance } from '../rules/promotion.js';
import { loadConfig } from '../source/workspace-dir.js';
import { EMPTY_POLICY, githubApiUrl, type TrustPolicy } from '../trust/policy.js';

export type Mode = 'pr' | 'no-pr' | 'dry-run';

export interface SessionOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The branch pull requests target (default: promotion.branch, else the remote's HEAD). */
  base?: string;
  mode: Mode;
  /** What the operator allows: promotion.github.baseUrl from the repository must be allowed by it. */
  policy?: TrustPolicy;
}

export interface ChangeSet {
  branch: string;
  files: ReadonlyMap<string, string>;
  message: string;
  title: string;
  body: string;
  labels: string[];
  reviewers: string[];
  /** Leave a branch whose pull request a reviewer closed without merging (scheduled runs). */
  respectDeclined?: boolean;
  /** Close other open pull requests whose branch starts with this (older versions of the same promotion). */
  supersedes?: string;
}

export type Outcome =
  | { status: 'dry-run'; branch: string; diff: string }
  /** --no-pr: `unchanged` when the local branch already held exactly this commit (left as it was). */
  | { status: 'committed'; branch: string; commit: string; unchanged: boolean }
  | { status: 'declined'; branch: string; pr: PullRequest }
  | {
      status: 'opened' | 'updated' | 'unchanged';
      branch: string;
      commit: string;
      pushed: boolean;
      pr: PullRequest;
      warnings: string[];
      /** Older pull requests this one replaced (closed with a comment). */
      superseded: number[];
    };

export interface BaseLock {
  lock: RingLock;
  text: string;
  file: string;
  exists: boolean;
}

export const TOKEN_PERMISSIONS = 'contents: write and pull-requests: write';

export class Session {
  private pulls?: GitHubPulls;

  private constructor(
    readonly repo: WorkRepo,
    readonly config: LoadedConfig,
    readonly base: string,
    readonly baseCommit: string,
    /** The GitHub API the token goes to (undefined: api.github.com). */
    private readonly apiUrl: string | undefined,
    private readonly opts: SessionOptions,
  ) {}

  static async open(opts: SessionOptions): Promise<Session> {
    // The working tree's ringlock.yaml says where the repository is and how to reach it; rings and locks are then read
    // at the remote's default branch, which is what a pull request is checked against.
    const local = loadConfig(opts.cwd);
    const p = local.config.promotion;
    const tokenEnv = p?.github?.tokenEnv ?? 'GITHUB_TOKEN';
    const token = opts.env[tokenEnv] || undefined;
    const repo = await WorkRepo.open({ cwd: local.root, remote: p?.remote, token });
    try {
      // git names the top by its real path: compare real paths (a symlinked --cwd, /tmp on macOS).
      const rel = relative(realpathSync(repo.top), realpathSync(local.root)).split(sep).join(posix.sep);
      const base = opts.base ?? p?.branch ?? (await repo.defaultBranch());
      const tips = await repo.fetch([base]);
      const baseCommit = tips.get(base);
      if (!baseCommit)
        throw new InputError('promote/base', `the remote has no branch ${base}`, {
          expected: '--base naming a branch of the remote, or promotion.branch in ringlock.yaml',
        });
      const config = await readConfigAt(reader(repo), baseCommit, rel === '' ? '.' : rel);
      // Where the token would go is settled before anything is committed or pushed.
      const gh = config.config.promotion?.github;
      const apiUrl = githubApiUrl(
        opts.policy ?? EMPTY_POLICY,
        gh?.baseUrl ? { url: gh.baseUrl, doc: config.doc, pointer: '/promotion/github/baseUrl' } : undefined,
        gh?.tokenEnv ?? 'GITHUB_TOKEN',
      );
      return new Session(repo, config, base, baseCommit, apiUrl, opts);
    } catch (e) {
      repo.close();
      throw e;
    }
  }

  get mode(): Mode {
    return this.opts.mode;
  }

  close(): void {
    this.repo.close();
  }

  ring(name: string, flag: string): RingPolicy {
    const r = this.config.rings.find((x) => x.name === name);
    if (!r)
      throw new InputError('cli/ring', `${flag} ${name}: unknown ring`, {
        expected: `one of: ${this.config.rings.map((x) => x.name).join(', ')}`,
      });
    return r;
  }

  lockPath(ring: string): string {
    return lockPathIn(this.config, ring);
  }

  private readonly locks = new Map<string, Promise<BaseLock>>();

  /** The ring's lock at the base commit (an empty one when the ring has no lock yet); read and validated once. */
  lock(ring: string): Promise<BaseLock> {
    let p = this.locks.get(ring);
    if (!p) {
      p = this.readBaseLock(ring);
      this.locks.set(ring, p);
    }
    return p;
  }

  private async readBaseLock(ring: string): Promise<BaseLock> {
    const found = await readLockAt(reader(this.repo), this.baseCommit, this.config, ring);
    if (found) return { ...found, exists: true };
    const lock: RingLock = { lockfileVersion: 1, ring, platform: this.config.platformVersion, modules: {} };
    return {
      lock,
      text: `${JSON.stringify({ $schema: schemaUrl('ring-lock.schema.json'), ...lock }, null, 2)}\n`,
      file: this.lockPath(ring),
      exists: false,
    };
  }

  /** When each pin appeared in the ring's lock on the base branch (stopping at `notBefore`: older is enough). */
  appearances(
    ring: string,
    pins: ReadonlyMap<string, LockEntry>,
    notBefore?: number,
  ): Promise<Map<string, PinAppearance>> {
    return pinAppearances({
      repoDir: this.repo.top,
      ref: this.baseCommit,
      lockPath: this.lockPath(ring),
      pins,
      ...(notBefore !== undefined ? { notBefore } : {}),
    });
  }

  read(path: string): Promise<string | undefined> {
    return this.repo.read(this.baseCommit, path);
  }

  /** The repo-relative path of a file named relative to ringlock.yaml's folder. */
  path(rel: string): string {
    return this.config.root === '.' ? rel : posix.join(this.config.root, rel);
  }

  /** Fails early, before anything is pushed, when a pull request could not be opened. */
  forge(): GitHubPulls {
    if (this.pulls) return this.pulls;
    // Where the token goes is read at the default branch, never from a working tree a pull request may have changed.
    const p = this.config.config.promotion;
    const tokenEnv = p?.github?.tokenEnv ?? 'GITHUB_TOKEN';
    const token = this.opts.env[tokenEnv];
    if (!token)
      throw new InputError('forge/no-token', `no GitHub token: ${tokenEnv} is not set`, {
        expected: `a token in ${tokenEnv} with ${TOKEN_PERMISSIONS} on the repository (or --no-pr to commit locally only)`,
      });
    const repository = p?.github?.repository ?? this.repo.remoteUrl;
    let owner: string;
    let repo: string;
    try {
      ({ owner, repo } = parseRepository(repository));
    } catch (e) {
      throw new InputError(
        'config/github-repository',
        `cannot tell the GitHub repository from "${repository}"`,
        {
          expected: 'promotion.github.repository: owner/name in ringlock.yaml',
          cause: e,
        },
      );
    }
    const baseUrl = this.apiUrl;
    const retries = this.opts.env.RINGLOCK_GITHUB_RETRIES;
    this.pulls = new GitHubPulls({
      token,
      owner,
      repo,
      ...(baseUrl ? { baseUrl } : {}),
      ...(retries !== undefined && /^\d+$/.test(retries)
        ? { retries: Number(retries), retryBaseMs: 50 }
        : {}),
    });
    return this.pulls;
  }

  /** Commits the change set on the base and, by mode, shows it, keeps it local, or pushes it and opens the PR. */
  async publish(cs: ChangeSet): Promise<Outcome> {
    const tree = await this.repo.treeWith(this.baseCommit, cs.files);
    if (this.mode === 'dry-run') {
      const diff = await this.repo.diff(this.baseCommit, tree);
      return { status: 'dry-run', branch: cs.branch, diff };
    }
    if (this.mode === 'no-pr') {
      // The same two rules as a push: leave an identical commit alone, and never reset a person's commits.
      const tip = await this.repo.localTip(cs.branch);
      if (tip) await this.assertOurs(tip, cs, 'local');
      const same = tip !== undefined && (await this.isSameChange(tip, tree));
      if (same) return { status: 'committed', branch: cs.branch, commit: tip, unchanged: true };
      const commit = await this.repo.commitTree(tree, this.baseCommit, cs.message);
      await this.repo.setLocalBranch(cs.branch, commit, tip);
      return { status: 'committed', branch: cs.branch, commit, unchanged: false };
    }
    const pulls = this.forge();
    const tip = (await this.repo.fetch([cs.branch])).get(cs.branch);
    if (tip) await this.assertOurs(tip, cs, 'remote');
    // A scheduled run leaves alone what a reviewer closed without merging; a person asking again gets a new one.
    if (cs.respectDeclined && !(await pulls.findOpen(cs.branch))) {
      const [declined] = await pulls.findDeclined(cs.branch);
      if (declined) return { status: 'declined', branch: cs.branch, pr: declined };
    }
    // Reuse what a previous run pushed when it is exactly this change on this base: a rerun after a failure
    // between push and pull request finishes the job without a new commit.
    let commit = tip !== undefined && (await this.isSameChange(tip, tree)) ? tip : undefined;
    const pushed = commit === undefined;
    commit ??= await this.repo.commitTree(tree, this.baseCommit, cs.message);
    if (pushed) await this.repo.push(commit, cs.branch, tip);
    try {
      const warnings: string[] = [];
      const open = await pulls.findOpen(cs.branch);
      let pr: PullRequest;
      let status: 'opened' | 'updated' | 'unchanged';
      if (open) {
        const same = open.title === cs.title && open.body === clip(cs.body);
        status = same && !pushed ? 'unchanged' : 'updated';
        pr = same ? open : await pulls.update(open.number, { title: cs.title, body: cs.body });
      } else {
        pr = await pulls.create({ head: cs.branch, base: this.base, title: cs.title, body: cs.body });
        status = 'opened';
      }
      if (status !== 'unchanged') await pulls.addLabels(pr.number, cs.labels);
      if (status === 'opened') {
        try {
          await pulls.requestReviewers(pr.number, cs.reviewers);
        } catch (e) {
          // A reviewer who cannot review (not a collaborator, the author) must not fail the promotion.
          if (!(e instanceof RinglockError)) throw e;
          warnings.push(`could not request reviews from ${cs.reviewers.join(', ')}: ${e.message}`);
        }
      }
      const superseded: number[] = [];
      if (cs.supersedes) {
        for (const old of await pulls.listOpenWithPrefix(this.base, cs.supersedes)) {
          // Only <prefix><version>: orders- must not catch orders-extra-1.0.0.
          if (old.head === cs.branch || !/^\d+\.\d+\.\d+/.test(old.head.slice(cs.supersedes.length)))
            continue;
          await pulls.close(
            old.number,
            `Superseded by #${pr.number} (${cs.title}).\n\n<sub>Closed by ringlock.</sub>`,
          );
          superseded.push(old.number);
        }
      }
      return { status, branch: cs.branch, commit, pushed, pr, warnings, superseded };
    } catch (e) {
      if (!(e instanceof RinglockError)) throw e;
      const how = `The branch ${cs.branch} is pushed (commit ${commit.slice(0, 12)}); run the same command again to finish: it reuses the branch and opens or updates the pull request.`;
      const Err = e instanceof TransientError ? TransientError : InputError;
      throw new Err('promote/pull-request', `could not open the pull request: ${e.message}. ${how}`, {
        ...(e.expected ? { expected: e.expected } : {}),
        cause: e,
      });
    }
  }

  /** The tip is exactly this change on this base: one commit of `tree` whose only parent is the base commit. */
  private async isSameChange(tip: string, tree: string): Promise<boolean> {
    const [parents, tipTree] = await Promise.all([this.repo.parentsOf(tip), this.repo.treeOf(tip)]);
    return tipTree === tree && parents.length === 1 && parents[0] === this.baseCommit;
  }

  /**
   * A branch ringlock would reset must hold only a commit ringlock made: a person's commits there are not wiped. The
   * trailer alone does not tell (`git commit --amend` keeps it): ringlock's commit sits directly on the base branch
   * (its parent is the base commit or an older commit of it) and changes only the files this change set writes.
   */
  private async assertOurs(tip: string, cs: ChangeSet, where: 'local' | 'remote'): Promise<void> {
    const branch = cs.branch;
    const [parents, message] = await Promise.all([this.repo.parentsOf(tip), this.repo.messageOf(tip)]);
    if (parents.length === 1 && TRAILER.test(message)) {
      const parent = parents[0]!;
      const [onBase, changed] = await Promise.all([
        this.repo.isAncestor(parent, this.baseCommit),
        this.repo.changedPaths(parent, tip),
      ]);
      if (onBase && changed.every((p) => cs.files.has(p))) return;
    }
    throw new InputError(
      'promote/branch-edited',
      `the ${where === 'local' ? 'local ' : ''}branch ${branch} has commits ringlock did not make (tip ${tip.slice(0, 12)}: "${message.split('\n')[0]}"); ringlock will not reset it`,
      {
        expected:
          where === 'local'
            ? `keep your work on another branch (git branch -m ${branch} <new-name>) or delete it (git branch -D ${branch}), then run again`
            : `merge or close its pull request and delete the branch (git push ${this.repo.remote} --delete ${branch}), then run again`,
      },
    );
  }
}

const TRAILER = /^Ringlock-(?:Promotion|Rollback|Tenant): /m;

function reader(repo: WorkRepo): CommitReader {
  return { readFile: (commit, path) => repo.read(commit, path) };
}
